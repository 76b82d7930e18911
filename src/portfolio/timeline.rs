//! The portfolio timeline (`/portefeuille/calendrier`): every product's current roadmap on one
//! calendar.

use axum::{extract::State, response::IntoResponse};

use crate::{
    error::AppResult,
    state::AppState,
    web::{Layout, Query},
};

use askama::Template;

use crate::roadmaps::{
    db::{self},
    model::{Scale, Window, current, month_label, standing},
    views::*,
};
use crate::web::filters::today;

pub async fn timeline(
    State(state): State<AppState>,
    viewer: crate::auth::Viewer,
    Query(query): Query<super::model::DashboardQuery>,
) -> AppResult<impl IntoResponse> {
    let filters = super::model::Filters::parse(&query);
    let rows = crate::portfolio::rows(&state, &viewer).await?;
    let selection = super::model::select(rows, &filters);
    let today = today();
    let summaries = db::all_roadmaps(&state.db, None).await?;
    let mut with = Vec::new();
    let mut without = Vec::new();
    for row in &selection.rows {
        let mine: Vec<&db::RoadmapSummary> = summaries
            .iter()
            .filter(|s| s.product_id == row.id)
            .collect();
        match current(&mine, |s| s.window, today) {
            Some(s) => with.push((row, *s)),
            None => without.push(format!(
                "{} — {}",
                row.name,
                standing(&mine, |s| s.window, today)
                    .note(|s| s.window)
                    .unwrap_or_default()
            )),
        }
    }
    let start = with
        .iter()
        .map(|(_, s)| s.window.start)
        .min()
        .unwrap_or(crate::roadmaps::model::first_of_month(today));
    let end = with
        .iter()
        .map(|(_, s)| s.window.end)
        .max()
        .unwrap_or(start)
        .min(
            start
                .checked_add_months(chrono::Months::new(11))
                .unwrap_or(start),
        );
    let span = Window { start, end };
    let months = span.months();
    let columns = months
        .iter()
        .map(|m| CalendarColumn {
            label: month_label(*m),
            current: *m == crate::roadmaps::model::first_of_month(today),
        })
        .collect();
    let count = months.len();
    let rows = with
        .into_iter()
        .filter_map(|(row, s)| {
            let p = crate::roadmaps::model::place(
                &span,
                Scale::Month,
                s.window.start,
                s.window.last_day(),
            )?;
            let counted = s.initiatives - s.dropped;
            Some(TimelineRow {
                slug: row.slug.clone(),
                name: row.name.clone(),
                before: p.first,
                span: p.span,
                after: count.saturating_sub(p.first + p.span),
                window: s.window.label(),
                done: if counted > 0 {
                    format!("{} % des initiatives terminées", s.done * 100 / counted)
                } else {
                    "aucune initiative".into()
                },
            })
        })
        .collect();
    let page = TimelinePage {
        layout: viewer.layout.in_section("portefeuille"),
        columns,
        rows,
        without,
        query: filters.query(None),
    };
    Ok(page)
}

pub struct TimelineRow {
    pub slug: String,
    pub name: String,
    pub before: usize,
    pub span: usize,
    pub after: usize,
    pub window: String,
    pub done: String,
}

#[derive(Template)]
#[template(path = "portfolio/timeline.html")]
pub struct TimelinePage {
    pub layout: Layout,
    pub columns: Vec<CalendarColumn>,
    pub rows: Vec<TimelineRow>,
    pub without: Vec<String>,
    pub query: String,
}

crate::impl_page!(TimelinePage);
