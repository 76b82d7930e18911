//! The JSON API (`/api/v1`): products, indicators and the portfolio's late indicators to read,
//! measurements to push, each call authenticated by an API key (`keys`), every error a problem
//! (`problem`), described by an OpenAPI 3.1 document generated from the handlers (utoipa) and
//! served with a documentation page.

pub mod docs;
pub mod indicator_writes;
pub mod key_pages;
pub mod keys;
pub mod measurements;
pub mod model;
pub mod problem;
pub mod read;
pub mod sections;

use axum::{
    Json, Router,
    routing::{any, get, post},
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::state::AppState;

pub const PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "API de Boussole",
        version = "1",
        description = "Lire le portefeuille des produits numériques et envoyer les mesures des indicateurs. Chaque requête porte une clé d’API dans l’en-tête `Authorization: Bearer …` : une clé de produit, créée par ses éditeurs sur la page « Clés d’API » du produit (« Lecture », ou « Lecture, envoi de mesures et définition des indicateurs »), ou une clé du portefeuille, créée par un administrateur (lecture seule). Les erreurs suivent la RFC 9457 (`application/problem+json`)."
    ),
    servers((url = "/api/v1")),
    paths(
        read::products,
        read::product,
        read::vision_versions,
        read::indicators,
        indicator_writes::create,
        indicator_writes::show,
        indicator_writes::update,
        read::late_indicators,
        sections::portfolio_risks,
        sections::roadmaps,
        sections::raci,
        measurements::push
    ),
    modifiers(&BearerKey),
    tags(
        (name = "Produits", description = "Les produits du portefeuille et leur santé"),
        (name = "Indicateurs", description = "Objectifs, indicateurs et mesures"),
        (name = "Roadmaps et rôles", description = "Roadmaps, initiatives, risques, personnes et matrice RACI"),
        (name = "Portefeuille", description = "Les listes de la direction")
    )
)]
pub struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "cle",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("bsl_…")
                    .description(Some("Une clé d’API de Boussole"))
                    .build(),
            ),
        );
    }
}

/// The API's routes (written whole, `PREFIX` included, so that each reads as its address).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/produits", get(read::products))
        .route("/api/v1/produits/{slug}", get(read::product))
        .route(
            "/api/v1/produits/{slug}/indicateurs",
            get(read::indicators).post(indicator_writes::create),
        )
        .route(
            "/api/v1/indicateurs/{id}",
            get(indicator_writes::show).put(indicator_writes::update),
        )
        .route(
            "/api/v1/produits/{slug}/vision/versions",
            get(read::vision_versions),
        )
        .route("/api/v1/produits/{slug}/roadmaps", get(sections::roadmaps))
        .route("/api/v1/produits/{slug}/raci", get(sections::raci))
        .route(
            "/api/v1/portefeuille/indicateurs-en-retard",
            get(read::late_indicators),
        )
        .route(
            "/api/v1/portefeuille/risques",
            get(sections::portfolio_risks),
        )
        .route("/api/v1/indicateurs/{id}/mesures", post(measurements::push))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/docs", get(docs::page))
        .route("/api/v1/{*rest}", any(not_found))
}

async fn not_found() -> problem::Problem {
    problem::Problem::of_status(axum::http::StatusCode::NOT_FOUND)
}

/// The pages where keys are managed.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route(
            "/produits/{slug}/cles-api",
            get(key_pages::product_keys).post(key_pages::create_product_key),
        )
        .route(
            "/produits/{slug}/cles-api/{id}/revoquer",
            get(key_pages::confirm_product_revoke).post(key_pages::revoke_product_key),
        )
        .route(
            "/admin/cles-api",
            get(key_pages::portfolio_keys).post(key_pages::create_portfolio_key),
        )
        .route(
            "/admin/cles-api/{id}/revoquer",
            get(key_pages::confirm_portfolio_revoke).post(key_pages::revoke_portfolio_key),
        )
}

async fn openapi() -> Json<serde_json::Value> {
    Json(document())
}

/// The OpenAPI document, with the links from one operation's answer to the next (which
/// clients and schemathesis follow: a product's slug, an indicator's id).
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let slug_of_first = serde_json::json!({
        "operationId": "product",
        "parameters": {"slug": "$response.body#/items/0/slug"}
    });
    let links = [
        (
            "/produits",
            "get",
            serde_json::json!({
                "Produit": slug_of_first,
                "Indicateurs": {
                    "operationId": "indicators",
                    "parameters": {"slug": "$response.body#/items/0/slug"}
                }
            }),
        ),
        (
            "/produits/{slug}",
            "get",
            serde_json::json!({
                "Indicateurs": {
                    "operationId": "indicators",
                    "parameters": {"slug": "$response.body#/slug"}
                },
                "Roadmaps": {
                    "operationId": "roadmaps",
                    "parameters": {"slug": "$response.body#/slug"}
                },
                "RACI": {
                    "operationId": "raci",
                    "parameters": {"slug": "$response.body#/slug"}
                },
                "Versions": {
                    "operationId": "vision_versions",
                    "parameters": {"slug": "$response.body#/slug"}
                }
            }),
        ),
        (
            "/produits/{slug}/indicateurs",
            "get",
            serde_json::json!({
                "Mesures": {
                    "operationId": "push",
                    "parameters": {"id": "$response.body#/indicators/0/id"}
                },
                "Indicateur": {
                    "operationId": "show",
                    "parameters": {"id": "$response.body#/indicators/0/id"}
                }
            }),
        ),
        (
            "/indicateurs/{id}",
            "get",
            serde_json::json!({
                "Modifier": {
                    "operationId": "update",
                    "parameters": {"id": "$response.body#/id", "header.If-Match": "$response.header.ETag"}
                },
                "Mesures": {
                    "operationId": "push",
                    "parameters": {"id": "$response.body#/id"}
                }
            }),
        ),
    ];
    for (path, method, link) in links {
        if let Some(ok) = doc
            .pointer_mut(&format!(
                "/paths/{}/{method}/responses/200",
                path.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(|r| r.as_object_mut())
        {
            ok.insert("links".into(), link);
        }
    }
    doc
}
