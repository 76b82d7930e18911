//! Products: the product sheet, its life-cycle phases, members, and history.

pub mod db;
pub mod edit;
pub mod extract;
pub mod handlers;
pub mod model;
pub mod views;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/produits", get(handlers::list).post(handlers::create))
        .route("/produits/nouveau", get(handlers::new_form))
        .route("/produits/{slug}", get(handlers::show))
        .route(
            "/produits/{slug}/modifier",
            get(handlers::edit_form).post(handlers::update),
        )
        .route(
            "/produits/{slug}/archiver",
            get(handlers::archive_confirm).post(handlers::archive),
        )
        .route("/produits/{slug}/restaurer", post(handlers::restore))
        .route(
            "/produits/{slug}/phase",
            get(handlers::phase_form).post(handlers::change_phase),
        )
        .route(
            "/produits/{slug}/membres",
            get(handlers::members).post(handlers::add_member),
        )
        .route(
            "/produits/{slug}/membres/retirer",
            post(handlers::remove_member),
        )
        .route("/produits/{slug}/historique", get(handlers::history))
}
