//! `/portefeuille/raci`: the activities whose RACI matrix is wrong, the problem in words, each
//! linked to its row of the product's matrix. Products whose matrix is not filled in at all are
//! the dashboard's "RACI absente", not listed here activity by activity.

use std::collections::HashMap;

use sqlx::PgPool;

use super::{Item, Value, product_cell};
use crate::{error::AppResult, portfolio::model::Row};

pub async fn items(db: &PgPool, products: &[&Row]) -> AppResult<Vec<Item>> {
    let by_id: HashMap<_, _> = products.iter().map(|r| (r.id, *r)).collect();
    let ids: Vec<_> = by_id.keys().copied().collect();
    let activities = sqlx::query!(
        r#"select a.id, a.product_id, a.name,
                  coalesce(array_agg(p.name order by p.name) filter (where c.letter in ('A', 'A+R')), '{}') as "accountable!",
                  coalesce(array_agg(p.name order by p.name) filter (where c.letter in ('R', 'A+R')), '{}') as "responsible!"
           from raci_activities a
           left join raci_cells c on c.activity_id = a.id
           left join people p on p.id = c.person_id
           where a.product_id = any($1)
             -- Only matrices with at least one letter: an empty one is "absente".
             and exists (select 1 from raci_activities b join raci_cells d on d.activity_id = b.id
                         where b.product_id = a.product_id)
           group by a.id
           having count(*) filter (where c.letter in ('A', 'A+R')) <> 1
               or count(*) filter (where c.letter in ('R', 'A+R')) = 0"#,
        &ids
    )
    .fetch_all(db)
    .await?;
    Ok(activities
        .into_iter()
        .filter_map(|a| {
            let row = by_id.get(&a.product_id)?;
            let mut problems = Vec::new();
            let mut states = Vec::new();
            match a.accountable.len() {
                0 => {
                    problems.push("aucun A".to_owned());
                    states.push("aucun-a");
                }
                1 => {}
                2 => {
                    problems.push("deux A".to_owned());
                    states.push("plusieurs-a");
                }
                n => {
                    problems.push(format!("{n} A"));
                    states.push("plusieurs-a");
                }
            }
            if a.responsible.is_empty() {
                problems.push("aucun R".into());
                states.push("aucun-r");
            }
            let rank = problems.len() as i32;
            Some(Item {
                cells: vec![
                    product_cell(row),
                    Value::Link {
                        text: a.name,
                        url: format!("/produits/{}/roles#activite-{}", row.slug, a.id),
                    },
                    Value::Status {
                        text: capitalised(&problems.join(", ")),
                        kind: "error",
                        rank,
                        detail: String::new(),
                    },
                    Value::Text(names(&a.accountable)),
                    Value::Text(names(&a.responsible)),
                ],
                states,
            })
        })
        .collect())
}

fn names(people: &[String]) -> String {
    if people.is_empty() {
        "Personne".into()
    } else {
        people.join(", ")
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
