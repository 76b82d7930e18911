use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

use super::{items, roadmap, share};

pub fn router() -> Router<AppState> {
    let r = "/produits/{slug}/roadmaps/{id}";
    Router::new()
        .route(
            "/produits/{slug}/roadmaps",
            get(roadmap::index).post(roadmap::create),
        )
        .route(r, get(roadmap::show))
        .route(
            &format!("{r}/modifier"),
            get(roadmap::edit_form).post(roadmap::update),
        )
        .route(&format!("{r}/initiatives"), post(items::create_initiative))
        .route(
            &format!("{r}/initiatives/nouvelle"),
            get(items::new_initiative),
        )
        .route(
            &format!("{r}/initiatives/{{iid}}/modifier"),
            get(items::edit_initiative).post(items::update_initiative),
        )
        .route(
            &format!("{r}/initiatives/{{iid}}/supprimer"),
            get(items::confirm_delete_initiative).post(items::delete_initiative),
        )
        .route(&format!("{r}/risques"), post(items::create_risk))
        .route(&format!("{r}/risques/nouveau"), get(items::new_risk))
        .route(
            &format!("{r}/risques/{{rid}}/modifier"),
            get(items::edit_risk).post(items::update_risk),
        )
        .route(
            &format!("{r}/risques/{{rid}}/supprimer"),
            get(items::confirm_delete_risk).post(items::delete_risk),
        )
        .route(&format!("{r}/partages"), post(share::create_link))
        .route(
            &format!("{r}/partages/{{lid}}/revoquer"),
            get(share::confirm_revoke).post(share::revoke),
        )
        .route(
            &format!("{r}/partages/{{lid}}/renouveler"),
            post(share::renew_link),
        )
        .route("/r/{token}", get(share::public))
}
