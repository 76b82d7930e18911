//! The dashboard's one query: every product with what its columns need.

use chrono::NaiveDate;
use sqlx::PgExecutor;

use crate::{
    products::model::{Rgaa, Typology},
    vision::model::{Review, VisionText},
};

use super::model::Row;

/// All products, archived included (the filters decide): a single query whatever their number.
/// `review_months` and `today` place each vision against its review period.
pub async fn rows(
    db: impl PgExecutor<'_>,
    review_months: u32,
    today: NaiveDate,
) -> sqlx::Result<Vec<Row>> {
    let rows = sqlx::query!(
        r#"select p.id, p.slug, p.name, p.description, p.direction_id, d.name as direction, p.typology as "typology: Typology",
                  p.phase_id, ph.name as phase, ph.position as phase_position, p.phase_since,
                  p.rgaa as "rgaa: Rgaa", p.dsfr, p.homologated, p.rgpd_register, p.archived_at is not null as "archived!", greatest(p.updated_at, (select a.at from audit_events a where a.product_id = p.id order by a.id desc limit 1)) as "updated_at!",
                  v.statement, v.raison_detre, v.users, v.problems, v.solution, v.impact, v.edited_at, v.reviewed_at
           from products p
           join visions v on v.product_id = p.id
           join directions d on d.id = p.direction_id
           join phases ph on ph.id = p.phase_id"#
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let vision = VisionText {
                statement: r.statement,
                raison_detre: r.raison_detre,
                users: r.users,
                problems: r.problems,
                solution: r.solution,
                impact: r.impact,
                // Not counted in the completeness the dashboard shows.
                alignment: String::new(),
            };
            Ok(Row {
                id: r.id,
                slug: r.slug,
                name: r.name,
                description: r.description,
                direction_id: r.direction_id,
                direction: r.direction,
                typology: r.typology,
                phase_id: r.phase_id,
                phase: r.phase,
                phase_position: r.phase_position,
                phase_since: r.phase_since,
                rgaa: r.rgaa,
                dsfr: r.dsfr,
                homologated: r.homologated,
                rgpd_register: r.rgpd_register,
                archived: r.archived,
                updated_at: r.updated_at,
                vision_score: vision.completeness().score(),
                vision_review: Review::compute(r.edited_at, r.reviewed_at, review_months, today),
                indicators: Default::default(),
                roadmap: Default::default(),
                raci_problems: None,
            })
        })
        .collect()
}
