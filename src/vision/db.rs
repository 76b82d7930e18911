//! Queries on visions, their versions and contributors, and the review period setting.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::web::version::{Stale, Version};

use super::model::{DEFAULT_REVIEW_MONTHS, VisionText};

pub struct Vision {
    pub text: VisionText,
    pub version: i32,
    pub edited_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<String>,
}

/// Every product has a vision row, empty until its first save.
pub async fn create(tx: &mut PgConnection, product_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into visions (product_id) values ($1) on conflict do nothing",
        product_id
    )
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn find(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Option<Vision>> {
    Ok(section(db, product_id).await?.map(|(vision, _, _)| vision))
}

/// What the sheet's vision section shows, in one query: the vision, the names of the people
/// credited with it, and the review period.
pub async fn section(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
) -> sqlx::Result<Option<(Vision, Vec<String>, u32)>> {
    let row = sqlx::query!(
        r#"select v.statement, v.raison_detre, v.users, v.problems, v.solution, v.impact, v.alignment, v.version,
                  v.edited_at, v.reviewed_at, u.display_name as "reviewed_by?",
                  coalesce((select array_agg(p.name order by p.name collate "fr-x-icu")
                            from vision_credits c join people p on p.id = c.person_id
                            where c.product_id = v.product_id), '{}') as "contributors!",
                  (select vision_review_months from settings) as review_months
           from visions v left join users u on u.id = v.reviewed_by
           where v.product_id = $1"#,
        product_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        let months = r
            .review_months
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(DEFAULT_REVIEW_MONTHS);
        let vision = Vision {
            text: VisionText {
                statement: r.statement,
                raison_detre: r.raison_detre,
                users: r.users,
                problems: r.problems,
                solution: r.solution,
                impact: r.impact,
                alignment: r.alignment,
            },
            version: r.version,
            edited_at: r.edited_at,
            reviewed_at: r.reviewed_at,
            reviewed_by: r.reviewed_by,
        };
        (vision, r.contributors, months)
    }))
}

/// A person of the product credited with the vision.
pub struct Contributor {
    pub id: Uuid,
    pub name: String,
}

pub async fn contributors(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
) -> sqlx::Result<Vec<Contributor>> {
    sqlx::query_as!(
        Contributor,
        "select p.id, p.name from vision_credits c join people p on p.id = c.person_id
         where c.product_id = $1 order by p.name collate \"fr-x-icu\"",
        product_id
    )
    .fetch_all(db)
    .await
}

/// The people of the product, who can be credited (business people included).
pub async fn people(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Vec<Contributor>> {
    sqlx::query_as!(
        Contributor,
        "select id, name from people where product_id = $1 order by name collate \"fr-x-icu\"",
        product_id
    )
    .fetch_all(db)
    .await
}

pub async fn review_months(db: impl PgExecutor<'_>) -> sqlx::Result<u32> {
    let months = sqlx::query_scalar!("select vision_review_months from settings")
        .fetch_optional(db)
        .await?;
    Ok(months
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(DEFAULT_REVIEW_MONTHS))
}

pub async fn set_review_months(db: impl PgExecutor<'_>, months: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "update settings set vision_review_months = $1, updated_at = now()",
        months
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Saves the texts if the vision is still at `version`; returns the new version, or Stale when
/// someone saved in between.
pub async fn save(
    tx: &mut PgConnection,
    product_id: Uuid,
    version: Version,
    text: &VisionText,
    user_id: Uuid,
) -> sqlx::Result<Result<i32, Stale>> {
    sqlx::query_scalar!(
        "update visions set statement = $3, raison_detre = $4, users = $5, problems = $6, solution = $7, impact = $8,
                alignment = $10, version = version + 1, edited_at = now(), edited_by = $9, updated_at = now()
         where product_id = $1 and version = $2
         returning version",
        product_id,
        version.number(),
        text.statement,
        text.raison_detre,
        text.users,
        text.problems,
        text.solution,
        text.impact,
        user_id,
        text.alignment
    )
    .fetch_optional(&mut *tx)
    .await
    .map(|row| row.ok_or(Stale))
}

pub async fn set_contributors(
    tx: &mut PgConnection,
    product_id: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from vision_credits where product_id = $1",
        product_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into vision_credits (product_id, person_id)
         select $1, id from people where product_id = $1 and id = any($2::uuid[])",
        product_id,
        ids
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub struct NewVersion<'a> {
    pub product_id: Uuid,
    pub number: i32,
    pub text: &'a VisionText,
    pub contributors: &'a str,
    pub restored_from: Option<i32>,
    pub saved_by: Uuid,
    pub saved_by_name: &'a str,
}

pub async fn insert_version(tx: &mut PgConnection, v: &NewVersion<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into vision_versions (product_id, number, statement, raison_detre, users, problems, solution, impact,
                                      contributors, restored_from, saved_by, saved_by_name, alignment)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        v.product_id,
        v.number,
        v.text.statement,
        v.text.raison_detre,
        v.text.users,
        v.text.problems,
        v.text.solution,
        v.text.impact,
        v.contributors,
        v.restored_from,
        v.saved_by,
        v.saved_by_name,
        v.text.alignment
    )
    .execute(tx)
    .await?;
    Ok(())
}

pub struct SavedVersion {
    pub number: i32,
    pub text: VisionText,
    pub contributors: String,
    pub restored_from: Option<i32>,
    pub saved_by_name: String,
    pub saved_at: DateTime<Utc>,
}

pub async fn versions(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
) -> sqlx::Result<Vec<SavedVersion>> {
    let rows = sqlx::query!(
        "select number, statement, raison_detre, users, problems, solution, impact, alignment, contributors, restored_from,
                saved_by_name, saved_at
         from vision_versions where product_id = $1 order by number desc",
        product_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SavedVersion {
            number: r.number,
            text: VisionText {
                statement: r.statement,
                raison_detre: r.raison_detre,
                users: r.users,
                problems: r.problems,
                solution: r.solution,
                impact: r.impact,
                alignment: r.alignment,
            },
            contributors: r.contributors,
            restored_from: r.restored_from,
            saved_by_name: r.saved_by_name,
            saved_at: r.saved_at,
        })
        .collect())
}

pub async fn mark_reviewed(
    tx: &mut PgConnection,
    product_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update visions set reviewed_at = now(), reviewed_by = $2, updated_at = now() where product_id = $1",
        product_id,
        user_id
    )
    .execute(tx)
    .await?;
    Ok(())
}
