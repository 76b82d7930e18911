//! The dashboard's one query: every product with what its columns need.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::{
    products::model::{Rgaa, Typology},
    vision::model::{Review, VisionText},
};

use super::{health::Health, model::Row};

/// A dashboard row from a query record holding the product's own columns, its health still
/// to fill in.
macro_rules! product_row {
    ($r:ident) => {
        Row {
            id: $r.id,
            keys: crate::portfolio::model::SortKeys::of(&$r.name, &$r.direction),
            slug: $r.slug.into(),
            name: $r.name.into(),
            description: $r.description.into(),
            direction_id: $r.direction_id,
            direction: $r.direction.into(),
            typology: $r.typology,
            phase_id: $r.phase_id,
            phase: $r.phase.into(),
            phase_position: $r.phase_position,
            phase_since: $r.phase_since,
            rgaa: $r.rgaa,
            dsfr: $r.dsfr,
            homologated: $r.homologated,
            rgpd_register: $r.rgpd_register,
            archived: $r.archived,
            updated_at: $r.updated_at,
            vision_score: 0,
            vision_review: Review::NotWritten,
            indicators: Default::default(),
            roadmap: Default::default(),
            raci_problems: None,
            raci: Default::default(),
            high_risks: 0,
            share_expiry: None,
            mine: false,
            editor: false,
        }
    };
}

/// The products `only` (all when None), archived included, with their vision placed against its
/// review period on `today`: what computing their health starts from. A single query.
pub async fn rows(
    db: impl PgExecutor<'_>,
    review_months: u32,
    today: NaiveDate,
    only: Option<&[Uuid]>,
) -> sqlx::Result<Vec<Row>> {
    let rows = sqlx::query!(
        r#"select p.id, p.slug, p.name, p.description, p.direction_id, d.name as direction, p.typology as "typology: Typology",
                  p.phase_id, ph.name as phase, ph.position as phase_position, p.phase_since,
                  p.rgaa as "rgaa: Rgaa", p.dsfr, p.homologated, p.rgpd_register, p.archived_at is not null as "archived!", greatest(p.updated_at, (select a.at from audit_events a where a.product_id = p.id order by a.id desc limit 1)) as "updated_at!",
                  v.statement, v.raison_detre, v.users, v.problems, v.solution, v.impact, v.edited_at, v.reviewed_at
           from products p
           join visions v on v.product_id = p.id
           join directions d on d.id = p.direction_id
           join phases ph on ph.id = p.phase_id
           where $1::uuid[] is null or p.id = any($1)"#,
        only
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
            let review = Review::compute(r.edited_at, r.reviewed_at, review_months, today);
            let mut row = product_row!(r);
            row.vision_score = vision.completeness().score();
            row.vision_review = review;
            Ok(row)
        })
        .collect()
}

/// Every product with its stored health and the day that health stops being true (None when
/// it was never computed), and whether it is one of `viewer`'s: the dashboard's one query.
pub async fn stored_rows(
    db: impl PgExecutor<'_>,
    viewer: Option<Uuid>,
) -> sqlx::Result<Vec<(Row, Option<(Health, NaiveDate)>)>> {
    let rows = sqlx::query!(
        r#"select p.id, p.slug, p.name, p.description, p.direction_id, d.name as direction, p.typology as "typology: Typology",
                  p.phase_id, ph.name as phase, ph.position as phase_position, p.phase_since,
                  p.rgaa as "rgaa: Rgaa", p.dsfr, p.homologated, p.rgpd_register, p.archived_at is not null as "archived!", greatest(p.updated_at, (select a.at from audit_events a where a.product_id = p.id order by a.id desc limit 1)) as "updated_at!",
                  (select h.health::text from product_health h where h.product_id = p.id) as "health?",
                  (select h.valid_until from product_health h where h.product_id = p.id) as "valid_until?",
                  exists (select 1 from people pe where pe.product_id = p.id and pe.user_id = $1) as "mine!",
                  exists (select 1 from people pe where pe.product_id = p.id and pe.user_id = $1 and pe.can_edit) as "editor!"
           from products p
           join directions d on d.id = p.direction_id
           join phases ph on ph.id = p.phase_id"#,
        viewer
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let stored = match (r.health, r.valid_until) {
                (Some(health), Some(until)) => Some((crate::decode::json_text(&health)?, until)),
                _ => None,
            };
            let (mine, editor) = (r.mine, r.editor);
            let mut row = product_row!(r);
            row.mine = mine;
            row.editor = editor;
            Ok((row, stored))
        })
        .collect()
}

/// Locks the stored health of these products (all when None), in product order, until the
/// end of the transaction: a change computes its product's health only once any other change
/// to it has committed, so the later one stores a health that includes both.
pub async fn lock_health(conn: &mut PgConnection, only: Option<&[Uuid]>) -> sqlx::Result<()> {
    sqlx::query!(
        "select product_id from product_health
         where $1::uuid[] is null or product_id = any($1) order by product_id for update",
        only
    )
    .fetch_all(conn)
    .await?;
    Ok(())
}

/// Stores the health of these products, valid until the day after `today`.
pub async fn store_health(
    db: impl PgExecutor<'_>,
    healths: &[(Uuid, Health)],
    today: NaiveDate,
) -> sqlx::Result<()> {
    let ids: Vec<Uuid> = healths.iter().map(|(id, _)| *id).collect();
    let values = healths
        .iter()
        .map(|(_, h)| serde_json::to_value(h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query!(
        "insert into product_health (product_id, health, valid_until)
         select x.id, x.health, $3::date + 1 from unnest($1::uuid[], $2::jsonb[]) as x(id, health)
         on conflict (product_id) do update
         set health = excluded.health, valid_until = excluded.valid_until, revision = nextval('product_revisions')",
        &ids,
        &values,
        today
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The products whose stored health is missing or no longer true on `today`.
pub async fn expired_health(db: impl PgExecutor<'_>, today: NaiveDate) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"select p.id as "id!" from products p left join product_health h on h.product_id = p.id
           where h.valid_until is null or h.valid_until <= $1"#,
        today
    )
    .fetch_all(db)
    .await
}

/// What the dashboard's rows depend on: moves whenever anything shown on the dashboard does.
/// Every change to a product moves its health row's revision (see `store_health`); the sum,
/// unlike the maximum, moves whatever order transactions commit in; a product created or
/// deleted changes the count (even one whose health is not stored yet). One small statement,
/// read by every view of the dashboard before anything else.
pub async fn change_stamp(db: impl PgExecutor<'_>) -> sqlx::Result<String> {
    let row = sqlx::query!(
        r#"select (select sum(revision)::bigint from product_health) as revision,
                  (select count(*) from products) as "products!""#
    )
    .fetch_one(db)
    .await?;
    Ok(format!("{:?} {}", row.revision, row.products))
}

/// The products `viewer` is one of the people of, and whether they may edit each.
pub async fn memberships(
    db: impl PgExecutor<'_>,
    viewer: Uuid,
) -> sqlx::Result<HashMap<Uuid, bool>> {
    let rows = sqlx::query!(
        r#"select product_id, bool_or(can_edit) as "editor!" from people
           where user_id = $1 group by product_id"#,
        viewer
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.product_id, r.editor)).collect())
}

/// Moves the revision of every product: for a change that shows on every page (a direction or
/// phase renamed).
pub async fn touch_all(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    // Rows locked in product order, as `lock_health` does: two such writes never deadlock.
    sqlx::query!(
        "update product_health set revision = nextval('product_revisions')
         where product_id in (select product_id from product_health order by product_id for update)"
    )
    .execute(db)
    .await?;
    Ok(())
}
