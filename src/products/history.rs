//! A product's history: the audit trail, page by page.

use axum::{extract::State, response::IntoResponse};
use serde::Deserialize;

use crate::{
    audit::{self},
    error::AppResult,
    state::AppState,
    web::{Query, filters},
};

use super::{extract::ProductSheet, views::*};

pub const HISTORY_PAGE_SIZE: i64 = 30;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HistoryQuery {
    page: Option<String>,
}

pub async fn history(
    State(state): State<AppState>,
    sheet: ProductSheet,
    Query(query): Query<HistoryQuery>,
) -> AppResult<impl IntoResponse> {
    let page = query
        .page
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let mut events = audit::db::product_history(
        &state.db,
        sheet.product.id,
        HISTORY_PAGE_SIZE + 1,
        (page - 1) * HISTORY_PAGE_SIZE,
    )
    .await?;
    let has_next = events.len() as i64 > HISTORY_PAGE_SIZE;
    events.truncate(HISTORY_PAGE_SIZE as usize);
    let page = HistoryPage {
        slug: sheet.product.input.slug.clone(),
        name: sheet.product.input.name.clone(),
        events: events
            .into_iter()
            .map(|e| HistoryRow {
                when: filters::datetime_short(e.at),
                sentence: audit::model::sentence(&e.actor_name, &e.action, &e.changes),
                changes: e.changes,
            })
            .collect(),
        page,
        has_next,
        layout: sheet.viewer.layout.in_section("produits"),
    };
    Ok(page)
}
