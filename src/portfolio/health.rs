//! A product's health as the dashboard shows it — vision completeness and review, indicators by
//! status, where its roadmap stands, RACI problems — computed when the product changes, in the
//! transaction of the change (the unit of work calls [`refresh`]), and stored in
//! `product_health`. Part of it depends on the date (a vision falls due, an indicator falls
//! behind its trajectory, a roadmap ends): a stored health is true until the day after it was
//! computed, and [`refresh_expired`] recomputes the rows past that day at start-up and
//! periodically. Reading the dashboard recomputes only what is missing or expired, and writes
//! nothing.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    db,
    model::{IndicatorCounts, RoadmapState, Row},
};
use crate::{roles::db::RaciCounts, vision::model::Review};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// How many of the vision's six parts are filled.
    pub vision_score: usize,
    pub vision_review: Review,
    pub indicators: IndicatorCounts,
    pub roadmap: RoadmapState,
    /// RACI errors; None when the product has no matrix filled in yet.
    pub raci_problems: Option<i64>,
    #[serde(default)]
    pub raci: RaciCounts,
    #[serde(default)]
    pub high_risks: usize,
    #[serde(default)]
    pub share_expiry: Option<NaiveDate>,
}

impl Health {
    pub fn of(row: &Row) -> Self {
        Self {
            vision_score: row.vision_score,
            vision_review: row.vision_review,
            indicators: row.indicators,
            roadmap: row.roadmap.clone(),
            raci_problems: row.raci_problems,
            raci: row.raci,
            high_risks: row.high_risks,
            share_expiry: row.share_expiry,
        }
    }

    pub fn apply(self, row: &mut Row) {
        row.vision_score = self.vision_score;
        row.vision_review = self.vision_review;
        row.indicators = self.indicators;
        row.roadmap = self.roadmap;
        row.raci_problems = self.raci_problems;
        row.raci = self.raci;
        row.high_risks = self.high_risks;
        row.share_expiry = self.share_expiry;
    }
}

/// The rows of these products (all when None) with their health computed from their data on
/// `today`: a fixed number of queries whatever their number.
pub async fn compute(
    conn: &mut PgConnection,
    only: Option<&[Uuid]>,
    today: NaiveDate,
) -> sqlx::Result<Vec<Row>> {
    let months = crate::vision::db::review_months(&mut *conn).await?;
    let mut rows = db::rows(&mut *conn, months, today, only).await?;
    let mut counts: HashMap<Uuid, IndicatorCounts> = HashMap::new();
    for indicator in crate::indicators::db::portfolio_indicators(&mut *conn, only).await? {
        let latest: Vec<_> = indicator.latest.into_iter().collect();
        let status = crate::indicators::model::assess(&indicator.spec, &latest, today).status;
        counts.entry(indicator.product_id).or_default().add(status);
    }
    let roadmaps = crate::roadmaps::db::all_roadmaps(&mut *conn, only).await?;
    let raci = crate::roles::db::portfolio_problems(&mut *conn, only).await?;
    let watch = crate::roadmaps::db::portfolio_watch(&mut *conn, only, today).await?;
    for row in &mut rows {
        row.indicators = counts.get(&row.id).copied().unwrap_or_default();
        let mine: Vec<&crate::roadmaps::db::RoadmapSummary> =
            roadmaps.iter().filter(|r| r.product_id == row.id).collect();
        row.roadmap = roadmap_state(&mine, today);
        let (counts, filled) = raci.get(&row.id).copied().unwrap_or_default();
        row.raci_problems = filled.then(|| counts.problems());
        row.raci = if filled {
            counts
        } else {
            RaciCounts::default()
        };
        (row.high_risks, row.share_expiry) = watch.get(&row.id).copied().unwrap_or_default();
    }
    Ok(rows)
}

/// Recomputes and stores the health of these products (all when None), within the caller's
/// transaction so that it commits with the change that moved it.
pub async fn refresh(
    conn: &mut PgConnection,
    only: Option<&[Uuid]>,
    today: NaiveDate,
) -> sqlx::Result<()> {
    db::lock_health(&mut *conn, only).await?;
    let rows = compute(&mut *conn, only, today).await?;
    let healths: Vec<(Uuid, Health)> = rows.iter().map(|r| (r.id, Health::of(r))).collect();
    db::store_health(&mut *conn, &healths, today).await
}

/// Recomputes the stored health that is missing or past its day; returns how many products.
pub async fn refresh_expired(db: &PgPool, today: NaiveDate) -> sqlx::Result<usize> {
    let mut tx = db.begin().await?;
    let expired = db::expired_health(&mut *tx, today).await?;
    if !expired.is_empty() {
        refresh(&mut tx, Some(&expired), today).await?;
    }
    tx.commit().await?;
    Ok(expired.len())
}

/// Every product for the dashboard (`viewer`'s marked as theirs): the stored health where it is still true, computed (and
/// not stored: a read writes nothing) for the few products where it is not.
pub async fn rows(db: &PgPool, viewer: Option<Uuid>, today: NaiveDate) -> sqlx::Result<Vec<Row>> {
    let stored = db::stored_rows(db, viewer).await?;
    let mut missing = Vec::new();
    let mut rows = Vec::with_capacity(stored.len());
    for (mut row, health) in stored {
        match health {
            Some((health, until)) if until > today => health.apply(&mut row),
            _ => missing.push(row.id),
        }
        rows.push(row);
    }
    if !missing.is_empty() {
        let mut conn = db.acquire().await?;
        let fresh: HashMap<Uuid, Health> = compute(&mut conn, Some(&missing), today)
            .await?
            .iter()
            .map(|r| (r.id, Health::of(r)))
            .collect();
        for row in &mut rows {
            if let Some(health) = fresh.get(&row.id) {
                health.clone().apply(row);
            }
        }
    }
    Ok(rows)
}

fn roadmap_state(
    roadmaps: &[&crate::roadmaps::db::RoadmapSummary],
    today: NaiveDate,
) -> RoadmapState {
    use crate::roadmaps::model::{Standing, standing};
    match standing(roadmaps, |r| r.window, today) {
        Standing::Current(r) => {
            let counted = r.initiatives - r.dropped;
            RoadmapState::InProgress {
                window: r.window,
                done: (counted > 0).then(|| r.done * 100 / counted),
            }
        }
        Standing::Next(r) => RoadmapState::Upcoming { window: r.window },
        Standing::Ended(r) => RoadmapState::Ended { window: r.window },
        Standing::None => RoadmapState::None,
    }
}
