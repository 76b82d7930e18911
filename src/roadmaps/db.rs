//! Queries on roadmaps, their initiatives and risks, share links and the public rate limit.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::{
    indicators::db::{Indicator, IndicatorDocument, Objective},
    roles::db::Person,
    web::version::{self, Stale, Version},
};

use super::model::{InitiativeKind, InitiativeStatus, Level, RiskKind, RiskStatus, Window};

#[derive(Clone, Debug)]
pub struct Roadmap {
    pub id: Uuid,
    pub product_id: Uuid,
    pub window: Window,
    pub margin: i32,
    pub version: i32,
    /// Priority objectives, in order.
    pub priorities: Vec<Uuid>,
}

pub fn window(start: NaiveDate, end: NaiveDate) -> Window {
    Window::new(start, end).unwrap_or(Window { start, end })
}

/// A roadmap's own columns, as queries and `roadmap_documents` give them.
#[derive(serde::Deserialize)]
struct RoadmapColumns {
    id: Uuid,
    product_id: Uuid,
    start_month: NaiveDate,
    end_month: NaiveDate,
    margin: i32,
    version: i32,
    priorities: Vec<Uuid>,
}

impl From<RoadmapColumns> for Roadmap {
    fn from(r: RoadmapColumns) -> Self {
        Roadmap {
            id: r.id,
            product_id: r.product_id,
            window: window(r.start_month, r.end_month),
            margin: r.margin,
            version: r.version,
            priorities: r.priorities,
        }
    }
}

pub async fn roadmaps(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Vec<Roadmap>> {
    let rows = sqlx::query_as!(
        RoadmapColumns,
        r#"select r.id, r.product_id, r.start_month, r.end_month, r.margin, r.version,
                  coalesce(array(select o.objective_id from roadmap_objectives o where o.roadmap_id = r.id order by o.position),
                           '{}') as "priorities!"
           from roadmaps r where r.product_id = $1 order by r.start_month desc, r.end_month desc, r.id"#,
        product_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Roadmap::from).collect())
}

/// A roadmap with its initiatives and risks.
pub struct Planned {
    pub roadmap: Roadmap,
    pub initiatives: Vec<Initiative>,
    pub risks: Vec<Risk>,
}

/// A roadmap as `roadmap_documents` holds it.
#[derive(serde::Deserialize)]
struct RoadmapDocument {
    #[serde(flatten)]
    roadmap: RoadmapColumns,
    initiatives: Vec<Initiative>,
    risks: Vec<Risk>,
}

impl From<RoadmapDocument> for Planned {
    fn from(r: RoadmapDocument) -> Self {
        Planned {
            roadmap: r.roadmap.into(),
            initiatives: r.initiatives,
            risks: r.risks,
        }
    }
}

/// The product's roadmaps (latest first, as [`roadmaps`]), each with its initiatives and
/// risks, and the product's objectives they refer to: one statement.
pub async fn planned(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
) -> sqlx::Result<(Vec<Planned>, Vec<Objective>)> {
    let row = sqlx::query!(
        r#"select
             coalesce((select json_agg(d.document order by d.start_month desc, d.end_month desc, d.id)
                       from roadmap_documents d where d.product_id = $1), '[]')::text as "roadmaps!",
             coalesce((select json_agg(d.document order by d.position, d.created_at)
                       from objective_documents d where d.product_id = $1), '[]')::text as "objectives!""#,
        product_id
    )
    .fetch_one(db)
    .await?;
    let roadmaps: Vec<RoadmapDocument> = crate::decode::json_text(&row.roadmaps)?;
    Ok((
        roadmaps.into_iter().map(Planned::from).collect(),
        crate::decode::json_text(&row.objectives)?,
    ))
}

pub async fn insert_roadmap(
    tx: &mut PgConnection,
    product_id: Uuid,
    window: Window,
    margin: i32,
    user_id: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into roadmaps (product_id, start_month, end_month, margin, created_by) values ($1, $2, $3, $4, $5) returning id",
        product_id,
        window.start,
        window.end,
        margin,
        user_id
    )
    .fetch_one(tx)
    .await
}

/// Updates the window, margin and priorities if the roadmap is still at `version`.
pub async fn update_roadmap(
    tx: &mut PgConnection,
    id: Uuid,
    version: Version,
    window: Window,
    margin: i32,
    priorities: &[Uuid],
) -> sqlx::Result<Result<(), Stale>> {
    let done = sqlx::query!(
        "update roadmaps set start_month = $3, end_month = $4, margin = $5, version = version + 1, updated_at = now()
         where id = $1 and version = $2",
        id,
        version.number(),
        window.start,
        window.end,
        margin
    )
    .execute(&mut *tx)
    .await?;
    let saved = version::guard(done.rows_affected());
    if saved.is_ok() {
        sqlx::query!("delete from roadmap_objectives where roadmap_id = $1", id)
            .execute(&mut *tx)
            .await?;
        sqlx::query!(
            "insert into roadmap_objectives (roadmap_id, objective_id, position)
             select $1, x.id, x.position from unnest($2::uuid[]) with ordinality as x(id, position)",
            id,
            priorities
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(saved)
}

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct Initiative {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub kind: InitiativeKind,
    pub status: InitiativeStatus,
    pub objective_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub milestone_on: Option<NaiveDate>,
    pub milestone: String,
}

pub async fn initiatives(
    db: impl PgExecutor<'_>,
    roadmap_id: Uuid,
) -> sqlx::Result<Vec<Initiative>> {
    select_initiatives(db, roadmap_id, None).await
}

/// One initiative of the roadmap.
pub async fn initiative(
    db: impl PgExecutor<'_>,
    roadmap_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Initiative>> {
    Ok(select_initiatives(db, roadmap_id, Some(id)).await?.pop())
}

async fn select_initiatives(
    db: impl PgExecutor<'_>,
    roadmap_id: Uuid,
    only: Option<Uuid>,
) -> sqlx::Result<Vec<Initiative>> {
    sqlx::query_as!(
        Initiative,
        r#"select id, title, description, kind as "kind: InitiativeKind", status as "status: InitiativeStatus",
                  objective_id, starts_on, ends_on, milestone_on, milestone
           from initiatives where roadmap_id = $1 and ($2::uuid is null or id = $2)
           order by starts_on, title collate "fr-x-icu""#,
        roadmap_id,
        only
    )
    .fetch_all(db)
    .await
}

pub async fn save_initiative(
    tx: &mut PgConnection,
    roadmap_id: Uuid,
    id: Option<Uuid>,
    i: &Initiative,
) -> sqlx::Result<Uuid> {
    match id {
        None => {
            sqlx::query_scalar!(
                "insert into initiatives (roadmap_id, title, description, kind, status, objective_id, starts_on, ends_on, milestone_on, milestone)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
                roadmap_id,
                i.title,
                i.description,
                i.kind.code(),
                i.status.code(),
                i.objective_id,
                i.starts_on,
                i.ends_on,
                i.milestone_on,
                i.milestone
            )
            .fetch_one(tx)
            .await
        }
        Some(id) => {
            sqlx::query!(
                "update initiatives set title = $3, description = $4, kind = $5, status = $6, objective_id = $7, starts_on = $8,
                        ends_on = $9, milestone_on = $10, milestone = $11, updated_at = now()
                 where roadmap_id = $1 and id = $2",
                roadmap_id,
                id,
                i.title,
                i.description,
                i.kind.code(),
                i.status.code(),
                i.objective_id,
                i.starts_on,
                i.ends_on,
                i.milestone_on,
                i.milestone
            )
            .execute(tx)
            .await?;
            Ok(id)
        }
    }
}

pub async fn delete_initiative(
    tx: &mut PgConnection,
    roadmap_id: Uuid,
    id: Uuid,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from initiatives where roadmap_id = $1 and id = $2",
        roadmap_id,
        id
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct Risk {
    pub id: Uuid,
    pub kind: RiskKind,
    pub description: String,
    pub owner: String,
    pub likelihood: Level,
    pub impact: Level,
    pub mitigation: String,
    pub status: RiskStatus,
}

pub async fn risks(db: impl PgExecutor<'_>, roadmap_id: Uuid) -> sqlx::Result<Vec<Risk>> {
    select_risks(db, roadmap_id, None).await
}

/// One risk or dependency of the roadmap.
pub async fn risk(
    db: impl PgExecutor<'_>,
    roadmap_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Risk>> {
    Ok(select_risks(db, roadmap_id, Some(id)).await?.pop())
}

async fn select_risks(
    db: impl PgExecutor<'_>,
    roadmap_id: Uuid,
    only: Option<Uuid>,
) -> sqlx::Result<Vec<Risk>> {
    sqlx::query_as!(
        Risk,
        r#"select id, kind as "kind: RiskKind", description, owner, likelihood as "likelihood: Level",
                  impact as "impact: Level", mitigation, status as "status: RiskStatus"
           from risks where roadmap_id = $1 and ($2::uuid is null or id = $2)
           order by risks.status, created_at"#,
        roadmap_id,
        only
    )
    .fetch_all(db)
    .await
}

pub async fn save_risk(
    tx: &mut PgConnection,
    roadmap_id: Uuid,
    id: Option<Uuid>,
    r: &Risk,
) -> sqlx::Result<Uuid> {
    match id {
        None => {
            sqlx::query_scalar!(
                "insert into risks (roadmap_id, kind, description, owner, likelihood, impact, mitigation, status)
                 values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
                roadmap_id,
                r.kind.code(),
                r.description,
                r.owner,
                r.likelihood.code(),
                r.impact.code(),
                r.mitigation,
                r.status.code()
            )
            .fetch_one(tx)
            .await
        }
        Some(id) => {
            sqlx::query!(
                "update risks set kind = $3, description = $4, owner = $5, likelihood = $6, impact = $7, mitigation = $8,
                        status = $9, updated_at = now()
                 where roadmap_id = $1 and id = $2",
                roadmap_id,
                id,
                r.kind.code(),
                r.description,
                r.owner,
                r.likelihood.code(),
                r.impact.code(),
                r.mitigation,
                r.status.code()
            )
            .execute(tx)
            .await?;
            Ok(id)
        }
    }
}

pub async fn delete_risk(tx: &mut PgConnection, roadmap_id: Uuid, id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from risks where roadmap_id = $1 and id = $2",
        roadmap_id,
        id
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

pub struct ShareLink {
    pub id: Uuid,
    pub product_id: Uuid,
    pub roadmap_id: Option<Uuid>,
    pub label: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub views: i64,
    pub last_viewed_at: Option<DateTime<Utc>>,
    pub show_vision: bool,
    pub show_indicators: bool,
    pub contact_id: Option<Uuid>,
}

/// What a share link shows besides the roadmap.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkContent {
    pub show_vision: bool,
    pub show_indicators: bool,
    /// A person of the product.
    pub contact_id: Option<Uuid>,
}

pub struct NewLink<'a> {
    pub product_id: Uuid,
    pub roadmap_id: Option<Uuid>,
    pub token_hash: &'a [u8],
    pub label: &'a str,
    pub created_by: Uuid,
    pub expires_at: DateTime<Utc>,
    pub content: LinkContent,
}

pub async fn create_link(tx: &mut PgConnection, link: &NewLink<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into share_links (product_id, roadmap_id, token_hash, label, created_by, expires_at,
                                  show_vision, show_indicators, contact_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8,
                 (select id from people where id = $9 and product_id = $1))
         returning id",
        link.product_id,
        link.roadmap_id,
        link.token_hash,
        link.label,
        link.created_by,
        link.expires_at,
        link.content.show_vision,
        link.content.show_indicators,
        link.content.contact_id
    )
    .fetch_one(tx)
    .await
}

pub async fn links(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Vec<ShareLink>> {
    select_links(db, product_id, None).await
}

/// One share link of the product.
pub async fn link(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<ShareLink>> {
    Ok(select_links(db, product_id, Some(id)).await?.pop())
}

async fn select_links(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    only: Option<Uuid>,
) -> sqlx::Result<Vec<ShareLink>> {
    sqlx::query_as!(
        ShareLink,
        r#"select l.id, l.product_id, l.roadmap_id, l.label, u.display_name as "created_by?", l.created_at, l.expires_at,
                  l.revoked_at, l.views, l.last_viewed_at, l.show_vision, l.show_indicators, l.contact_id
           from share_links l left join users u on u.id = l.created_by
           where l.product_id = $1 and ($2::uuid is null or l.id = $2) order by l.created_at desc"#,
        product_id,
        only
    )
    .fetch_all(db)
    .await
}

/// A valid link, as its page needs it, with its product's name and change stamp.
pub struct OpenLink {
    pub id: Uuid,
    pub product_id: Uuid,
    pub roadmap_id: Option<Uuid>,
    pub content: LinkContent,
    pub name: String,
    /// The product's latest change, share links aside.
    pub updated: DateTime<Utc>,
    pub revision: i64,
}

/// The link with this token hash if it is neither revoked nor expired. Reads only: views are
/// counted by `traffic`.
pub async fn open_link(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<OpenLink>> {
    let row = sqlx::query!(
        r#"select l.id, l.product_id, l.roadmap_id, l.show_vision, l.show_indicators, l.contact_id, p.name,
                  greatest(p.updated_at, (select a.at from audit_events a
                                          where a.product_id = p.id and a.entity <> 'share_link'
                                          order by a.id desc limit 1)) as "updated!",
                  coalesce((select h.revision from product_health h where h.product_id = p.id), 0) as "revision!"
           from share_links l join products p on p.id = l.product_id
           where l.token_hash = $1 and l.revoked_at is null and l.expires_at > now()"#,
        token_hash
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| OpenLink {
        id: r.id,
        product_id: r.product_id,
        roadmap_id: r.roadmap_id,
        content: LinkContent {
            show_vision: r.show_vision,
            show_indicators: r.show_indicators,
            contact_id: r.contact_id,
        },
        name: r.name,
        updated: r.updated,
        revision: r.revision,
    }))
}

/// What a share link shows of its product.
pub struct Shared {
    pub roadmaps: Vec<Planned>,
    pub objectives: Vec<Objective>,
    /// Empty unless the link shows the vision.
    pub statement: String,
    /// Empty unless the link shows the indicators.
    pub indicators: Vec<Indicator>,
    pub contact: Option<Person>,
}

/// Everything a share link with `content` shows of the product, in one statement.
pub async fn shared(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    content: &LinkContent,
) -> sqlx::Result<Shared> {
    let row = sqlx::query!(
        r#"select
             coalesce((select json_agg(d.document order by d.start_month desc, d.end_month desc, d.id)
                       from roadmap_documents d where d.product_id = $1), '[]')::text as "roadmaps!",
             coalesce((select json_agg(d.document order by d.position, d.created_at)
                       from objective_documents d where d.product_id = $1), '[]')::text as "objectives!",
             case when $2 then (select v.statement from visions v where v.product_id = $1) end as statement,
             case when $3 then (select json_agg(d.document order by d.name collate "fr-x-icu")
                                from indicator_documents d where d.product_id = $1) end::text as indicators,
             (select d.document from person_documents d where d.product_id = $1 and d.id = $4)::text as contact"#,
        product_id,
        content.show_vision,
        content.show_indicators,
        content.contact_id,
    )
    .fetch_one(db)
    .await?;
    let roadmaps: Vec<RoadmapDocument> = crate::decode::json_text(&row.roadmaps)?;
    let indicators: Vec<IndicatorDocument> = match row.indicators {
        Some(text) => crate::decode::json_text(&text)?,
        None => Vec::new(),
    };
    Ok(Shared {
        roadmaps: roadmaps.into_iter().map(Planned::from).collect(),
        objectives: crate::decode::json_text(&row.objectives)?,
        statement: row.statement.unwrap_or_default(),
        indicators: indicators.into_iter().map(Indicator::from).collect(),
        contact: row
            .contact
            .map(|text| crate::decode::json_text(&text))
            .transpose()?,
    })
}

pub async fn revoke_link(
    tx: &mut PgConnection,
    product_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "update share_links set revoked_at = coalesce(revoked_at, now()) where product_id = $1 and id = $2 returning label",
        product_id,
        id
    )
    .fetch_optional(tx)
    .await
}

/// Counts a request for an unknown public link (a guess) from `client_ip`, where every instance
/// sees it; returns the guesses of the last 60 seconds, estimated from this minute's count and the previous minute's weighted by how much
/// of it is still within 60 seconds — so a burst straddling a minute boundary is counted whole.
pub async fn hit(db: impl PgExecutor<'_>, client_ip: &str) -> sqlx::Result<f64> {
    sqlx::query_scalar!(
        r#"with counted as (
             insert into share_hits (client_ip, minute, hits) values ($1, date_trunc('minute', now()), 1)
             on conflict (client_ip, minute) do update set hits = share_hits.hits + 1
             returning hits)
           select ((select hits from counted)
                   + coalesce((select hits from share_hits
                               where client_ip = $1 and minute = date_trunc('minute', now()) - interval '1 minute'), 0)
                     * (1 - extract(epoch from now() - date_trunc('minute', now())) / 60))::float8 as "hits!""#,
        client_ip
    )
    .fetch_one(db)
    .await
}

pub async fn delete_old_hits(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!("delete from share_hits where minute < now() - interval '10 minutes'")
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

pub async fn share_max_days(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    Ok(sqlx::query_scalar!("select share_max_days from settings")
        .fetch_optional(db)
        .await?
        .map(i64::from)
        .unwrap_or(180))
}

pub async fn set_share_max_days(db: impl PgExecutor<'_>, days: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "update settings set share_max_days = $1, updated_at = now()",
        days
    )
    .execute(db)
    .await?;
    Ok(())
}

/// For the dashboard and the portfolio timeline: every roadmap with its initiative counts.
pub struct RoadmapSummary {
    pub product_id: Uuid,
    pub window: Window,
    pub initiatives: i64,
    pub done: i64,
    pub dropped: i64,
}

pub async fn all_roadmaps(
    db: impl PgExecutor<'_>,
    only: Option<&[Uuid]>,
) -> sqlx::Result<Vec<RoadmapSummary>> {
    let rows = sqlx::query!(
        r#"select r.product_id, r.start_month, r.end_month,
                  count(i.id) as "initiatives!",
                  count(i.id) filter (where i.status = 'terminee') as "done!",
                  count(i.id) filter (where i.status = 'abandonnee') as "dropped!"
           from roadmaps r left join initiatives i on i.roadmap_id = r.id
           where $1::uuid[] is null or r.product_id = any($1)
           group by r.id
           -- The order of the product's pages: `standing` takes the first that covers today.
           order by r.start_month desc, r.end_month desc, r.id"#,
        only
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RoadmapSummary {
            product_id: r.product_id,
            window: window(r.start_month, r.end_month),
            initiatives: r.initiatives,
            done: r.done,
            dropped: r.dropped,
        })
        .collect())
}

/// For the dashboard, per product: its open risks rated high (likelihood or impact) on roadmaps
/// not yet ended on `today`, and the day its first live share link expires. One query.
pub async fn portfolio_watch(
    db: impl PgExecutor<'_>,
    only: Option<&[Uuid]>,
    today: NaiveDate,
) -> sqlx::Result<HashMap<Uuid, (usize, Option<NaiveDate>)>> {
    let rows = sqlx::query!(
        r#"select p.id,
                  (select count(*) from risks k join roadmaps r on r.id = k.roadmap_id
                   where r.product_id = p.id and k.status = 'ouvert' and (k.likelihood = 'fort' or k.impact = 'fort')
                     and r.end_month >= date_trunc('month', $2::date)::date) as "high_risks!",
                  (select min((l.expires_at at time zone 'Europe/Paris')::date) from share_links l
                   where l.product_id = p.id and l.revoked_at is null and l.expires_at > now()) as share_expiry
           from products p
           where $1::uuid[] is null or p.id = any($1)"#,
        only,
        today
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let high = usize::try_from(r.high_risks).unwrap_or_default();
            (r.id, (high, r.share_expiry))
        })
        .collect())
}

/// A roadmap as the portfolio timeline draws it: its window, how its initiatives stand on
/// `today`, its open high risks and its milestones.
pub struct TimelineRoadmap {
    pub id: Uuid,
    pub product_id: Uuid,
    pub window: Window,
    pub initiatives: i64,
    pub done: i64,
    pub dropped: i64,
    /// Initiatives past their end and neither done nor dropped.
    pub overdue: i64,
    pub high_risks: i64,
    pub milestones: Vec<TimelineMilestone>,
}

pub struct TimelineMilestone {
    pub day: NaiveDate,
    /// The milestone's name, or its initiative's title when it has none.
    pub name: String,
    pub done: bool,
}

/// The roadmaps of `products` that meet the months from `from` to `to` (first days), by product
/// and start. One query.
pub async fn timeline(
    db: impl PgExecutor<'_>,
    products: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> sqlx::Result<Vec<TimelineRoadmap>> {
    let rows = sqlx::query!(
        r#"select r.id, r.product_id, r.start_month, r.end_month,
                  count(i.id) as "initiatives!",
                  count(i.id) filter (where i.status = 'terminee') as "done!",
                  count(i.id) filter (where i.status = 'abandonnee') as "dropped!",
                  count(i.id) filter (where i.ends_on < $4 and i.status in ('prevue', 'en-cours')) as "overdue!",
                  (select count(*) from risks k
                   where k.roadmap_id = r.id and k.status = 'ouvert'
                     and (k.likelihood = 'fort' or k.impact = 'fort')) as "high_risks!",
                  coalesce(array_agg(i.milestone_on order by i.milestone_on, i.id)
                           filter (where i.milestone_on is not null and i.status <> 'abandonnee'), '{}')
                      as "milestone_days!: Vec<NaiveDate>",
                  coalesce(array_agg(case when i.milestone <> '' then i.milestone else i.title end
                                     order by i.milestone_on, i.id)
                           filter (where i.milestone_on is not null and i.status <> 'abandonnee'), '{}')
                      as "milestone_names!: Vec<String>",
                  coalesce(array_agg(i.status = 'terminee' order by i.milestone_on, i.id)
                           filter (where i.milestone_on is not null and i.status <> 'abandonnee'), '{}')
                      as "milestone_done!: Vec<bool>"
           from roadmaps r left join initiatives i on i.roadmap_id = r.id
           where r.product_id = any($1) and r.end_month >= $2 and r.start_month <= $3
           group by r.id
           order by r.product_id, r.start_month, r.id"#,
        products,
        from,
        to,
        today
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TimelineRoadmap {
            id: r.id,
            product_id: r.product_id,
            window: window(r.start_month, r.end_month),
            initiatives: r.initiatives,
            done: r.done,
            dropped: r.dropped,
            overdue: r.overdue,
            high_risks: r.high_risks,
            milestones: r
                .milestone_days
                .into_iter()
                .zip(r.milestone_names)
                .zip(r.milestone_done)
                .map(|((day, name), done)| TimelineMilestone { day, name, done })
                .collect(),
        })
        .collect())
}

/// A risk or dependency of a roadmap not yet ended, with its roadmap and product.
pub struct PortfolioRisk {
    pub roadmap_id: Uuid,
    pub product_id: Uuid,
    pub window: Window,
    pub risk: Risk,
}

/// The risks and dependencies of these products' roadmaps in progress or to come: one statement.
pub async fn portfolio_risks(
    db: impl PgExecutor<'_>,
    products: &[Uuid],
    today: NaiveDate,
) -> sqlx::Result<Vec<PortfolioRisk>> {
    let rows = sqlx::query!(
        r#"select k.id, r.id as roadmap_id, r.product_id, r.start_month, r.end_month,
                  k.kind as "kind: RiskKind", k.description, k.owner, k.likelihood as "likelihood: Level",
                  k.impact as "impact: Level", k.mitigation, k.status as "status: RiskStatus"
           from risks k join roadmaps r on r.id = k.roadmap_id
           where r.product_id = any($1) and r.end_month >= date_trunc('month', $2::date)::date"#,
        products,
        today
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|k| PortfolioRisk {
            roadmap_id: k.roadmap_id,
            product_id: k.product_id,
            window: window(k.start_month, k.end_month),
            risk: Risk {
                id: k.id,
                kind: k.kind,
                description: k.description,
                owner: k.owner,
                likelihood: k.likelihood,
                impact: k.impact,
                mitigation: k.mitigation,
                status: k.status,
            },
        })
        .collect())
}
