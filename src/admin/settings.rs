//! Settings an administrator can change: the vision review period.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::{
    app::AppState,
    auth::{Viewer, extract::session_error},
    error::AppResult,
    vision,
    web::{Flash, Form, Layout},
};

pub const REVIEW_MONTHS_MAX: i32 = 36;

#[derive(Template)]
#[template(path = "admin/settings.html")]
pub struct SettingsPage {
    pub layout: Layout,
    pub review_months: String,
    pub error: Option<String>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> AppResult<Html<String>> {
    viewer.require_admin()?;
    let months = vision::db::review_months(&state.db).await?;
    let page = SettingsPage {
        layout: viewer.layout.in_section("admin"),
        review_months: months.to_string(),
        error: None,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    review_months: String,
}

pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SettingsForm>,
) -> AppResult<Response> {
    viewer.require_admin()?;
    match form.review_months.trim().parse::<i32>() {
        Ok(months) if (1..=REVIEW_MONTHS_MAX).contains(&months) => {
            vision::db::set_review_months(&state.db, months).await?;
            Flash::success(format!(
                "Les visions sont désormais à revoir au bout de {months} mois."
            ))
            .push(&viewer.session)
            .await
            .map_err(session_error)?;
            Ok(Redirect::to("/admin/parametres").into_response())
        }
        _ => {
            let page = SettingsPage {
                layout: viewer.layout.in_section("admin"),
                review_months: form.review_months,
                error: Some(format!(
                    "Saisissez un nombre entier de mois entre 1 et {REVIEW_MONTHS_MAX}."
                )),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}
