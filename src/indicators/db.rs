//! Queries on objectives, indicators, targets and measurements.

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::web::version::{self, Stale, Version};

use super::model::{Frequency, Kind, Point, Source, Spec, Trend};

#[derive(Clone, Debug, Deserialize)]
pub struct Objective {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub position: i32,
}

pub async fn objectives(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Vec<Objective>> {
    sqlx::query_as!(
        Objective,
        "select id, title, description, position from objectives where product_id = $1 order by position, created_at",
        product_id
    )
    .fetch_all(db)
    .await
}

pub async fn add_objective(
    tx: &mut PgConnection,
    product_id: Uuid,
    title: &str,
    description: &str,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into objectives (product_id, title, description, position)
         select $1, $2, $3, coalesce(max(position), 0) + 1 from objectives where product_id = $1
         returning id",
        product_id,
        title,
        description
    )
    .fetch_one(tx)
    .await
}

pub async fn update_objective(
    tx: &mut PgConnection,
    product_id: Uuid,
    id: Uuid,
    title: &str,
    description: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update objectives set title = $3, description = $4, updated_at = now() where id = $2 and product_id = $1",
        product_id,
        id,
        title,
        description
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

pub async fn delete_objective(
    tx: &mut PgConnection,
    product_id: Uuid,
    id: Uuid,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from objectives where id = $2 and product_id = $1",
        product_id,
        id
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

pub async fn reorder_objectives(tx: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query!(
        "update objectives o set position = x.position::int, updated_at = now()
         from unnest($1::uuid[]) with ordinality as x(id, position) where o.id = x.id",
        ids
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// An indicator with its targets and measurements (oldest first).
#[derive(Clone, Debug)]
pub struct Indicator {
    pub id: Uuid,
    pub objective_id: Option<Uuid>,
    pub name: String,
    pub kind: Kind,
    pub unit: String,
    pub trend: Trend,
    pub range: Option<(f64, f64)>,
    pub baseline: Point,
    pub frequency: Frequency,
    pub source: Source,
    pub owner: String,
    pub description: String,
    pub version: i32,
    pub targets: Vec<Point>,
    pub measurements: Vec<Measurement>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Measurement {
    pub id: Uuid,
    pub date: NaiveDate,
    pub value: f64,
    pub comment: String,
}

#[derive(Deserialize)]
struct TargetJson {
    date: NaiveDate,
    value: f64,
}

impl Indicator {
    pub fn spec(&self) -> Spec {
        Spec {
            trend: self.trend,
            range: self.range,
            baseline: self.baseline,
            targets: self.targets.clone(),
            frequency: self.frequency,
        }
    }

    pub fn points(&self) -> Vec<Point> {
        self.measurements
            .iter()
            .map(|m| Point {
                date: m.date,
                value: m.value,
            })
            .collect()
    }
}

/// Every indicator of a product (or only `only`), with targets and measurements: one query.
pub async fn indicators(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    only: Option<Uuid>,
) -> sqlx::Result<Vec<Indicator>> {
    Ok(objectives_and_indicators(db, product_id, only).await?.1)
}

/// An indicator as `indicator_documents` holds it.
#[derive(Deserialize)]
pub struct IndicatorDocument {
    id: Uuid,
    objective_id: Option<Uuid>,
    name: String,
    kind: Kind,
    unit: String,
    direction: Trend,
    range_low: Option<f64>,
    range_high: Option<f64>,
    baseline_value: f64,
    baseline_date: NaiveDate,
    frequency: Frequency,
    source: Source,
    owner: String,
    description: String,
    version: i32,
    targets: Vec<TargetJson>,
    measurements: Vec<Measurement>,
}

impl From<IndicatorDocument> for Indicator {
    fn from(i: IndicatorDocument) -> Self {
        Indicator {
            id: i.id,
            objective_id: i.objective_id,
            name: i.name,
            kind: i.kind,
            unit: i.unit,
            trend: i.direction,
            range: i.range_low.zip(i.range_high),
            baseline: Point {
                date: i.baseline_date,
                value: i.baseline_value,
            },
            frequency: i.frequency,
            source: i.source,
            owner: i.owner,
            description: i.description,
            version: i.version,
            targets: i
                .targets
                .into_iter()
                .map(|t| Point {
                    date: t.date,
                    value: t.value,
                })
                .collect(),
            measurements: i.measurements,
        }
    }
}

/// The product's objectives and its indicators (all, or the one `only`), each with its targets
/// and measurements: one statement whatever their number.
pub async fn objectives_and_indicators(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    only: Option<Uuid>,
) -> sqlx::Result<(Vec<Objective>, Vec<Indicator>)> {
    let row = sqlx::query!(
        r#"select
             coalesce((select json_agg(d.document order by d.position, d.created_at)
                       from objective_documents d where d.product_id = $1), '[]')::text as "objectives!",
             coalesce((select json_agg(d.document order by d.name collate "fr-x-icu")
                       from indicator_documents d where d.product_id = $1 and ($2::uuid is null or d.id = $2)),
                      '[]')::text
               as "indicators!""#,
        product_id,
        only
    )
    .fetch_one(db)
    .await?;
    let objectives = crate::decode::json_text(&row.objectives)?;
    let indicators: Vec<IndicatorDocument> = crate::decode::json_text(&row.indicators)?;
    let indicators = indicators.into_iter().map(Indicator::from).collect();
    Ok((objectives, indicators))
}

/// The indicators of these products, with the product of each: one statement.
pub async fn indicators_of(
    db: impl PgExecutor<'_>,
    products: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, Indicator)>> {
    #[derive(Deserialize)]
    struct Owned {
        product_id: Uuid,
        document: IndicatorDocument,
    }
    let text = sqlx::query_scalar!(
        r#"select coalesce(json_agg(json_build_object('product_id', d.product_id, 'document', d.document)
                                    order by d.product_id, d.name collate "fr-x-icu"), '[]')::text as "all!"
           from indicator_documents d where d.product_id = any($1)"#,
        products
    )
    .fetch_one(db)
    .await?;
    let all: Vec<Owned> = crate::decode::json_text(&text)?;
    Ok(all
        .into_iter()
        .map(|o| (o.product_id, Indicator::from(o.document)))
        .collect())
}

/// The product, name and unit of the indicator `id`: one statement.
pub async fn product_of(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<(Uuid, String, String)>> {
    let row = sqlx::query!(
        "select product_id, name, unit from indicators where id = $1",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.product_id, r.name, r.unit)))
}

/// What storing one measurement of a batch did: its previous value and comment as this
/// statement saw them (None when it is new), whether anything changed, and whether the row was
/// inserted (a batch that raced another one to a new date replaces its value: not inserted).
pub struct Upserted {
    pub date: NaiveDate,
    pub before: Option<(f64, String)>,
    pub changed: bool,
    pub inserted: bool,
}

/// Adds these measurements, or replaces the value and comment of their dates when they
/// differ: one statement for the whole batch (dates all different).
pub async fn upsert_measurements(
    tx: &mut PgConnection,
    indicator_id: Uuid,
    points: &[(Point, String)],
) -> sqlx::Result<Vec<Upserted>> {
    let dates: Vec<NaiveDate> = points.iter().map(|(p, _)| p.date).collect();
    let values: Vec<f64> = points.iter().map(|(p, _)| p.value).collect();
    let comments: Vec<String> = points.iter().map(|(_, c)| c.clone()).collect();
    // The CTEs all see the table as it was before the statement: `previous` is what each date
    // held; the upsert skips the dates whose value and comment are already those sent. Rows go
    // in date order, so that two batches sharing dates lock them in the same order (no
    // deadlock): the later waits, then finds the values already there.
    let rows = sqlx::query!(
        r#"with input as (
             select * from unnest($2::date[], $3::float8[], $4::text[]) as t(measured_on, value, comment)),
           previous as (
             select m.measured_on, m.value, m.comment from measurements m
             where m.indicator_id = $1 and m.measured_on in (select measured_on from input)),
           upserted as (
             insert into measurements (indicator_id, measured_on, value, comment)
             select $1, measured_on, value, comment from input order by measured_on
             on conflict (indicator_id, measured_on) do update
               set value = excluded.value, comment = excluded.comment, updated_at = now()
               where measurements.value is distinct from excluded.value
                  or measurements.comment is distinct from excluded.comment
             returning measured_on, xmax = 0 as inserted)
           select i.measured_on as "date!", p.value as "before_value?", p.comment as "before_comment?",
                  exists (select 1 from upserted u where u.measured_on = i.measured_on) as "changed!",
                  coalesce((select u.inserted from upserted u where u.measured_on = i.measured_on), false) as "inserted!"
           from input i left join previous p on p.measured_on = i.measured_on
           order by i.measured_on"#,
        indicator_id,
        &dates,
        &values,
        &comments
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Upserted {
            date: r.date,
            before: r.before_value.zip(r.before_comment),
            changed: r.changed,
            inserted: r.inserted,
        })
        .collect())
}

/// The validated fields of an indicator, as the form gives them.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorInput {
    pub objective_id: Option<Uuid>,
    pub name: String,
    pub kind: Kind,
    pub unit: String,
    pub trend: Trend,
    pub range: Option<(f64, f64)>,
    pub baseline: Point,
    pub targets: Vec<Point>,
    pub frequency: Frequency,
    pub source: Source,
    pub owner: String,
    pub description: String,
}

pub async fn insert_indicator(
    tx: &mut PgConnection,
    product_id: Uuid,
    input: &IndicatorInput,
) -> sqlx::Result<Uuid> {
    let id = sqlx::query_scalar!(
        "insert into indicators (product_id, objective_id, name, kind, unit, direction, range_low, range_high,
                                 baseline_value, baseline_date, frequency, source, owner, description)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) returning id",
        product_id,
        input.objective_id,
        input.name,
        input.kind.code(),
        input.unit,
        input.trend.code(),
        input.range.map(|r| r.0),
        input.range.map(|r| r.1),
        input.baseline.value,
        input.baseline.date,
        input.frequency.code(),
        input.source.code(),
        input.owner,
        input.description
    )
    .fetch_one(&mut *tx)
    .await?;
    set_targets(tx, id, &input.targets).await?;
    Ok(id)
}

/// Updates the indicator if it is still at `version`.
pub async fn update_indicator(
    tx: &mut PgConnection,
    product_id: Uuid,
    id: Uuid,
    version: Version,
    input: &IndicatorInput,
) -> sqlx::Result<Result<(), Stale>> {
    let done = sqlx::query!(
        "update indicators set objective_id = $4, name = $5, kind = $6, unit = $7, direction = $8, range_low = $9,
                range_high = $10, baseline_value = $11, baseline_date = $12, frequency = $13, source = $14,
                owner = $15, description = $16, version = version + 1, updated_at = now()
         where product_id = $1 and id = $2 and version = $3",
        product_id,
        id,
        version.number(),
        input.objective_id,
        input.name,
        input.kind.code(),
        input.unit,
        input.trend.code(),
        input.range.map(|r| r.0),
        input.range.map(|r| r.1),
        input.baseline.value,
        input.baseline.date,
        input.frequency.code(),
        input.source.code(),
        input.owner,
        input.description
    )
    .execute(&mut *tx)
    .await?;
    let saved = version::guard(done.rows_affected());
    if saved.is_ok() {
        set_targets(tx, id, &input.targets).await?;
    }
    Ok(saved)
}

async fn set_targets(tx: &mut PgConnection, id: Uuid, targets: &[Point]) -> sqlx::Result<()> {
    sqlx::query!("delete from indicator_targets where indicator_id = $1", id)
        .execute(&mut *tx)
        .await?;
    let dates: Vec<NaiveDate> = targets.iter().map(|t| t.date).collect();
    let values: Vec<f64> = targets.iter().map(|t| t.value).collect();
    sqlx::query!(
        "insert into indicator_targets (indicator_id, target_date, value) select $1, * from unnest($2::date[], $3::float8[])",
        id,
        &dates,
        &values
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Adds a measurement, or replaces the value of that date; returns the previous one if any.
pub async fn upsert_measurement(
    tx: &mut PgConnection,
    indicator_id: Uuid,
    point: Point,
    comment: &str,
) -> sqlx::Result<Option<(f64, String)>> {
    let previous = sqlx::query!(
        "select value, comment from measurements where indicator_id = $1 and measured_on = $2 for update",
        indicator_id,
        point.date
    )
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into measurements (indicator_id, measured_on, value, comment) values ($1, $2, $3, $4)
         on conflict (indicator_id, measured_on) do update
         set value = excluded.value, comment = excluded.comment, updated_at = now()",
        indicator_id,
        point.date,
        point.value,
        comment
    )
    .execute(&mut *tx)
    .await?;
    Ok(previous.map(|p| (p.value, p.comment)))
}

/// Changes a measurement's date, value or comment; fails on `measurements_one_per_date`.
pub async fn update_measurement(
    tx: &mut PgConnection,
    indicator_id: Uuid,
    id: Uuid,
    point: Point,
    comment: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update measurements set measured_on = $3, value = $4, comment = $5, updated_at = now()
         where indicator_id = $1 and id = $2",
        indicator_id,
        id,
        point.date,
        point.value,
        comment
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

pub async fn delete_measurement(
    tx: &mut PgConnection,
    indicator_id: Uuid,
    id: Uuid,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from measurements where indicator_id = $1 and id = $2",
        indicator_id,
        id
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

/// For the dashboard: every indicator of every product with its targets and latest measurement,
/// in one query whatever the number of products.
pub struct PortfolioIndicator {
    pub id: Uuid,
    pub product_id: Uuid,
    pub name: String,
    pub kind: Kind,
    pub unit: String,
    pub owner: String,
    pub spec: Spec,
    pub latest: Option<Point>,
}

pub async fn portfolio_indicators(
    db: impl PgExecutor<'_>,
    only: Option<&[Uuid]>,
) -> sqlx::Result<Vec<PortfolioIndicator>> {
    let rows = sqlx::query!(
        r#"select i.id, i.product_id, i.name, i.kind as "kind: Kind", i.unit, i.owner, i.direction as "direction: Trend", i.range_low, i.range_high, i.baseline_value,
                  i.baseline_date, i.frequency as "frequency: Frequency",
                  coalesce((select json_agg(json_build_object('date', t.target_date, 'value', t.value) order by t.target_date)
                            from indicator_targets t where t.indicator_id = i.id), '[]') as "targets!",
                  latest.measured_on as "latest_date?", latest.value as "latest_value?"
           from indicators i
           left join lateral (select m.measured_on, m.value from measurements m where m.indicator_id = i.id
                              order by m.measured_on desc limit 1) latest on true
           where $1::uuid[] is null or i.product_id = any($1)"#,
        only
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let targets: Vec<TargetJson> = crate::decode::json(r.targets)?;
            Ok(PortfolioIndicator {
                id: r.id,
                product_id: r.product_id,
                name: r.name,
                kind: r.kind,
                unit: r.unit,
                owner: r.owner,
                spec: Spec {
                    trend: r.direction,
                    range: r.range_low.zip(r.range_high),
                    baseline: Point {
                        date: r.baseline_date,
                        value: r.baseline_value,
                    },
                    targets: targets
                        .into_iter()
                        .map(|t| Point {
                            date: t.date,
                            value: t.value,
                        })
                        .collect(),
                    frequency: r.frequency,
                },
                latest: r
                    .latest_date
                    .zip(r.latest_value)
                    .map(|(date, value)| Point { date, value }),
            })
        })
        .collect()
}
