//! Accounts, sessions and sign-in: login / logout, password change, the session store, and the
//! extractors that tell handlers who is asking.

pub mod db;
pub mod extract;
pub mod handlers;
pub mod hashing;
pub mod identities;
pub mod model;
pub mod oidc;
pub mod proconnect;
pub mod session_store;
pub mod views;

use axum::{Router, routing::get};

use crate::state::AppState;

pub use extract::{AdminOnly, MaybeViewer, Viewer};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(handlers::login_form).post(handlers::login))
        .route("/logout", axum::routing::post(handlers::logout))
        .route("/login/proconnect", get(proconnect::start))
        .route("/login/proconnect/retour", get(proconnect::callback))
        .route("/logout/proconnect/retour", get(proconnect::logout_return))
        .route(
            "/compte/mot-de-passe",
            get(handlers::password_form).post(handlers::change_password),
        )
}
