//! The pages every State service publishes: accessibility statement, legal notice, personal data.
//! Public: they are reachable without an account.

use askama::Template;
use axum::{Router, response::IntoResponse, routing::get};

use crate::{auth::MaybeViewer, error::AppResult, state::AppState, web::Layout};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accessibilite", get(accessibility))
        .route("/mentions-legales", get(legal_notice))
        .route("/donnees-personnelles", get(personal_data))
}

#[derive(Template)]
#[template(path = "pages/accessibilite.html")]
struct AccessibilityPage {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "pages/mentions-legales.html")]
struct LegalNoticePage {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "pages/donnees-personnelles.html")]
struct PersonalDataPage {
    layout: Layout,
}

async fn accessibility(viewer: MaybeViewer) -> AppResult<impl IntoResponse> {
    Ok(AccessibilityPage {
        layout: viewer.layout,
    })
}

async fn legal_notice(viewer: MaybeViewer) -> AppResult<impl IntoResponse> {
    Ok(LegalNoticePage {
        layout: viewer.layout,
    })
}

async fn personal_data(viewer: MaybeViewer) -> AppResult<impl IntoResponse> {
    Ok(PersonalDataPage {
        layout: viewer.layout,
    })
}

crate::impl_page!(AccessibilityPage, LegalNoticePage, PersonalDataPage);
