//! `/portefeuille/roadmaps`: where each product's roadmap stands — the one its pages show
//! (current, else next, else last) — with its progress, its end, its next milestone and the
//! first of its share links to expire.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Item, Value, product_cell};
use crate::{
    error::AppResult,
    portfolio::model::Row,
    roadmaps::{
        db::window,
        model::{Standing, Window, standing},
    },
    web::filters,
};

struct Summary {
    id: Uuid,
    window: Window,
    counted: i64,
    done: i64,
    milestone: Option<(NaiveDate, String)>,
}

pub async fn items(db: &PgPool, products: &[&Row], today: NaiveDate) -> AppResult<Vec<Item>> {
    let ids: Vec<_> = products.iter().map(|r| r.id).collect();
    let records = sqlx::query!(
        r#"select r.id, r.product_id, r.start_month, r.end_month,
                  (select count(*) from initiatives i where i.roadmap_id = r.id and i.status <> 'abandonnee') as "counted!",
                  (select count(*) from initiatives i where i.roadmap_id = r.id and i.status = 'terminee') as "done!",
                  m.milestone_on as "milestone_on?", m.milestone as "milestone?"
           from roadmaps r
           left join lateral (select i.milestone_on, coalesce(nullif(i.milestone, ''), i.title) as milestone
                              from initiatives i
                              where i.roadmap_id = r.id and i.milestone_on >= $2 and i.status <> 'abandonnee'
                              order by i.milestone_on limit 1) m on true
           where r.product_id = any($1)
           -- The order of the product's pages: `standing` takes the first that covers today.
           order by r.start_month desc, r.end_month desc, r.id"#,
        &ids,
        today
    )
    .fetch_all(db)
    .await?;
    let mut by_product: HashMap<Uuid, Vec<Summary>> = HashMap::new();
    for r in records {
        by_product.entry(r.product_id).or_default().push(Summary {
            id: r.id,
            window: window(r.start_month, r.end_month),
            counted: r.counted,
            done: r.done,
            milestone: r.milestone_on.zip(r.milestone),
        });
    }
    let soon = today + chrono::Days::new(30);
    let link_soon = today + chrono::Days::new(14);
    Ok(products
        .iter()
        .map(|row| {
            let roadmaps = by_product.remove(&row.id).unwrap_or_default();
            let standing = standing(&roadmaps, |r| r.window, today);
            let mut states = Vec::new();
            let (label, kind, rank) = match &standing {
                Standing::Current(r) if r.window.last_day() <= soon => {
                    states.extend(["en-cours", "fin-30-jours"]);
                    ("En cours, se termine bientôt", "warning", 1)
                }
                Standing::Current(_) => {
                    states.push("en-cours");
                    ("En cours", "success", 0)
                }
                Standing::Next(_) => {
                    states.push("sans-en-cours");
                    ("À venir (aucune en cours)", "warning", 2)
                }
                Standing::Ended(_) => {
                    states.push("sans-en-cours");
                    ("Terminée (aucune en cours)", "error", 3)
                }
                Standing::None => {
                    states.push("sans-en-cours");
                    ("Aucune roadmap", "error", 4)
                }
            };
            if row.share_expiry.is_some_and(|d| d <= link_soon) {
                states.push("lien-14-jours");
            }
            let shown = standing.roadmap();
            let roadmap_url = |r: &Summary| format!("/produits/{}/roadmaps/{}", row.slug, r.id);
            let days_left = |end: NaiveDate| (end - today).num_days();
            Item {
                cells: vec![
                    product_cell(row),
                    match shown {
                        Some(r) => Value::Link {
                            text: r.window.label(),
                            url: roadmap_url(r),
                        },
                        None => Value::Link {
                            text: "Aucune".into(),
                            url: format!("/produits/{}/roadmaps", row.slug),
                        },
                    },
                    Value::Status {
                        text: label.into(),
                        kind,
                        rank,
                        detail: String::new(),
                    },
                    match shown.filter(|r| r.counted > 0) {
                        Some(r) => {
                            let percent = r.done * 100 / r.counted;
                            Value::Number {
                                value: Some(percent as f64),
                                text: format!("{percent} % ({} sur {})", r.done, r.counted),
                            }
                        }
                        None => Value::Number {
                            value: None,
                            text: String::new(),
                        },
                    },
                    match shown {
                        Some(r) => Value::Number {
                            value: Some(days_left(r.window.last_day()) as f64),
                            text: match days_left(r.window.last_day()) {
                                n if n < 0 => {
                                    format!(
                                        "terminée le {}",
                                        filters::date_short(r.window.last_day())
                                    )
                                }
                                0 => "se termine aujourd'hui".into(),
                                1 => "dans 1 jour".into(),
                                n => format!(
                                    "dans {n} jours ({})",
                                    filters::date_short(r.window.last_day())
                                ),
                            },
                        },
                        None => Value::Number {
                            value: None,
                            text: String::new(),
                        },
                    },
                    match shown.and_then(|r| r.milestone.as_ref().map(|m| (r, m))) {
                        Some((r, (date, title))) => Value::DatedLink {
                            date: *date,
                            text: format!("{} : {title}", filters::date_short(*date)),
                            url: format!("{}#initiatives", roadmap_url(r)),
                        },
                        None => Value::Text(String::new()),
                    },
                    match row.share_expiry {
                        Some(_) => Value::Date(row.share_expiry),
                        None => Value::Text("Aucun lien actif".into()),
                    },
                ],
                states,
            }
        })
        .collect())
}
