//! `/portefeuille/visions`: each product's vision, its completeness, what is missing and its
//! last review, linked to the vision's form.

use std::collections::HashMap;

use sqlx::PgPool;

use super::{Item, Value, product_cell};
use crate::{
    error::AppResult,
    portfolio::model::Row,
    vision::model::{Review, VisionText},
    web::filters,
};

pub async fn items(db: &PgPool, products: &[&Row]) -> AppResult<Vec<Item>> {
    let ids: Vec<_> = products.iter().map(|r| r.id).collect();
    let texts: HashMap<_, _> = sqlx::query!(
        "select product_id, statement, raison_detre, users, problems, solution, impact
         from visions where product_id = any($1)",
        &ids
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|v| {
        let text = VisionText {
            statement: v.statement,
            raison_detre: v.raison_detre,
            users: v.users,
            problems: v.problems,
            solution: v.solution,
            impact: v.impact,
            alignment: String::new(),
        };
        (v.product_id, text)
    })
    .collect();
    Ok(products
        .iter()
        .map(|row| {
            let missing: Vec<&str> = texts
                .get(&row.id)
                .map(|t| {
                    t.completeness()
                        .checklist()
                        .into_iter()
                        .filter(|(_, filled)| !filled)
                        .map(|(label, _)| label)
                        .collect()
                })
                .unwrap_or_default();
            let score = 6 - missing.len();
            let mut states = Vec::new();
            if score < 6 {
                states.push("incomplete");
            }
            let (review, kind, rank, last) = match row.vision_review {
                Review::NotWritten => {
                    states.push("non-redigee");
                    ("Non rédigée".to_owned(), "error", 2, None)
                }
                Review::Due { last, due } => {
                    states.push("a-revoir");
                    (
                        format!(
                            "À revoir depuis le {}",
                            filters::date_short(due + chrono::Days::new(1))
                        ),
                        "warning",
                        1,
                        Some(last),
                    )
                }
                Review::UpToDate { last, due } => (
                    format!("À jour jusqu’au {}", filters::date_short(due)),
                    "success",
                    0,
                    Some(last),
                ),
            };
            if states.is_empty() {
                states.push("complete");
            }
            Item {
                cells: vec![
                    product_cell(row),
                    Value::Status {
                        text: format!("{score}/6"),
                        kind: if score == 6 { "success" } else { "warning" },
                        rank: 6 - score as i32,
                        detail: String::new(),
                    },
                    match (missing.is_empty(), row.editor) {
                        (true, _) => Value::Text("Aucun".into()),
                        // Where it is fixed, for those who may; where it is read, for others.
                        (false, true) => Value::Link {
                            text: missing.join(", "),
                            url: format!("/produits/{}/vision/modifier", row.slug),
                        },
                        (false, false) => Value::Link {
                            text: missing.join(", "),
                            url: format!("/produits/{}#vision", row.slug),
                        },
                    },
                    match last {
                        Some(_) => Value::Date(last),
                        None => Value::Text("Jamais".into()),
                    },
                    Value::Status {
                        text: review,
                        kind,
                        rank,
                        detail: String::new(),
                    },
                ],
                states,
            }
        })
        .collect())
}
