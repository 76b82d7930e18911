//! Products: the product sheet, its life-cycle phases, members, and history.

pub mod db;
pub mod edit;
pub mod editing;
pub mod extract;
pub mod history;
pub mod lifecycle;
pub mod members;
pub mod model;
pub mod sheet;
pub mod views;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/produits", get(sheet::list).post(editing::create))
        .route("/produits/nouveau", get(editing::new_form))
        .route("/produits/{slug}", get(sheet::show))
        .route(
            "/produits/{slug}/modifier",
            get(editing::edit_form).post(editing::update),
        )
        .route(
            "/produits/{slug}/archiver",
            get(lifecycle::archive_confirm).post(lifecycle::archive),
        )
        .route("/produits/{slug}/restaurer", post(lifecycle::restore))
        .route(
            "/produits/{slug}/phase",
            get(lifecycle::phase_form).post(lifecycle::change_phase),
        )
        .route(
            "/produits/{slug}/membres",
            get(members::members).post(members::add_member),
        )
        .route(
            "/produits/{slug}/membres/retirer",
            post(members::remove_member),
        )
        .route("/produits/{slug}/historique", get(history::history))
}
