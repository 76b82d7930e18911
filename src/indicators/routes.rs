use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

use super::{csv, indicator, measurements, objectives};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/produits/{slug}/indicateurs",
            get(objectives::index).post(indicator::create),
        )
        .route(
            "/produits/{slug}/indicateurs/nouveau",
            get(indicator::new_form),
        )
        .route(
            "/produits/{slug}/indicateurs/bibliotheque",
            get(indicator::library_page),
        )
        .route(
            "/produits/{slug}/indicateurs/mesures.csv",
            get(csv::export_product),
        )
        .route(
            "/produits/{slug}/indicateurs/exemple.csv",
            get(csv::example),
        )
        .route(
            "/produits/{slug}/indicateurs/import",
            get(csv::import_form).post(csv::import_preview),
        )
        .route(
            "/produits/{slug}/indicateurs/import/confirmer",
            post(csv::import_commit),
        )
        .route("/produits/{slug}/indicateurs/{id}", get(indicator::show))
        .route(
            "/produits/{slug}/indicateurs/{id}/modifier",
            get(indicator::edit_form).post(indicator::update),
        )
        .route(
            "/produits/{slug}/indicateurs/{id}/mesures",
            post(measurements::add_measurement),
        )
        .route(
            "/produits/{slug}/indicateurs/{id}/mesures.csv",
            get(csv::export_indicator),
        )
        .route(
            "/produits/{slug}/indicateurs/{id}/mesures/{mid}/modifier",
            get(measurements::measurement_form).post(measurements::update_measurement),
        )
        .route(
            "/produits/{slug}/indicateurs/{id}/mesures/{mid}/supprimer",
            get(measurements::confirm_delete_measurement).post(measurements::delete_measurement),
        )
        .route(
            "/produits/{slug}/objectifs",
            post(objectives::add_objective),
        )
        .route(
            "/produits/{slug}/objectifs/{id}/modifier",
            get(objectives::objective_form).post(objectives::update_objective),
        )
        .route(
            "/produits/{slug}/objectifs/{id}/supprimer",
            get(objectives::confirm_delete_objective).post(objectives::delete_objective),
        )
        .route(
            "/produits/{slug}/objectifs/{id}/monter",
            post(objectives::objective_up),
        )
        .route(
            "/produits/{slug}/objectifs/{id}/descendre",
            post(objectives::objective_down),
        )
}
