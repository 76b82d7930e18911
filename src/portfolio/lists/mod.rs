//! The lists across products that leadership works from (`/portefeuille/indicateurs`,
//! `…/risques`, `…/roadmaps`, `…/raci`, `…/visions`): one line per item with the product it
//! belongs to and a link to the exact place where it is fixed. The products are filtered as on
//! the dashboard (direction, phase, typology, "mes produits", several choices each); each list
//! has its own "état" filter. Columns sort, pages hold 50 lines, and the CSV export holds exactly
//! the lines the filters keep. A page is a fixed number of queries whatever the portfolio: the
//! session's, the products with their stored health, the directions and phases, and the list's
//! own one.

pub(crate) mod indicators;
pub(crate) mod raci;
mod risks;
mod roadmaps;
pub(crate) mod visions;

use std::cmp::Ordering;

use askama::Template;
use axum::{
    Router,
    extract::State,
    http::Uri,
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    auth::Viewer,
    error::{AppError, AppResult},
    products::{self, model::Typology},
    state::AppState,
    web::{
        Layout, Query, filters,
        pagination::{Page, Pagination},
        url_encode,
    },
};

use super::{HeaderCell, export, model::Row};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    Indicators,
    Risks,
    Roadmaps,
    Raci,
    Visions,
}

impl List {
    pub const ALL: [List; 5] = [
        Self::Indicators,
        Self::Risks,
        Self::Roadmaps,
        Self::Raci,
        Self::Visions,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Indicators => "indicateurs",
            Self::Risks => "risques",
            Self::Roadmaps => "roadmaps",
            Self::Raci => "raci",
            Self::Visions => "visions",
        }
    }

    pub fn path(self) -> String {
        format!("/portefeuille/{}", self.code())
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Indicators => "Indicateurs du portefeuille",
            Self::Risks => "Risques et dépendances du portefeuille",
            Self::Roadmaps => "Roadmaps du portefeuille",
            Self::Raci => "Activités RACI à corriger",
            Self::Visions => "Visions du portefeuille",
        }
    }

    fn intro(self) -> &'static str {
        match self {
            Self::Indicators => {
                "Chaque indicateur de chaque produit, avec son statut et la raison de ce statut."
            }
            Self::Risks => {
                "Les risques et dépendances des roadmaps en cours ou à venir de chaque produit."
            }
            Self::Roadmaps => {
                "Où en est la roadmap de chaque produit : sa période, son avancement, sa fin, son prochain jalon et ses liens de partage."
            }
            Self::Raci => {
                "Les activités dont la matrice RACI n’a pas exactement un A (qui rend compte) ou n’a aucun R (qui réalise)."
            }
            Self::Visions => {
                "La vision de chaque produit : sa complétude, ce qui manque et sa dernière revue."
            }
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Indicators => &[
                "Produit",
                "Indicateur",
                "Statut",
                "Type",
                "Dernière valeur",
                "Date de la mesure",
                "Cible",
                "Responsable",
            ],
            Self::Risks => &[
                "Produit",
                "Roadmap",
                "Type",
                "Description",
                "Niveau",
                "Responsable",
                "Mesures",
                "Statut",
            ],
            Self::Roadmaps => &[
                "Produit",
                "Roadmap",
                "État",
                "Avancement",
                "Fin",
                "Prochain jalon",
                "Premier lien de partage expirant",
            ],
            Self::Raci => &["Produit", "Activité", "Problème", "A", "R"],
            Self::Visions => &[
                "Produit",
                "Complétude",
                "Éléments manquants",
                "Dernière revue",
                "Revue",
            ],
        }
    }

    /// The choices of the list's "état" filter: (code in the URL, label).
    fn states(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Indicators => &[
                ("en-retard", "En retard"),
                ("obsolete", "Obsolète (sans mesure récente)"),
                ("a-surveiller", "À surveiller"),
                ("sans-donnees", "Pas de données"),
                ("en-bonne-voie", "En bonne voie"),
            ],
            Self::Risks => &[
                ("fort-ouvert", "Fort et ouvert"),
                ("ouvert", "Ouvert"),
                ("maitrise", "Maîtrisé"),
                ("clos", "Clos"),
            ],
            Self::Roadmaps => &[
                ("fin-30-jours", "Se termine dans les 30 jours"),
                ("sans-en-cours", "Pas de roadmap en cours"),
                (
                    "lien-14-jours",
                    "Lien de partage expirant dans les 14 jours",
                ),
                ("en-cours", "Roadmap en cours"),
            ],
            Self::Raci => &[
                ("aucun-a", "Aucun A"),
                ("plusieurs-a", "Plusieurs A"),
                ("aucun-r", "Aucun R"),
            ],
            Self::Visions => &[
                ("incomplete", "Incomplète"),
                ("a-revoir", "À revoir"),
                ("non-redigee", "Non rédigée"),
                ("complete", "Complète et à jour"),
            ],
        }
    }

    fn empty(self) -> &'static str {
        match self {
            Self::Indicators => "Aucun indicateur ne correspond à ces filtres.",
            Self::Risks => "Aucun risque ni aucune dépendance ne correspond à ces filtres.",
            Self::Roadmaps => "Aucun produit ne correspond à ces filtres.",
            Self::Raci => {
                "Aucune activité à corriger pour ces filtres : chaque matrice remplie a un seul A et au moins un R par activité."
            }
            Self::Visions => "Aucune vision ne correspond à ces filtres.",
        }
    }
}

/// A cell, typed so that sorting, the page and the exports each read it right.
#[derive(Clone, Debug)]
pub enum Value {
    Text(String),
    Link {
        text: String,
        url: String,
    },
    /// A link sorted by its date.
    DatedLink {
        date: NaiveDate,
        text: String,
        url: String,
    },
    /// A status in a few words, its DSFR badge variant, its rank for sorting (higher is worse),
    /// and the sentence that explains it (may be empty).
    Status {
        text: String,
        kind: &'static str,
        rank: i32,
        detail: String,
    },
    Date(Option<NaiveDate>),
    Number {
        value: Option<f64>,
        text: String,
    },
}

impl Value {
    pub fn text(&self) -> String {
        match self {
            Self::Status { text, detail, .. } if !detail.is_empty() => format!("{text} : {detail}"),
            Self::Text(text)
            | Self::Link { text, .. }
            | Self::DatedLink { text, .. }
            | Self::Status { text, .. } => text.clone(),
            Self::Number { text, .. } => text.clone(),
            Self::Date(date) => date.map(filters::date_short).unwrap_or_default(),
        }
    }

    fn compare(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Status { rank: a, .. }, Self::Status { rank: b, .. }) => a.cmp(b),
            (Self::DatedLink { date: a, .. }, Self::DatedLink { date: b, .. }) => a.cmp(b),
            // Empty last whichever the order: None sorts after any date or number ascending.
            (Self::Date(a), Self::Date(b)) => match (a, b) {
                (Some(a), Some(b)) => a.cmp(b),
                (a, b) => b.is_some().cmp(&a.is_some()).reverse(),
            },
            (Self::Number { value: a, .. }, Self::Number { value: b, .. }) => match (a, b) {
                (Some(a), Some(b)) => a.total_cmp(b),
                (a, b) => b.is_some().cmp(&a.is_some()).reverse(),
            },
            _ => filters::french_order(&self.text(), &other.text()),
        }
    }
}

/// A line of a list: its cells in the list's column order (the first is the product), and the
/// "état" codes it matches.
#[derive(Clone, Debug)]
pub struct Item {
    pub cells: Vec<Value>,
    pub states: Vec<&'static str>,
}

/// The product cell every list starts with.
pub fn product_cell(row: &Row) -> Value {
    Value::Link {
        text: row.name.to_string(),
        url: format!("/produits/{}", row.slug),
    }
}

/// The query string as sent; repeated keys are the choices of a filter. Unknown values are
/// ignored, so that an old bookmark still opens.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub direction: Vec<String>,
    pub phase: Vec<String>,
    pub typologie: Vec<String>,
    /// `oui`: only the viewer's products.
    pub mes: String,
    pub etat: Vec<String>,
    /// The sorted column, from 1.
    pub tri: String,
    pub ordre: String,
    /// A page number from 1, or `tout`.
    pub page: String,
}

/// Which products, as the dashboard filters them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductFilters {
    pub directions: Vec<Uuid>,
    pub phases: Vec<Uuid>,
    pub typologies: Vec<Typology>,
    /// Only products the viewer is a member or a person of.
    pub mine: bool,
}

impl ProductFilters {
    /// The choices as sent: repeated `direction`, `phase` and `typologie`, and `mes=oui`.
    pub fn parse(
        directions: &[String],
        phases: &[String],
        typologies: &[String],
        mine: &str,
    ) -> Self {
        let uuids = |values: &[String]| {
            let mut ids: Vec<Uuid> = Vec::new();
            for id in values.iter().filter_map(|v| Uuid::parse_str(v.trim()).ok()) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            ids
        };
        let mut kinds: Vec<Typology> = Vec::new();
        for t in typologies.iter().filter_map(|t| Typology::parse(t.trim())) {
            if !kinds.contains(&t) {
                kinds.push(t);
            }
        }
        Self {
            directions: uuids(directions),
            phases: uuids(phases),
            typologies: kinds,
            mine: mine.trim() == "oui",
        }
    }

    /// Whether every filter keeps the product (a filter without choices keeps all).
    pub fn matches(&self, row: &Row) -> bool {
        (self.directions.is_empty() || self.directions.contains(&row.direction_id))
            && (self.phases.is_empty() || self.phases.contains(&row.phase_id))
            && (self.typologies.is_empty() || self.typologies.contains(&row.typology))
            && (!self.mine || row.mine)
    }

    /// Active products that every filter keeps.
    pub fn keeps(&self, row: &Row) -> bool {
        !row.archived && self.matches(row)
    }

    pub fn push_query(&self, parts: &mut Vec<String>) {
        parts.extend(self.directions.iter().map(|d| format!("direction={d}")));
        parts.extend(self.phases.iter().map(|p| format!("phase={p}")));
        parts.extend(
            self.typologies
                .iter()
                .map(|t| format!("typologie={}", t.code())),
        );
        if self.mine {
            parts.push("mes=oui".into());
        }
    }
}

#[derive(Clone, Debug)]
struct ListFilters {
    list: List,
    products: ProductFilters,
    states: Vec<&'static str>,
    /// Column index and descending.
    sort: Option<(usize, bool)>,
    page: Page,
}

impl ListFilters {
    fn parse(list: List, query: &ListQuery) -> Self {
        let states = list
            .states()
            .iter()
            .map(|(code, _)| *code)
            .filter(|code| query.etat.iter().any(|s| s.trim() == *code))
            .collect();
        let sort = query
            .tri
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=list.columns().len()).contains(n))
            .map(|n| (n - 1, query.ordre.trim() == "desc"));
        Self {
            list,
            products: ProductFilters::parse(
                &query.direction,
                &query.phase,
                &query.typologie,
                &query.mes,
            ),
            states,
            sort,
            page: Page::parse(&query.page),
        }
    }

    /// The query string of this view with the sort and page changed.
    fn query(&self, sort: Option<(usize, bool)>, page: Page) -> String {
        let mut parts = Vec::new();
        self.products.push_query(&mut parts);
        parts.extend(self.states.iter().map(|s| format!("etat={s}")));
        if let Some((column, descending)) = sort {
            parts.push(format!("tri={}", column + 1));
            if descending {
                parts.push("ordre=desc".into());
            }
        }
        parts.extend(page.query_part());
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    fn filtered(&self) -> bool {
        self.products != ProductFilters::default() || !self.states.is_empty()
    }
}

/// The list's lines for these filters, sorted: what the page shows (a page of it) and the
/// export holds.
async fn items(
    state: &AppState,
    viewer: &Viewer,
    filters: &ListFilters,
    today: NaiveDate,
) -> AppResult<Vec<Item>> {
    let mut rows = super::rows(state, viewer, None).await?;
    if viewer.user.role.is_admin() {
        rows.iter_mut().for_each(|r| r.editor = true);
    }
    let kept: Vec<&Row> = rows.iter().filter(|r| filters.products.keeps(r)).collect();
    let db = &state.db;
    let mut items = match filters.list {
        List::Indicators => indicators::items(db, &kept, today).await?,
        List::Risks => risks::items(db, &kept, today).await?,
        List::Roadmaps => roadmaps::items(db, &kept, today).await?,
        List::Raci => raci::items(db, &kept).await?,
        List::Visions => visions::items(db, &kept).await?,
    };
    if !filters.states.is_empty() {
        items.retain(|item| item.states.iter().any(|s| filters.states.contains(s)));
    }
    // Product then the item's own name, unless a column is chosen.
    let (column, descending) = filters.sort.unwrap_or((0, false));
    items.sort_by(|a, b| {
        let order = match (a.cells.get(column), b.cells.get(column)) {
            (Some(x), Some(y)) => x.compare(y),
            _ => Ordering::Equal,
        };
        let order = if descending { order.reverse() } else { order };
        order
            .then_with(|| a.cells[0].compare(&b.cells[0]))
            .then_with(|| match (a.cells.get(1), b.cells.get(1)) {
                (Some(x), Some(y)) => x.compare(y),
                _ => Ordering::Equal,
            })
    });
    Ok(items)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portefeuille/indicateurs", get(show))
        .route("/portefeuille/indicateurs.csv", get(show))
        .route("/portefeuille/indicateurs.xlsx", get(show))
        .route("/portefeuille/risques", get(show))
        .route("/portefeuille/risques.csv", get(show))
        .route("/portefeuille/risques.xlsx", get(show))
        .route("/portefeuille/roadmaps", get(show))
        .route("/portefeuille/roadmaps.csv", get(show))
        .route("/portefeuille/roadmaps.xlsx", get(show))
        .route("/portefeuille/raci", get(show))
        .route("/portefeuille/raci.csv", get(show))
        .route("/portefeuille/raci.xlsx", get(show))
        .route("/portefeuille/visions", get(show))
        .route("/portefeuille/visions.csv", get(show))
        .route("/portefeuille/visions.xlsx", get(show))
}

/// `/portefeuille/indicateurs` is the page, `/portefeuille/indicateurs.csv` and `.xlsx` its
/// exports.
async fn show(
    state: State<AppState>,
    viewer: Viewer,
    uri: Uri,
    query: Query<ListQuery>,
) -> AppResult<Response> {
    let name = uri.path().trim_start_matches("/portefeuille/");
    let (code, format) = name.split_once('.').unwrap_or((name, ""));
    let list = List::ALL
        .into_iter()
        .find(|l| l.code() == code)
        .ok_or(AppError::NotFound)?;
    match format {
        "" => page(state, viewer, query, list).await,
        "csv" => download(state, viewer, query, list, false).await,
        "xlsx" => download(state, viewer, query, list, true).await,
        _ => Err(AppError::NotFound),
    }
}

/// A checkbox of the filter panel.
pub struct Check {
    pub id: String,
    pub name: &'static str,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub fn checks<V: ToString, L: ToString>(
    name: &'static str,
    choices: impl IntoIterator<Item = (V, L, bool)>,
) -> Vec<Check> {
    choices
        .into_iter()
        .enumerate()
        .map(|(i, (value, label, checked))| Check {
            id: format!("{name}-{}", i + 1),
            name,
            value: value.to_string(),
            label: label.to_string(),
            checked,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portfolio/list.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    intro: &'static str,
    path: String,
    headers: Vec<HeaderCell>,
    items: Vec<Item>,
    pagination: Pagination,
    /// The filter's checkbox groups: (legend, checkboxes).
    groups: Vec<(&'static str, Vec<Check>)>,
    mine: bool,
    filtered: bool,
    csv_url: String,
    xlsx_url: String,
    empty: &'static str,
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
    list: List,
) -> AppResult<Response> {
    let filters = ListFilters::parse(list, &query);
    let today = filters::today();
    let all = items(&state, &viewer, &filters, today).await?;
    let directions = products::db::directions(&state.db).await?;
    let phases = products::db::phases(&state.db).await?;
    let path = list.path();
    let (shown, pagination) = Pagination::cut(all, filters.page, |page| {
        format!("{path}{}", filters.query(filters.sort, page))
    });
    let headers = list
        .columns()
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let sorted =
                filters.sort.map(|(c, _)| c) == Some(i) || (filters.sort.is_none() && i == 0);
            let descending = filters.sort.is_some_and(|(_, d)| d);
            HeaderCell::sortable(label, sorted, descending, |descending| {
                format!(
                    "{path}{}",
                    filters.query(Some((i, descending)), Page::Number(1))
                )
            })
        })
        .collect();
    let p = &filters.products;
    let page = ListPage {
        layout: viewer.layout.in_section("portefeuille"),
        title: list.title(),
        intro: list.intro(),
        headers,
        items: shown,
        pagination,
        groups: vec![
            (
                "État",
                checks(
                    "etat",
                    list.states()
                        .iter()
                        .map(|(code, label)| (*code, *label, filters.states.contains(code))),
                ),
            ),
            (
                "Direction",
                checks(
                    "direction",
                    directions
                        .iter()
                        .map(|d| (d.id, &d.name, p.directions.contains(&d.id))),
                ),
            ),
            (
                "Phase",
                checks(
                    "phase",
                    phases
                        .iter()
                        .map(|ph| (ph.id, &ph.name, p.phases.contains(&ph.id))),
                ),
            ),
            (
                "Typologie",
                checks(
                    "typologie",
                    Typology::options().map(|(code, label)| {
                        let checked = p.typologies.iter().any(|t| t.code() == code);
                        (code, label, checked)
                    }),
                ),
            ),
        ],
        mine: p.mine,
        filtered: filters.filtered(),
        csv_url: format!("{path}.csv{}", filters.query(filters.sort, Page::Number(1))),
        xlsx_url: format!(
            "{path}.xlsx{}",
            filters.query(filters.sort, Page::Number(1))
        ),
        empty: list.empty(),
        path,
    };
    Ok(page.into_response())
}

async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
    list: List,
    xlsx: bool,
) -> AppResult<Response> {
    let filters = ListFilters::parse(list, &query);
    let today = filters::today();
    let rows: Vec<Vec<Value>> = items(&state, &viewer, &filters, today)
        .await?
        .into_iter()
        .map(|item| item.cells)
        .collect();
    let name = format!("{}-{}", list.code(), today.format("%Y-%m-%d"));
    if xlsx {
        let sheet = list.title().split(' ').next().unwrap_or("Liste");
        export::xlsx(list.columns(), &rows, sheet, &format!("{name}.xlsx"))
    } else {
        export::csv(list.columns(), &rows, &format!("{name}.csv"))
    }
}

/// A link to a list with these "état" codes chosen, for the dashboard's tiles.
pub fn link(list: List, states: &[&str]) -> String {
    let query: Vec<String> = states
        .iter()
        .map(|s| format!("etat={}", url_encode(s)))
        .collect();
    if query.is_empty() {
        list.path()
    } else {
        format!("{}?{}", list.path(), query.join("&"))
    }
}

crate::impl_page!(ListPage);
