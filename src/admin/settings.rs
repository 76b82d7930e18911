//! Settings an administrator can change: the vision review period, the longest validity of a
//! roadmap share link.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::{
    auth::{AdminOnly, extract::session_error},
    error::AppResult,
    roadmaps,
    state::AppState,
    vision,
    web::{FieldErrors, Flash, Form, Layout},
};

pub const REVIEW_MONTHS_MAX: i32 = 36;
pub const SHARE_DAYS_MAX: i32 = 365;

#[derive(Template)]
#[template(path = "admin/settings.html")]
pub struct SettingsPage {
    pub layout: Layout,
    pub review_months: String,
    pub share_max_days: String,
    pub errors: FieldErrors,
}

pub async fn show(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
) -> AppResult<impl IntoResponse> {
    let page = SettingsPage {
        layout: viewer.layout.in_section("admin"),
        review_months: vision::db::review_months(&state.db).await?.to_string(),
        share_max_days: roadmaps::db::share_max_days(&state.db).await?.to_string(),
        errors: FieldErrors::new(),
    };
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    review_months: String,
    share_max_days: String,
}

fn whole(raw: &str, max: i32) -> Option<i32> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
}

pub async fn save(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Form(form): Form<SettingsForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let months = whole(&form.review_months, REVIEW_MONTHS_MAX);
    if months.is_none() {
        errors.insert(
            "review_months",
            format!("Saisissez un nombre entier de mois entre 1 et {REVIEW_MONTHS_MAX}."),
        );
    }
    let days = whole(&form.share_max_days, SHARE_DAYS_MAX);
    if days.is_none() {
        errors.insert(
            "share_max_days",
            format!("Saisissez un nombre entier de jours entre 1 et {SHARE_DAYS_MAX}."),
        );
    }
    let (Some(months), Some(days)) = (months, days) else {
        let page = SettingsPage {
            layout: viewer.layout.in_section("admin"),
            review_months: form.review_months,
            share_max_days: form.share_max_days,
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let mut tx = state.db.begin().await?;
    vision::db::set_review_months(&mut *tx, months).await?;
    roadmaps::db::set_share_max_days(&mut *tx, days).await?;
    // The review period places every vision: every product's health moves with it.
    crate::portfolio::health::refresh(&mut tx, None, crate::web::filters::today()).await?;
    tx.commit().await?;
    Flash::success("Paramètres enregistrés.")
        .push(&viewer.session)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to("/admin/parametres").into_response())
}

crate::impl_page!(SettingsPage);
