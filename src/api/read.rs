//! The API's reads: the portfolio's products with their health (filtered as on the dashboard,
//! a page at a time), one product with its vision, its objectives and indicators, and the
//! portfolio's late indicators. Each a fixed number of statements whatever the size.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, Uri, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    keys::Caller,
    model::{
        Indicator, Indicators, LateIndicator, LateIndicators, Objective, ProductPage,
        ProductSummary,
    },
    problem::{ApiResult, Problem},
};
use crate::{
    indicators::model::{Status, assess},
    portfolio::{
        self,
        model::{DashboardQuery, Filters, Selection},
    },
    state::AppState,
    web::{Path, filters::today},
};

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 500;

/// The page of a list: `after` the key of the last item seen, `limit` items at most.
#[derive(Deserialize, Default, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next` of the previous page.
    after: Option<String>,
    /// From 1 to 500 (100 by default).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

/// The dashboard's filters, under the same names as its address.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the parameters; they are read through `DashboardQuery`.
pub struct FilterParams {
    /// Direction ids (repeatable).
    direction: Option<Vec<String>>,
    /// Phase ids (repeatable).
    phase: Option<Vec<String>>,
    /// Typology codes (repeatable).
    typologie: Option<Vec<String>>,
    /// `actifs` (default), `archives` or `tous`.
    archives: Option<String>,
    /// Words of the product's name or description.
    q: Option<String>,
    /// Vision incomplete, or due for review (repeatable).
    #[param(inline, value_type = Option<Vec<VisionFilter>>)]
    vision: Option<Vec<String>>,
    /// An indicator late, or without a recent measurement (repeatable).
    #[param(inline, value_type = Option<Vec<IndicatorFilter>>)]
    indicateurs: Option<Vec<String>>,
    /// No current roadmap, or the current one ends within 30 days (repeatable).
    #[param(inline, value_type = Option<Vec<RoadmapFilter>>)]
    roadmap: Option<Vec<String>>,
    /// A RACI problem; `non-valide` is any of the first three (repeatable).
    #[param(inline, value_type = Option<Vec<RaciFilter>>)]
    raci: Option<Vec<String>>,
}

// The health filters' values, for the document (the handler checks them in
// `check_health_filters`, against the dashboard's own codes).
#[derive(ToSchema)]
#[allow(dead_code)]
enum VisionFilter {
    #[schema(rename = "incomplete")]
    Incomplete,
    #[schema(rename = "a-revoir")]
    Due,
}

#[derive(ToSchema)]
#[allow(dead_code)]
enum IndicatorFilter {
    #[schema(rename = "en-retard")]
    Late,
    #[schema(rename = "obsoletes")]
    Stale,
}

#[derive(ToSchema)]
#[allow(dead_code)]
enum RoadmapFilter {
    #[schema(rename = "sans")]
    NoneCurrent,
    #[schema(rename = "fin-30-jours")]
    Ending,
}

#[derive(ToSchema)]
#[allow(dead_code)]
enum RaciFilter {
    #[schema(rename = "aucun-a")]
    NoA,
    #[schema(rename = "plusieurs-a")]
    SeveralA,
    #[schema(rename = "aucun-r")]
    NoR,
    #[schema(rename = "absente")]
    Missing,
    #[schema(rename = "non-valide")]
    Invalid,
}

impl PageQuery {
    fn parse(uri: &Uri) -> ApiResult<(Option<String>, usize)> {
        let bad_limit = || {
            Problem::new(
                axum::http::StatusCode::BAD_REQUEST,
                format!(
                    "Le paramètre « limit » doit être un nombre entier de 1 à {MAX_LIMIT}, donné une fois."
                ),
            )
        };
        let pairs: Vec<(String, String)> =
            serde_html_form::from_str(uri.query().unwrap_or_default()).map_err(|_| bad_limit())?;
        let value = |name: &str| -> Vec<&str> {
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        let limit = match value("limit").as_slice() {
            [] => DEFAULT_LIMIT,
            [raw] => match raw.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(bad_limit()),
            },
            _ => return Err(bad_limit()),
        };
        let after = value("after").last().map(|a| a.to_string());
        Ok((after.filter(|a| !a.is_empty()), limit))
    }
}

/// `Link: <…?after=…>; rel="next"` when there is a next page.
fn with_next_link(uri: &Uri, next: Option<&str>, response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    if let Some(next) = next {
        let kept: Vec<(String, String)> =
            serde_html_form::from_str::<Vec<(String, String)>>(uri.query().unwrap_or_default())
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| k != "after")
                .chain([("after".to_owned(), next.to_owned())])
                .collect();
        let query = serde_html_form::to_string(&kept).unwrap_or_default();
        // Under `nest`, the handler sees the path without the API's prefix.
        let path = uri.path();
        let prefix = if path.starts_with(super::PREFIX) {
            ""
        } else {
            super::PREFIX
        };
        let link = format!("<{prefix}{path}?{query}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

/// The portfolio's products, with the dashboard's health, in the order of their `slug`.
#[utoipa::path(
    get,
    path = "/produits",
    tag = "Produits",
    params(PageQuery, FilterParams),
    responses(
        (status = 200, description = "Une page de produits ; la suivante dans l’en-tête Link", body = ProductPage),
        (status = 400, description = "Paramètre de page ou valeur de filtre incorrects", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn products(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
) -> ApiResult<Response> {
    let (after, limit) = PageQuery::parse(&uri)?;
    let mut query: DashboardQuery =
        serde_html_form::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    query.mes.clear();
    check_health_filters(&query)?;
    let filters = Filters::parse(&query);
    let today = today();
    let all = portfolio_rows(&state, today).await?;
    let visible: Vec<_> = all
        .iter()
        .filter(|row| caller.reads(row.id))
        .cloned()
        .collect();
    let Selection { mut rows, .. } = portfolio::model::select(visible, &filters, today);
    rows.sort_by(|a, b| a.slug.cmp(&b.slug));
    let items: Vec<ProductSummary> = rows
        .iter()
        .filter(|row| after.as_deref().is_none_or(|after| &*row.slug > after))
        .take(limit + 1)
        .map(ProductSummary::of)
        .collect();
    Ok(page(&uri, items, limit, |p| p.slug.clone()))
}

/// The pages forgive an unknown filter value (an old bookmark still opens); a program is told.
fn check_health_filters(query: &DashboardQuery) -> ApiResult<()> {
    use portfolio::model::Concern;
    for (key, values) in [
        ("vision", &query.vision),
        ("indicateurs", &query.indicateurs),
        ("roadmap", &query.roadmap),
        ("raci", &query.raci),
    ] {
        let mut known: Vec<&str> = Concern::ALL
            .iter()
            .filter(|c| c.key() == key)
            .map(|c| c.code())
            .collect();
        if key == "raci" {
            known.push("non-valide");
        }
        if let Some(bad) = values.iter().find(|v| !known.contains(&v.trim())) {
            return Err(Problem::new(
                axum::http::StatusCode::BAD_REQUEST,
                format!(
                    "Le filtre « {key} » n’accepte pas « {} » : valeurs possibles : {}.",
                    bad.chars().take(40).collect::<String>(),
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn page(
    uri: &Uri,
    mut items: Vec<ProductSummary>,
    limit: usize,
    key: impl Fn(&ProductSummary) -> String,
) -> Response {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(&key)
    } else {
        None
    };
    let body = Json(ProductPage {
        items,
        next: next.clone(),
    });
    with_next_link(uri, next.as_deref(), body)
}

/// A product with its health and its current vision.
#[derive(Serialize, ToSchema)]
pub struct ProductDetail {
    #[serde(flatten)]
    pub summary: ProductSummary,
    pub vision: Option<Vision>,
}

#[derive(Serialize, ToSchema)]
pub struct Vision {
    pub statement: String,
    pub raison_detre: String,
    pub users: String,
    pub problems: String,
    pub solution: String,
    pub impact: String,
    pub alignment: String,
    pub version: i32,
    pub edited_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// Every product's dashboard row as of now, from the rows kept between changes.
pub(super) async fn portfolio_rows(
    state: &AppState,
    today: chrono::NaiveDate,
) -> ApiResult<std::sync::Arc<Vec<portfolio::model::Row>>> {
    let stamp = portfolio::db::change_stamp(&state.db).await?;
    Ok(state.portfolio.rows(&state.db, &stamp, today).await?)
}

/// The indicator `id` (text from the path), its product, name and unit, or 404 (also for an
/// indicator the key may not read).
pub(super) async fn indicator_of(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> ApiResult<(uuid::Uuid, uuid::Uuid, String, String)> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| Problem::not_found())?;
    let (product, name, unit) = crate::indicators::db::product_of(&state.db, id)
        .await?
        .filter(|(product, ..)| caller.reads(*product))
        .ok_or_else(Problem::not_found)?;
    Ok((id, product, name, unit))
}

/// The product's row of the portfolio, or 404 (also for a product the key may not read).
pub(super) async fn product_row(
    state: &AppState,
    caller: &Caller,
    slug: &str,
) -> ApiResult<portfolio::model::Row> {
    let all = portfolio_rows(state, today()).await?;
    all.iter()
        .find(|row| &*row.slug == slug && caller.reads(row.id))
        .cloned()
        .ok_or_else(Problem::not_found)
}

/// One product: its fields, its health and its current vision.
#[utoipa::path(
    get,
    path = "/produits/{slug}",
    tag = "Produits",
    params(("slug" = String, Path, description = "L’identifiant d’adresse du produit")),
    responses(
        (status = 200, description = "Le produit", body = ProductDetail),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Produit inconnu, ou hors de la portée de la clé", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn product(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<ProductDetail>> {
    let row = product_row(&state, &caller, &slug).await?;
    let vision = crate::vision::db::find(&state.db, row.id).await?;
    Ok(Json(ProductDetail {
        summary: ProductSummary::of(&row),
        vision: vision.map(|v| Vision {
            statement: v.text.statement,
            raison_detre: v.text.raison_detre,
            users: v.text.users,
            problems: v.text.problems,
            solution: v.text.solution,
            impact: v.text.impact,
            alignment: v.text.alignment,
            version: v.version,
            edited_at: v.edited_at,
            reviewed_at: v.reviewed_at,
        }),
    }))
}

/// The product's objectives and indicators, each with its targets, status and measurements.
#[utoipa::path(
    get,
    path = "/produits/{slug}/indicateurs",
    tag = "Indicateurs",
    params(("slug" = String, Path, description = "L’identifiant d’adresse du produit")),
    responses(
        (status = 200, description = "Objectifs et indicateurs", body = Indicators),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Produit inconnu, ou hors de la portée de la clé", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn indicators(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Indicators>> {
    let row = product_row(&state, &caller, &slug).await?;
    let (objectives, indicators) =
        crate::indicators::db::objectives_and_indicators(&state.db, row.id, None).await?;
    let today = today();
    Ok(Json(Indicators {
        objectives: objectives
            .into_iter()
            .map(|o| Objective {
                id: o.id,
                title: o.title,
                description: o.description,
            })
            .collect(),
        indicators: indicators.iter().map(|i| Indicator::of(i, today)).collect(),
    }))
}

/// The portfolio's late indicators (active products the key may read), by product.
#[utoipa::path(
    get,
    path = "/portefeuille/indicateurs-en-retard",
    tag = "Portefeuille",
    responses(
        (status = 200, description = "Les indicateurs en retard", body = LateIndicators),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn late_indicators(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<LateIndicators>> {
    let today = today();
    let all = portfolio_rows(&state, today).await?;
    // The stored health says which products have late indicators; only theirs are read.
    let concerned: Vec<_> = all
        .iter()
        .filter(|r| !r.archived && r.indicators.late > 0 && caller.reads(r.id))
        .collect();
    let ids: Vec<uuid::Uuid> = concerned.iter().map(|r| r.id).collect();
    let indicators = crate::indicators::db::indicators_of(&state.db, &ids).await?;
    let mut items = Vec::new();
    for row in concerned {
        for i in indicators.iter().filter(|(product, _)| *product == row.id) {
            if assess(&i.1.spec(), &i.1.points(), today).status == Status::Late {
                items.push(LateIndicator {
                    product: row.slug.to_string(),
                    product_name: row.name.to_string(),
                    indicator: Indicator::of(&i.1, today),
                });
            }
        }
    }
    Ok(Json(LateIndicators { items }))
}

#[derive(Serialize, ToSchema)]
pub struct VisionVersions {
    /// Newest first.
    pub versions: Vec<VisionVersion>,
}

#[derive(Serialize, ToSchema)]
pub struct VisionVersion {
    pub number: i32,
    pub statement: String,
    pub raison_detre: String,
    pub users: String,
    pub problems: String,
    pub solution: String,
    pub impact: String,
    pub alignment: String,
    /// The people credited with it, as saved.
    pub contributors: String,
    /// The version this one restored, if it is a restoration.
    pub restored_from: Option<i32>,
    pub saved_by: String,
    pub saved_at: DateTime<Utc>,
}

/// Every saved version of the product's vision, newest first.
#[utoipa::path(
    get,
    path = "/produits/{slug}/vision/versions",
    tag = "Produits",
    params(("slug" = String, Path, description = "L’identifiant d’adresse du produit")),
    responses(
        (status = 200, description = "Les versions de la vision", body = VisionVersions),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Produit inconnu, ou hors de la portée de la clé", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn vision_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<VisionVersions>> {
    let row = product_row(&state, &caller, &slug).await?;
    let versions = crate::vision::db::versions(&state.db, row.id).await?;
    Ok(Json(VisionVersions {
        versions: versions
            .into_iter()
            .map(|v| VisionVersion {
                number: v.number,
                statement: v.text.statement,
                raison_detre: v.text.raison_detre,
                users: v.text.users,
                problems: v.text.problems,
                solution: v.text.solution,
                impact: v.text.impact,
                alignment: v.text.alignment,
                contributors: v.contributors,
                restored_from: v.restored_from,
                saved_by: v.saved_by_name,
                saved_at: v.saved_at,
            })
            .collect(),
    }))
}
