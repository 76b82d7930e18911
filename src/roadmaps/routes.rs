use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

use super::handlers as h;

pub fn router() -> Router<AppState> {
    let r = "/produits/{slug}/roadmaps/{id}";
    Router::new()
        .route("/produits/{slug}/roadmaps", get(h::index).post(h::create))
        .route(r, get(h::show))
        .route(&format!("{r}/modifier"), get(h::edit_form).post(h::update))
        .route(&format!("{r}/initiatives"), post(h::create_initiative))
        .route(&format!("{r}/initiatives/nouvelle"), get(h::new_initiative))
        .route(
            &format!("{r}/initiatives/{{iid}}/modifier"),
            get(h::edit_initiative).post(h::update_initiative),
        )
        .route(
            &format!("{r}/initiatives/{{iid}}/supprimer"),
            get(h::confirm_delete_initiative).post(h::delete_initiative),
        )
        .route(&format!("{r}/risques"), post(h::create_risk))
        .route(&format!("{r}/risques/nouveau"), get(h::new_risk))
        .route(
            &format!("{r}/risques/{{rid}}/modifier"),
            get(h::edit_risk).post(h::update_risk),
        )
        .route(
            &format!("{r}/risques/{{rid}}/supprimer"),
            get(h::confirm_delete_risk).post(h::delete_risk),
        )
        .route(&format!("{r}/partages"), post(h::create_link))
        .route(
            &format!("{r}/partages/{{lid}}/revoquer"),
            get(h::confirm_revoke).post(h::revoke),
        )
        .route(
            &format!("{r}/partages/{{lid}}/renouveler"),
            post(h::renew_link),
        )
        .route("/r/{token}", get(h::public))
        .route("/portefeuille/calendrier", get(h::timeline))
}
