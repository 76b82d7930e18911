//! The portfolio dashboard (`/`): one row per product, filters and sort in the URL, counts per
//! phase, and a CSV export of exactly what is shown.

pub mod attention;
pub mod db;
pub mod health;
pub mod lists;
pub mod model;
pub mod timeline;

use askama::Template;
use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{
    auth::{Viewer, model::Role},
    error::AppResult,
    products::{self, model::Typology},
    state::AppState,
    web::{Choice, Layout, Query, csv::CsvWriter},
};

use crate::web::filters::today;
use model::{Column, DashboardQuery, Filters, Selection};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/portefeuille.csv", get(export))
        .route("/portefeuille/calendrier", get(timeline::timeline))
        .merge(lists::router())
}

pub struct HeaderCell {
    pub label: &'static str,
    pub url: String,
    /// `ascending` / `descending` on the sorted column, empty elsewhere.
    pub aria_sort: &'static str,
    pub next_order: &'static str,
}

impl HeaderCell {
    /// The header of a sortable column: `sorted` when the view is sorted on it, `descending`
    /// the view's order; `url(descending_next)` the view sorted on it, the other way when it
    /// already is.
    pub fn sortable(
        label: &'static str,
        sorted: bool,
        descending: bool,
        url: impl FnOnce(bool) -> String,
    ) -> Self {
        let descending_next = sorted && !descending;
        Self {
            label,
            url: url(descending_next),
            aria_sort: match (sorted, descending) {
                (true, false) => "ascending",
                (true, true) => "descending",
                _ => "",
            },
            next_order: if descending_next {
                "décroissant"
            } else {
                "croissant"
            },
        }
    }
}

pub enum Cell {
    Link { text: String, url: String },
    Text(String),
    Badges(Vec<(String, bool)>),
}

pub struct PhaseCount {
    pub name: String,
    pub count: usize,
    pub url: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "portfolio/index.html")]
struct DashboardPage {
    layout: Layout,
    headers: Vec<HeaderCell>,
    rows: Vec<Vec<Cell>>,
    directions: Vec<Choice>,
    phases: Vec<Choice>,
    typologies: Vec<Choice>,
    archived: Vec<Choice>,
    vision: Vec<Choice>,
    indicators: Vec<Choice>,
    roadmap: Vec<Choice>,
    raci: Vec<Choice>,
    inactive: Vec<Choice>,
    search: String,
    phase_counts: Vec<PhaseCount>,
    total_products: usize,
    export_url: String,
    timeline_url: String,
    filtered: bool,
    can_create: bool,
    tiles: Vec<attention::Tile>,
}

/// Every product with its health (see `health`), the viewer's marked as theirs.
pub async fn rows(state: &AppState, viewer: &Viewer) -> AppResult<Vec<model::Row>> {
    Ok(health::rows(&state.db, Some(viewer.user.id), today()).await?)
}

async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DashboardQuery>,
) -> AppResult<impl IntoResponse> {
    let filters = Filters::parse(&query);
    let all_rows = rows(&state, &viewer).await?;
    let total_products = all_rows.iter().filter(|r| !r.archived).count();
    let tiles = attention::tiles(&all_rows, today());
    let Selection { rows, phase_counts } = model::select(all_rows, &filters);
    let directions = products::db::directions(&state.db).await?;
    let phases = products::db::phases(&state.db).await?;
    let today = today();

    let headers = Column::ALL
        .into_iter()
        .map(|column| {
            HeaderCell::sortable(
                column.label(),
                filters.sort == column,
                filters.descending,
                |descending| format!("/{}", filters.query(Some((column, descending)))),
            )
        })
        .collect();
    let rows = rows
        .iter()
        .map(|row| {
            Column::ALL
                .into_iter()
                .map(|column| match column {
                    Column::Name => Cell::Link {
                        text: row.name.clone(),
                        url: format!("/produits/{}", row.slug),
                    },
                    Column::Compliance => Cell::Badges(
                        row.compliance()
                            .into_iter()
                            .map(|(l, ok)| (l.to_owned(), ok))
                            .collect(),
                    ),
                    Column::Vision => Cell::Badges(row.vision_badges()),
                    Column::Indicators => Cell::Badges(row.indicator_badges()),
                    Column::Roadmap => Cell::Badges(vec![row.roadmap.badge()]),
                    Column::Raci => Cell::Badges(vec![row.raci_badge()]),
                    other => Cell::Text(other.text(row, today)),
                })
                .collect()
        })
        .collect();
    let phase_counts = phases
        .iter()
        .map(|phase| {
            let count = phase_counts
                .iter()
                .find(|(id, _)| *id == phase.id)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let current = filters.phase == Some(phase.id);
            let target = Filters {
                phase: if current { None } else { Some(phase.id) },
                ..filters.clone()
            };
            PhaseCount {
                name: phase.name.clone(),
                count,
                url: format!("/{}", target.query(None)),
                current,
            }
        })
        .collect();
    let selected = |id: Option<uuid::Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
    let page = DashboardPage {
        headers,
        rows,
        directions: Choice::list(
            directions
                .iter()
                .map(|d| (d.id.to_string(), d.name.clone())),
            &selected(filters.direction),
        ),
        phases: Choice::list(
            phases.iter().map(|p| (p.id.to_string(), p.name.clone())),
            &selected(filters.phase),
        ),
        typologies: Choice::list(
            Typology::options(),
            filters.typology.map(Typology::code).unwrap_or_default(),
        ),
        archived: Choice::list(
            [
                ("actifs", "Produits actifs"),
                ("archives", "Produits archivés"),
                ("tous", "Tous les produits"),
            ],
            filters.archived.code(),
        ),
        vision: Choice::list(
            [
                ("incomplete", "Vision incomplète"),
                ("a-revoir", "Vision à revoir"),
            ],
            filters.vision.code(),
        ),
        indicators: Choice::list(
            [
                ("en-retard", "Au moins un indicateur en retard"),
                ("obsoletes", "Indicateurs obsolètes"),
            ],
            filters.indicators.code(),
        ),
        roadmap: Choice::list(
            [("sans", "Sans roadmap en cours")],
            if filters.without_roadmap { "sans" } else { "" },
        ),
        raci: Choice::list(
            [("non-valide", "RACI non valide ou absente")],
            if filters.invalid_raci {
                "non-valide"
            } else {
                ""
            },
        ),
        inactive: Choice::list(
            [("90", "Sans modification depuis 90 jours")],
            if filters.inactive { "90" } else { "" },
        ),
        search: filters.search.clone(),
        phase_counts,
        total_products,
        export_url: format!("/portefeuille.csv{}", filters.query(None)),
        timeline_url: format!("/portefeuille/calendrier{}", filters.query(None)),
        filtered: filters
            != Filters {
                sort: filters.sort,
                descending: filters.descending,
                ..Filters::default()
            },
        can_create: viewer.user.role != Role::Reader,
        tiles,
        layout: viewer.layout.in_section("portefeuille"),
    };
    Ok(page)
}

async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DashboardQuery>,
) -> AppResult<Response> {
    let filters = Filters::parse(&query);
    let Selection { rows, .. } = model::select(rows(&state, &viewer).await?, &filters);
    let today = today();
    let mut writer = CsvWriter::new();
    writer.row(Column::ALL.map(Column::label))?;
    for row in &rows {
        // Instants as ISO 8601 with the Paris offset, so that a spreadsheet reads them exactly.
        writer.row(Column::ALL.map(|c| match c {
            Column::Updated => crate::web::filters::datetime_iso(row.updated_at),
            other => other.text(row, today),
        }))?;
    }
    writer.into_download(&format!("portefeuille-{}.csv", today.format("%Y-%m-%d")))
}

crate::impl_page!(DashboardPage);
