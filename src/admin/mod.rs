//! Administration of accounts: list, create, change role, deactivate / reactivate.

mod handlers;
mod views;

use axum::{
    Router,
    routing::{get, post},
};

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/utilisateurs",
            get(handlers::list).post(handlers::create),
        )
        .route("/admin/utilisateurs/nouveau", get(handlers::new_form))
        .route("/admin/utilisateurs/{id}/role", post(handlers::change_role))
        .route(
            "/admin/utilisateurs/{id}/desactiver",
            post(handlers::deactivate),
        )
        .route(
            "/admin/utilisateurs/{id}/reactiver",
            post(handlers::reactivate),
        )
}
