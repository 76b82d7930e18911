use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

use super::{activities, matrix, people};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/produits/{slug}/roles", get(matrix::index))
        .route("/produits/{slug}/roles/raci", post(matrix::save_matrix))
        .route("/produits/{slug}/roles/raci.csv", get(matrix::export))
        .route(
            "/produits/{slug}/roles/personnes",
            post(people::create_person),
        )
        .route(
            "/produits/{slug}/roles/personnes/nouvelle",
            get(people::new_person),
        )
        .route(
            "/produits/{slug}/roles/personnes/{id}/modifier",
            get(people::edit_person).post(people::update_person),
        )
        .route(
            "/produits/{slug}/roles/personnes/{id}/supprimer",
            get(people::confirm_delete_person).post(people::delete_person),
        )
        .route(
            "/produits/{slug}/roles/activites",
            post(activities::add_activity),
        )
        .route(
            "/produits/{slug}/roles/activites/nouvelle",
            get(activities::new_activity_form),
        )
        .route(
            "/produits/{slug}/roles/activites/{id}/modifier",
            get(activities::edit_activity).post(activities::rename_activity),
        )
        .route(
            "/produits/{slug}/roles/activites/{id}/monter",
            post(activities::activity_up),
        )
        .route(
            "/produits/{slug}/roles/activites/{id}/descendre",
            post(activities::activity_down),
        )
        .route(
            "/produits/{slug}/roles/activites/{id}/supprimer",
            get(activities::confirm_delete_activity).post(activities::delete_activity),
        )
}
