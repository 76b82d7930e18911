//! `/portefeuille/indicateurs`: every indicator of the products kept, with its status and why.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{Item, Value, product_cell};
use crate::{
    error::AppResult,
    indicators::model::{Status, assess, format_value, next_target},
    portfolio::model::Row,
    web::filters,
};

pub fn state_code(status: Status) -> &'static str {
    match status {
        Status::OnTrack => "en-bonne-voie",
        Status::Watch => "a-surveiller",
        Status::Late => "en-retard",
        Status::Stale => "obsolete",
        Status::NoData => "sans-donnees",
    }
}

/// Worse statuses sort higher.
fn rank(status: Status) -> i32 {
    match status {
        Status::OnTrack => 0,
        Status::NoData => 1,
        Status::Watch => 2,
        Status::Stale => 3,
        Status::Late => 4,
    }
}

pub async fn items(db: &PgPool, products: &[&Row], today: NaiveDate) -> AppResult<Vec<Item>> {
    let by_id: HashMap<_, _> = products.iter().map(|r| (r.id, *r)).collect();
    let ids: Vec<_> = by_id.keys().copied().collect();
    let indicators = crate::indicators::db::portfolio_indicators(db, Some(&ids)).await?;
    Ok(indicators
        .into_iter()
        .filter_map(|i| {
            let row = by_id.get(&i.product_id)?;
            let latest: Vec<_> = i.latest.into_iter().collect();
            let a = assess(&i.spec, &latest, today);
            let target = match (i.spec.range, next_target(&i.spec.targets, today)) {
                (Some((low, high)), _) => format!(
                    "entre {} et {}",
                    format_value(low, &i.unit),
                    format_value(high, &i.unit)
                ),
                (None, Some(t)) => format!(
                    "{} au {}",
                    format_value(t.value, &i.unit),
                    filters::date_short(t.date)
                ),
                (None, None) => String::new(),
            };
            Some(Item {
                cells: vec![
                    product_cell(row),
                    Value::Link {
                        text: i.name,
                        url: format!("/produits/{}/indicateurs/{}", row.slug, i.id),
                    },
                    Value::Status {
                        text: a.status.label().into(),
                        kind: a.status.badge(),
                        rank: rank(a.status),
                        detail: a.reason,
                    },
                    Value::Text(i.kind.label().into()),
                    Value::Number {
                        value: latest.first().map(|p| p.value),
                        text: latest
                            .first()
                            .map(|p| format_value(p.value, &i.unit))
                            .unwrap_or_default(),
                    },
                    Value::Date(latest.first().map(|p| p.date)),
                    Value::Text(target),
                    Value::Text(i.owner),
                ],
                states: vec![state_code(a.status)],
            })
        })
        .collect())
}
