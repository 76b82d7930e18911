//! Administration: accounts (list, create, change role, deactivate / reactivate) and the
//! reference lists (directions, phases).

mod handlers;
pub mod reference;
pub mod settings;
mod views;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

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
        .route("/admin/utilisateurs/{id}/debloquer", post(handlers::unlock))
        .route(
            "/admin/utilisateurs/{id}/proconnect",
            post(handlers::invite_proconnect),
        )
        .route(
            "/admin/parametres",
            get(settings::show).post(settings::save),
        )
        .route("/admin/{list}", get(reference::show).post(reference::add))
        .route("/admin/{list}/{id}/renommer", post(reference::rename))
        .route("/admin/{list}/{id}/monter", post(reference::move_up))
        .route("/admin/{list}/{id}/descendre", post(reference::move_down))
}
