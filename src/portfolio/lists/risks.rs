//! `/portefeuille/risques`: the risks and dependencies of the roadmaps in progress or to come.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{Item, Value, product_cell};
use crate::{
    error::AppResult,
    portfolio::model::Row,
    roadmaps::model::{Level, RiskStatus},
};

pub async fn items(db: &PgPool, products: &[&Row], today: NaiveDate) -> AppResult<Vec<Item>> {
    let by_id: HashMap<_, _> = products.iter().map(|r| (r.id, *r)).collect();
    let ids: Vec<_> = by_id.keys().copied().collect();
    let risks = crate::roadmaps::db::portfolio_risks(db, &ids, today).await?;
    Ok(risks
        .into_iter()
        .filter_map(|found| {
            let row = by_id.get(&found.product_id)?;
            let (k, roadmap_id) = (found.risk, found.roadmap_id);
            let high = k.likelihood == Level::High || k.impact == Level::High;
            let open = k.status == RiskStatus::Open;
            let (level, kind, rank) = match (k.likelihood, k.impact) {
                _ if high => ("Fort", "error", 3),
                (Level::Medium, _) | (_, Level::Medium) => ("Moyen", "warning", 2),
                _ => ("Faible", "info", 1),
            };
            let base = format!("/produits/{}/roadmaps/{}", row.slug, roadmap_id);
            let mut states = vec![k.status.code()];
            if high && open {
                states.push("fort-ouvert");
            }
            Some(Item {
                cells: vec![
                    product_cell(row),
                    Value::Link {
                        text: found.window.label(),
                        url: format!("{base}#risques"),
                    },
                    Value::Text(k.kind.label().into()),
                    if row.editor {
                        Value::Link {
                            text: k.description,
                            url: format!("{base}/risques/{}/modifier", k.id),
                        }
                    } else {
                        Value::Text(k.description)
                    },
                    Value::Status {
                        text: format!(
                            "{level} (probabilité {}, impact {})",
                            feminine(k.likelihood),
                            k.impact.label().to_lowercase()
                        ),
                        kind,
                        rank,
                        detail: String::new(),
                    },
                    Value::Text(k.owner),
                    Value::Text(k.mitigation),
                    Value::Status {
                        text: k.status.label().into(),
                        kind: match k.status {
                            RiskStatus::Open if high => "error",
                            RiskStatus::Open => "warning",
                            RiskStatus::Mitigated => "info",
                            RiskStatus::Closed => "success",
                        },
                        rank: match k.status {
                            RiskStatus::Open => 2,
                            RiskStatus::Mitigated => 1,
                            RiskStatus::Closed => 0,
                        },
                        detail: String::new(),
                    },
                ],
                states,
            })
        })
        .collect())
}

/// "probabilité faible / moyenne / forte".
fn feminine(level: Level) -> &'static str {
    match level {
        Level::Low => "faible",
        Level::Medium => "moyenne",
        Level::High => "forte",
    }
}
