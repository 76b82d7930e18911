//! Renders every error response as a French page in the site layout.
//!
//! Our handlers return `AppError`, which produces an empty response carrying an `ErrorDetail`;
//! layers (body limit, timeout, CSRF, panics) and axum's own rejections produce bare or
//! plain-text errors. This middleware gives all of them the same page, with the request id for
//! server errors and never any internal detail.

use askama::Template;
use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};

use crate::{error::ErrorDetail, state::AppState};

use super::Layout;

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub title: &'static str,
    pub explanation: &'static str,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

pub async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let api = super::security::is_api(request.uri().path());
    let response = next.run(request).await;
    let mut status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || !is_bare(&response) {
        return response;
    }
    if api {
        // A layer's error (body limit, timeout, panic) on the API: a problem, not a page.
        let mut problem = crate::api::problem::Problem::of_status(status).into_response();
        for name in [header::RETRY_AFTER, header::ALLOW] {
            if let Some(value) = response.headers().get(&name) {
                problem.headers_mut().insert(name, value.clone());
            }
        }
        return problem;
    }
    let detail = response.extensions().get::<ErrorDetail>().cloned();
    // Every error of ours carries an `ErrorDetail`, panics included; the one bare 500 is the
    // session layer's, when it cannot save the session — that is, when the database is away.
    if status == StatusCode::INTERNAL_SERVER_ERROR && detail.is_none() {
        tracing::warn!("the session could not be saved: database unavailable");
        status = StatusCode::SERVICE_UNAVAILABLE;
    }
    let (title, explanation) = describe(status);
    let page = ErrorPage {
        layout: Layout::new(&state.assets, None, Vec::new()),
        status: status.as_u16(),
        title,
        explanation,
        message: detail.and_then(|d| d.message),
        request_id: if status.is_server_error() {
            request_id
        } else {
            None
        },
    };
    let mut rendered = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "error page failed to render");
            (status, "Erreur").into_response()
        }
    };
    if status == StatusCode::TOO_MANY_REQUESTS
        && let Some(retry) = response.headers().get(header::RETRY_AFTER)
    {
        rendered
            .headers_mut()
            .insert(header::RETRY_AFTER, retry.clone());
    }
    rendered
}

/// An error response without a page of its own: empty, or plain text from a layer or extractor.
fn is_bare(response: &Response) -> bool {
    match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => {
            value == HeaderValue::from_static("text/plain; charset=utf-8")
                || value.as_bytes().starts_with(b"text/plain")
        }
    }
}

fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "Requête incorrecte",
            "La requête envoyée n’a pas pu être comprise.",
        ),
        401 => (
            "Connexion requise",
            "Connectez-vous pour accéder à cette page.",
        ),
        403 => (
            "Accès refusé",
            "Vous n’avez pas les droits nécessaires pour effectuer cette action, ou la demande ne provient pas de Boussole.",
        ),
        404 => (
            "Page non trouvée",
            "La page que vous cherchez est introuvable. Vérifiez l’adresse, ou revenez à l’accueil.",
        ),
        405 => (
            "Action non permise",
            "Cette adresse n’accepte pas ce type de requête.",
        ),
        409 => (
            "Conflit de modification",
            "Quelqu’un a modifié ces données pendant que vous les modifiiez.",
        ),
        413 => (
            "Envoi trop volumineux",
            "Les données envoyées dépassent la taille autorisée (1 Mio). Réduisez leur taille et réessayez.",
        ),
        415 => (
            "Format non pris en charge",
            "Le format des données envoyées n’est pas pris en charge.",
        ),
        422 => (
            "Données invalides",
            "Certaines données envoyées ne sont pas valides.",
        ),
        429 => (
            "Trop de tentatives",
            "Vous avez fait trop de tentatives en peu de temps.",
        ),
        503 | 504 | 408 => (
            "Service momentanément indisponible",
            "Boussole ne peut pas répondre pour le moment. Réessayez dans quelques instants.",
        ),
        500..=599 => (
            "Erreur inattendue",
            "Une erreur est survenue de notre côté. Réessayez dans quelques instants ; si le problème persiste, transmettez l’identifiant ci-dessous à l’équipe Boussole.",
        ),
        _ => ("Erreur", "La requête n’a pas abouti."),
    }
}
