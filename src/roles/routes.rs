use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

use super::handlers as h;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/produits/{slug}/roles", get(h::index))
        .route("/produits/{slug}/roles/raci", post(h::save_matrix))
        .route("/produits/{slug}/roles/raci.csv", get(h::export))
        .route("/produits/{slug}/roles/personnes", post(h::create_person))
        .route(
            "/produits/{slug}/roles/personnes/nouvelle",
            get(h::new_person),
        )
        .route(
            "/produits/{slug}/roles/personnes/{id}/modifier",
            get(h::edit_person).post(h::update_person),
        )
        .route(
            "/produits/{slug}/roles/personnes/{id}/supprimer",
            get(h::confirm_delete_person).post(h::delete_person),
        )
        .route("/produits/{slug}/roles/activites", post(h::add_activity))
        .route(
            "/produits/{slug}/roles/activites/nouvelle",
            get(h::new_activity_form),
        )
        .route(
            "/produits/{slug}/roles/activites/{id}/modifier",
            get(h::edit_activity).post(h::rename_activity),
        )
        .route(
            "/produits/{slug}/roles/activites/{id}/monter",
            post(h::activity_up),
        )
        .route(
            "/produits/{slug}/roles/activites/{id}/descendre",
            post(h::activity_down),
        )
        .route(
            "/produits/{slug}/roles/activites/{id}/supprimer",
            get(h::confirm_delete_activity).post(h::delete_activity),
        )
}
