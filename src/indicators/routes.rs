use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

use super::handlers as h;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/produits/{slug}/indicateurs",
            get(h::index).post(h::create),
        )
        .route("/produits/{slug}/indicateurs/nouveau", get(h::new_form))
        .route(
            "/produits/{slug}/indicateurs/bibliotheque",
            get(h::library_page),
        )
        .route(
            "/produits/{slug}/indicateurs/mesures.csv",
            get(h::export_product),
        )
        .route("/produits/{slug}/indicateurs/exemple.csv", get(h::example))
        .route(
            "/produits/{slug}/indicateurs/import",
            get(h::import_form).post(h::import_preview),
        )
        .route(
            "/produits/{slug}/indicateurs/import/confirmer",
            post(h::import_commit),
        )
        .route("/produits/{slug}/indicateurs/{id}", get(h::show))
        .route(
            "/produits/{slug}/indicateurs/{id}/modifier",
            get(h::edit_form).post(h::update),
        )
        .route(
            "/produits/{slug}/indicateurs/{id}/mesures",
            post(h::add_measurement),
        )
        .route(
            "/produits/{slug}/indicateurs/{id}/mesures.csv",
            get(h::export_indicator),
        )
        .route(
            "/produits/{slug}/indicateurs/{id}/mesures/{mid}/modifier",
            get(h::measurement_form).post(h::update_measurement),
        )
        .route(
            "/produits/{slug}/indicateurs/{id}/mesures/{mid}/supprimer",
            get(h::confirm_delete_measurement).post(h::delete_measurement),
        )
        .route("/produits/{slug}/objectifs", post(h::add_objective))
        .route(
            "/produits/{slug}/objectifs/{id}/modifier",
            get(h::objective_form).post(h::update_objective),
        )
        .route(
            "/produits/{slug}/objectifs/{id}/supprimer",
            get(h::confirm_delete_objective).post(h::delete_objective),
        )
        .route(
            "/produits/{slug}/objectifs/{id}/monter",
            post(h::objective_up),
        )
        .route(
            "/produits/{slug}/objectifs/{id}/descendre",
            post(h::objective_down),
        )
}
