//! The vision of a product: a one-sentence statement and its five elements, completeness,
//! co-construction, every saved version, and the review cadence.

pub mod db;
pub mod handlers;
pub mod model;
pub mod section;
pub mod views;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/produits/{slug}/vision/modifier",
            get(handlers::edit_form).post(handlers::save),
        )
        .route("/produits/{slug}/vision/relue", post(handlers::review))
        .route("/produits/{slug}/vision/historique", get(handlers::history))
        .route("/produits/{slug}/vision/comparer", get(handlers::compare))
        .route("/produits/{slug}/vision/restaurer", post(handlers::restore))
}
