//! The portfolio dashboard (`/`): one row per product, filters and sort in the URL, counts per
//! phase, and a CSV export of exactly what is shown.

pub mod attention;
pub mod cache;
pub mod db;
pub mod export;
pub mod health;
pub mod lists;
pub mod model;
pub mod timeline;

use askama::Template;
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, Uri},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{
    auth::{Viewer, model::Role},
    error::AppResult,
    products::{
        self,
        model::{RefItem, Typology},
    },
    state::AppState,
    web::{
        Choice, Layout, Query,
        etag::ETag,
        pagination::{Page, Pagination},
    },
};

use crate::web::filters::today;
use chrono::NaiveDate;
use lists::Check;
use model::{Column, Concern, DashboardQuery, Filters, Health, Selection};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/portefeuille.csv", get(export))
        .route("/portefeuille.xlsx", get(export))
        .route("/portefeuille/calendrier", get(timeline::timeline))
        .route("/portefeuille/impression", get(print))
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
    Link {
        text: String,
        url: String,
    },
    Text(String),
    /// One dimension of the product's health, linked to its detail.
    Health {
        health: Health,
        url: String,
    },
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
    /// Each product's cells, with their column's label (the label heads the cell on a phone).
    rows: Vec<Vec<(&'static str, Cell)>>,
    pagination: Pagination,
    /// The filters' checkbox groups: (legend, checkboxes), products first then health.
    product_groups: Vec<(&'static str, Vec<Check>)>,
    health_groups: Vec<(&'static str, Vec<Check>)>,
    archived: Vec<Choice>,
    mine: bool,
    search: String,
    columns: Vec<Check>,
    /// The sort, kept by the filter form.
    sort: String,
    descending: bool,
    /// How many choices the filters hold, for the panel's summary.
    chosen: usize,
    phase_counts: Vec<PhaseCount>,
    total_products: usize,
    export_url: String,
    xlsx_url: String,
    print_url: String,
    timeline_url: String,
    filtered: bool,
    can_create: bool,
    tiles: Vec<attention::Tile>,
}

/// Each product's cells in `columns`, with their column's label.
fn cells(
    rows: &[model::Row],
    columns: &[Column],
    today: NaiveDate,
) -> Vec<Vec<(&'static str, Cell)>> {
    rows.iter()
        .map(|row| {
            columns
                .iter()
                .map(|column| {
                    let cell = match column.health(row, today) {
                        Some(health) => Cell::Health {
                            health,
                            url: column.url(row),
                        },
                        None if *column == Column::Name => Cell::Link {
                            text: row.name.to_string(),
                            url: column.url(row),
                        },
                        None => Cell::Text(column.text(row, today)),
                    };
                    (column.label(), cell)
                })
                .collect()
        })
        .collect()
}

/// The filters of a view in words, for the printed page: "Directions : Santé, Travail".
fn describe(filters: &Filters, directions: &[RefItem], phases: &[RefItem]) -> Vec<String> {
    let p = &filters.products;
    let names = |ids: &[uuid::Uuid], all: &[RefItem]| {
        all.iter()
            .filter(|n| ids.contains(&n.id))
            .map(|n| n.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = Vec::new();
    if !p.directions.is_empty() {
        lines.push(format!("Directions : {}", names(&p.directions, directions)));
    }
    if !p.phases.is_empty() {
        lines.push(format!("Phases : {}", names(&p.phases, phases)));
    }
    if !p.typologies.is_empty() {
        let kinds: Vec<&str> = p.typologies.iter().map(|t| t.label()).collect();
        lines.push(format!("Typologies : {}", kinds.join(", ")));
    }
    if p.mine {
        lines.push("Mes produits".into());
    }
    match filters.archived {
        model::Archived::Active => {}
        model::Archived::Archived => lines.push("Produits archivés".into()),
        model::Archived::All => lines.push("Produits actifs et archivés".into()),
    }
    if !filters.search.is_empty() {
        lines.push(format!("Recherche : « {} »", filters.search));
    }
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for concern in &filters.concerns {
        match groups.iter_mut().find(|(g, _)| *g == concern.group()) {
            Some((_, labels)) => labels.push(concern.label()),
            None => groups.push((concern.group(), vec![concern.label()])),
        }
    }
    lines.extend(
        groups
            .into_iter()
            .map(|(group, labels)| format!("{group} : {}", labels.join(" ou "))),
    );
    lines
}

#[derive(Template)]
#[template(path = "portfolio/print.html")]
struct PrintPage {
    layout: Layout,
    date: String,
    filters: Vec<String>,
    tiles: Vec<attention::Tile>,
    headers: Vec<&'static str>,
    rows: Vec<Vec<(&'static str, Cell)>>,
    back_url: String,
}

/// `/portefeuille/impression`: the tiles and every product the filters keep, on A4 landscape.
async fn print(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DashboardQuery>,
) -> AppResult<impl IntoResponse> {
    let View {
        filters,
        today,
        rows: all_rows,
        directions,
        phases,
    } = View::load(&state, &viewer, &query, None).await?;
    let tiles = attention::tiles(&all_rows, today);
    let Selection { rows, .. } = model::select(all_rows, &filters, today);
    Ok(PrintPage {
        date: crate::web::filters::date_long(today),
        filters: describe(&filters, &directions, &phases),
        tiles,
        headers: filters.columns.iter().map(|c| c.label()).collect(),
        rows: cells(&rows, &filters.columns, today),
        back_url: format!("/{}", filters.query_all()),
        layout: viewer.layout.in_section("portefeuille"),
    })
}

/// What every view of the portfolio starts from: the filters in its address, today, every
/// product's row before the filters, and the directions and phases that name the filters.
struct View {
    filters: Filters,
    today: NaiveDate,
    rows: Vec<model::Row>,
    directions: Vec<RefItem>,
    phases: Vec<RefItem>,
}

impl View {
    /// `stamp`: the portfolio's change stamp, read before (None: read here).
    async fn load(
        state: &AppState,
        viewer: &Viewer,
        query: &DashboardQuery,
        stamp: Option<String>,
    ) -> AppResult<Self> {
        let (directions, phases) = products::db::directions_and_phases(&state.db).await?;
        Ok(Self {
            filters: Filters::parse(query),
            today: today(),
            rows: rows(state, viewer, stamp).await?,
            directions,
            phases,
        })
    }
}

/// Every product with its health (see `health`), the viewer's marked as theirs. `stamp`: the
/// portfolio's change stamp if the caller has read it already.
pub async fn rows(
    state: &AppState,
    viewer: &Viewer,
    stamp: Option<String>,
) -> AppResult<Vec<model::Row>> {
    let stamp = match stamp {
        Some(stamp) => stamp,
        None => db::change_stamp(&state.db).await?,
    };
    let mine = db::memberships(&state.db, viewer.user.id).await?;
    let all = state.portfolio.rows(&state.db, &stamp, today()).await?;
    Ok(all
        .iter()
        .map(|row| {
            let mut row = row.clone();
            if let Some(&editor) = mine.get(&row.id) {
                (row.mine, row.editor) = (true, editor);
            }
            row
        })
        .collect())
}

async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<DashboardQuery>,
) -> AppResult<Response> {
    // The page follows from who looks, the view in the address, the day and the portfolio's
    // change stamp (which moves too when the viewer joins or leaves a product's people): a
    // client holding it gets a 304, and a page rendered before for it is sent again, before any
    // row is read.
    let stamp = db::change_stamp(&state.db).await?;
    let etag = ETag::for_viewer(
        &viewer,
        &[
            uri.query().unwrap_or_default(),
            &today().to_string(),
            &stamp,
        ],
    );
    if let Some(not_modified) = ETag::fresh(etag.as_ref(), &headers) {
        return Ok(not_modified);
    }
    if let Some(page) = state.pages.hit(etag.as_ref()) {
        return Ok(page);
    }
    let View {
        filters,
        today,
        rows: all_rows,
        directions,
        phases,
    } = View::load(&state, &viewer, &query, Some(stamp)).await?;
    let total_products = all_rows.iter().filter(|r| !r.archived).count();
    let tiles = attention::tiles(&all_rows, today);
    let Selection { rows, phase_counts } = model::select(all_rows, &filters, today);

    let headers = filters
        .columns
        .iter()
        .map(|column| {
            HeaderCell::sortable(
                column.label(),
                filters.sort == *column,
                filters.descending,
                |descending| format!("/{}", filters.query(Some((*column, descending)), None)),
            )
        })
        .collect();
    let (rows, pagination) = Pagination::cut(rows, filters.page, |page| {
        format!("/{}", filters.query(None, Some(page)))
    });
    let rows = cells(&rows, &filters.columns, today);
    let chosen_phases = &filters.products.phases;
    let phase_counts = phases
        .iter()
        .map(|phase| {
            let count = phase_counts
                .iter()
                .find(|(id, _)| *id == phase.id)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let current = chosen_phases.contains(&phase.id);
            let mut target = filters.clone();
            target.products.phases = if current && chosen_phases.len() == 1 {
                Vec::new()
            } else {
                vec![phase.id]
            };
            target.page = Page::Number(1);
            PhaseCount {
                name: phase.name.clone(),
                count,
                url: format!("/{}", target.query(None, None)),
                current,
            }
        })
        .collect();
    let p = &filters.products;
    let mut health_groups: Vec<(&'static str, Vec<Check>)> = Vec::new();
    for concern in Concern::ALL {
        let check = (
            concern.code(),
            concern.label(),
            filters.concerns.contains(&concern),
        );
        match health_groups.last_mut() {
            Some((group, checks)) if *group == concern.group() => {
                let mut more = lists::checks(concern.key(), [check]);
                more[0].id = format!("{}-{}", concern.key(), checks.len() + 1);
                checks.extend(more);
            }
            _ => health_groups.push((concern.group(), lists::checks(concern.key(), [check]))),
        }
    }
    let page = DashboardPage {
        headers,
        rows,
        pagination,
        product_groups: vec![
            (
                "Direction",
                lists::checks(
                    "direction",
                    directions
                        .iter()
                        .map(|d| (d.id, &d.name, p.directions.contains(&d.id))),
                ),
            ),
            (
                "Phase",
                lists::checks(
                    "phase",
                    phases
                        .iter()
                        .map(|ph| (ph.id, &ph.name, p.phases.contains(&ph.id))),
                ),
            ),
            (
                "Typologie",
                lists::checks(
                    "typologie",
                    Typology::options().map(|(code, label)| {
                        let checked = p.typologies.iter().any(|t| t.code() == code);
                        (code, label, checked)
                    }),
                ),
            ),
        ],
        health_groups,
        archived: Choice::list(
            [
                ("actifs", "Produits actifs"),
                ("archives", "Produits archivés"),
                ("tous", "Tous les produits"),
            ],
            filters.archived.code(),
        ),
        mine: p.mine,
        search: filters.search.clone(),
        columns: lists::checks(
            "col",
            Column::ALL
                .into_iter()
                .filter(|c| *c != Column::Name)
                .map(|c| (c.code(), c.label(), filters.columns.contains(&c))),
        ),
        sort: if filters.sort == Column::Name && !filters.descending {
            String::new()
        } else {
            filters.sort.code().into()
        },
        descending: filters.descending,
        chosen: p.directions.len()
            + p.phases.len()
            + p.typologies.len()
            + usize::from(p.mine)
            + filters.concerns.len()
            + usize::from(!filters.search.is_empty())
            + usize::from(filters.archived != model::Archived::Active),
        phase_counts,
        total_products,
        export_url: format!("/portefeuille.csv{}", filters.query_all()),
        xlsx_url: format!("/portefeuille.xlsx{}", filters.query_all()),
        print_url: format!("/portefeuille/impression{}", filters.query_all()),
        timeline_url: format!("/portefeuille/calendrier{}", filters.query_all()),
        filtered: filters.narrowed(),
        can_create: viewer.user.role != Role::Reader,
        tiles,
        layout: viewer.layout.in_section("portefeuille"),
    };
    state.pages.keep(etag, &page)
}

/// `/portefeuille.csv` and `/portefeuille.xlsx`: the rows the filters keep (every page), in
/// the columns shown, each health cell in words.
async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Query(query): Query<DashboardQuery>,
) -> AppResult<Response> {
    let filters = Filters::parse(&query);
    let today = today();
    let Selection { rows, .. } = model::select(rows(&state, &viewer, None).await?, &filters, today);
    let (headers, lines) = export::table(&state.db, &rows, &filters.columns, today).await?;
    let name = format!("portefeuille-{}", today.format("%Y-%m-%d"));
    if uri.path().ends_with(".xlsx") {
        export::xlsx(&headers, &lines, "Portefeuille", &format!("{name}.xlsx"))
    } else {
        export::csv(&headers, &lines, &format!("{name}.csv"))
    }
}

crate::impl_page!(DashboardPage, PrintPage);
