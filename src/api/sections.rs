//! The API's reads of a product's roadmaps (with initiatives and risks) and of its people and
//! RACI matrix: one statement each besides the key and the product.

use axum::{Json, extract::State};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    keys::Caller,
    problem::{ApiResult, Problem},
    read::product_row,
};
use crate::{state::AppState, web::Path, web::filters::today};

#[derive(Serialize, ToSchema)]
pub struct Roadmaps {
    /// Latest first.
    pub roadmaps: Vec<Roadmap>,
}

#[derive(Serialize, ToSchema)]
pub struct Roadmap {
    pub id: Uuid,
    /// First day of its first month.
    pub start: NaiveDate,
    /// Last day of its last month.
    pub end: NaiveDate,
    /// `en-cours`, `a-venir` or `terminee`, on today's date.
    pub standing: &'static str,
    /// The objectives it serves first, in order.
    pub priorities: Vec<Uuid>,
    pub initiatives: Vec<Initiative>,
    pub risks: Vec<Risk>,
}

#[derive(Serialize, ToSchema)]
pub struct Initiative {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// `fonctionnalite`, `experimentation` or `action`.
    pub kind: &'static str,
    /// `prevue`, `en-cours`, `terminee` or `abandonnee`.
    pub status: &'static str,
    pub objective_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub milestone_on: Option<NaiveDate>,
    pub milestone: String,
}

#[derive(Serialize, ToSchema)]
pub struct Risk {
    pub id: Uuid,
    /// `risque` or `dependance`.
    pub kind: &'static str,
    pub description: String,
    pub owner: String,
    /// `faible`, `moyen` or `fort`.
    pub likelihood: &'static str,
    pub impact: &'static str,
    pub mitigation: String,
    /// `ouvert`, `maitrise` or `clos`.
    pub status: &'static str,
}

impl From<crate::roadmaps::db::Risk> for Risk {
    fn from(r: crate::roadmaps::db::Risk) -> Self {
        Self {
            id: r.id,
            kind: r.kind.code(),
            description: r.description,
            owner: r.owner,
            likelihood: r.likelihood.code(),
            impact: r.impact.code(),
            mitigation: r.mitigation,
            status: r.status.code(),
        }
    }
}

/// The product's roadmaps, latest first, each with its initiatives and risks.
#[utoipa::path(
    get,
    path = "/produits/{slug}/roadmaps",
    tag = "Roadmaps et rôles",
    params(("slug" = String, Path, description = "L’identifiant d’adresse du produit")),
    responses(
        (status = 200, description = "Les roadmaps", body = Roadmaps),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Produit inconnu, ou hors de la portée de la clé", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn roadmaps(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Roadmaps>> {
    let row = product_row(&state, &caller, &slug).await?;
    let (planned, _) = crate::roadmaps::db::planned(&state.db, row.id).await?;
    let today = today();
    Ok(Json(Roadmaps {
        roadmaps: planned
            .into_iter()
            .map(|p| {
                let window = p.roadmap.window;
                Roadmap {
                    id: p.roadmap.id,
                    start: window.start,
                    end: window.last_day(),
                    standing: if window.contains(today) {
                        "en-cours"
                    } else if window.start > today {
                        "a-venir"
                    } else {
                        "terminee"
                    },
                    priorities: p.roadmap.priorities,
                    initiatives: p
                        .initiatives
                        .into_iter()
                        .map(|i| Initiative {
                            id: i.id,
                            title: i.title,
                            description: i.description,
                            kind: i.kind.code(),
                            status: i.status.code(),
                            objective_id: i.objective_id,
                            starts_on: i.starts_on,
                            ends_on: i.ends_on,
                            milestone_on: i.milestone_on,
                            milestone: i.milestone,
                        })
                        .collect(),
                    risks: p.risks.into_iter().map(Risk::from).collect(),
                }
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Raci {
    pub people: Vec<Person>,
    pub activities: Vec<Activity>,
}

/// A person of the product (their e-mail address stays on the pages).
#[derive(Serialize, ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    pub organisation: String,
    /// `dnum`, `metier`, `prestataire` or `autre`.
    pub team: &'static str,
    pub role_title: String,
    /// Share of their time on the product, in percent.
    pub allocation: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct Activity {
    pub id: Uuid,
    pub name: String,
    /// Each person's letter on this activity (`R`, `A`, `A+R`, `C` or `I`).
    pub letters: Vec<Letter>,
}

#[derive(Serialize, ToSchema)]
pub struct Letter {
    pub person_id: Uuid,
    pub letter: &'static str,
}

/// The product's people and its RACI matrix.
#[utoipa::path(
    get,
    path = "/produits/{slug}/raci",
    tag = "Roadmaps et rôles",
    params(("slug" = String, Path, description = "L’identifiant d’adresse du produit")),
    responses(
        (status = 200, description = "Les personnes et la matrice RACI", body = Raci),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Produit inconnu, ou hors de la portée de la clé", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn raci(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Raci>> {
    let row = product_row(&state, &caller, &slug).await?;
    let matrix = crate::roles::db::matrix(&state.db, row.id).await?;
    Ok(Json(Raci {
        activities: matrix
            .activities
            .iter()
            .map(|a| Activity {
                id: a.id,
                name: a.name.clone(),
                letters: matrix
                    .people
                    .iter()
                    .filter_map(|p| {
                        matrix.cells.get(&(a.id, p.id)).map(|letter| Letter {
                            person_id: p.id,
                            letter: letter.code(),
                        })
                    })
                    .collect(),
            })
            .collect(),
        people: matrix
            .people
            .into_iter()
            .map(|p| Person {
                id: p.id,
                name: p.name,
                organisation: p.organisation,
                team: p.team.code(),
                role_title: p.role_title,
                allocation: p.allocation,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioRisks {
    pub items: Vec<PortfolioRisk>,
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioRisk {
    pub product: String,
    pub product_name: String,
    pub roadmap_id: Uuid,
    pub roadmap_start: NaiveDate,
    pub roadmap_end: NaiveDate,
    pub risk: Risk,
}

/// The risks and dependencies of the roadmaps in progress or to come, of the active products
/// the key may read (as the dashboard's list « Risques et dépendances »).
#[utoipa::path(
    get,
    path = "/portefeuille/risques",
    tag = "Portefeuille",
    responses(
        (status = 200, description = "Les risques et dépendances", body = PortfolioRisks),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn portfolio_risks(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PortfolioRisks>> {
    let today = today();
    let all = super::read::portfolio_rows(&state, today).await?;
    let readable: std::collections::HashMap<Uuid, &crate::portfolio::model::Row> = all
        .iter()
        .filter(|r| !r.archived && caller.reads(r.id))
        .map(|r| (r.id, r))
        .collect();
    let ids: Vec<Uuid> = readable.keys().copied().collect();
    let risks = crate::roadmaps::db::portfolio_risks(&state.db, &ids, today).await?;
    let mut items: Vec<PortfolioRisk> = risks
        .into_iter()
        .filter_map(|found| {
            let row = readable.get(&found.product_id)?;
            Some(PortfolioRisk {
                product: row.slug.to_string(),
                product_name: row.name.to_string(),
                roadmap_id: found.roadmap_id,
                roadmap_start: found.window.start,
                roadmap_end: found.window.last_day(),
                risk: Risk::from(found.risk),
            })
        })
        .collect();
    items.sort_by(|a, b| (&a.product, a.risk.id).cmp(&(&b.product, b.risk.id)));
    Ok(Json(PortfolioRisks { items }))
}
