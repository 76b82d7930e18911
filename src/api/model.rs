//! What the API sends and receives: its own types, flat and documented, built from the domain's.
//! Field names are the code's (English); values of closed lists are the codes the pages' forms
//! and addresses use (`mensuelle`, `en-retard`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    indicators::{
        db::Indicator as DomainIndicator,
        model::{Status, assess},
    },
    portfolio::model::{RoadmapState, Row},
    vision::model::Review,
};

/// A product as the dashboard shows it: its fields and its health.
#[derive(Serialize, ToSchema)]
pub struct ProductSummary {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub direction: String,
    /// `dossiers`, `plateforme`… (see the product form).
    pub typology: String,
    pub phase: String,
    pub phase_since: NaiveDate,
    pub archived: bool,
    pub updated_at: DateTime<Utc>,
    pub health: Health,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// How many of the vision's six parts are filled (0–6).
    pub vision_score: usize,
    /// `non-redigee`, `a-jour` or `a-revoir`.
    pub vision_review: &'static str,
    /// The day the vision falls due for review, if written.
    pub vision_review_due: Option<NaiveDate>,
    pub indicators: IndicatorCounts,
    /// `aucune`, `en-cours`, `a-venir` or `terminee`.
    pub roadmap: &'static str,
    /// Share of the current roadmap's initiatives done, in percent.
    pub roadmap_done: Option<i64>,
    pub roadmap_start: Option<NaiveDate>,
    pub roadmap_end: Option<NaiveDate>,
    /// RACI problems; null when no matrix has been filled in.
    pub raci_problems: Option<i64>,
    /// Open risks rated high on roadmaps not yet ended.
    pub high_risks: usize,
    /// The day the product's first live share link expires.
    pub share_expiry: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorCounts {
    pub on_track: usize,
    pub watch: usize,
    pub late: usize,
    pub stale: usize,
    pub no_data: usize,
}

impl ProductSummary {
    pub fn of(row: &Row) -> Self {
        let (vision_review, vision_review_due) = match row.vision_review {
            Review::NotWritten => ("non-redigee", None),
            Review::UpToDate { due, .. } => ("a-jour", Some(due)),
            Review::Due { due, .. } => ("a-revoir", Some(due)),
        };
        let (roadmap, window, roadmap_done) = match &row.roadmap {
            RoadmapState::None => ("aucune", None, None),
            RoadmapState::InProgress { window, done } => ("en-cours", Some(window), *done),
            RoadmapState::Upcoming { window } => ("a-venir", Some(window), None),
            RoadmapState::Ended { window } => ("terminee", Some(window), None),
        };
        let i = row.indicators;
        Self {
            slug: row.slug.to_string(),
            name: row.name.to_string(),
            description: row.description.to_string(),
            direction: row.direction.to_string(),
            typology: row.typology.code().into(),
            phase: row.phase.to_string(),
            phase_since: row.phase_since,
            archived: row.archived,
            updated_at: row.updated_at,
            health: Health {
                vision_score: row.vision_score,
                vision_review,
                vision_review_due,
                indicators: IndicatorCounts {
                    on_track: i.on_track,
                    watch: i.watch,
                    late: i.late,
                    stale: i.stale,
                    no_data: i.no_data,
                },
                roadmap,
                roadmap_done,
                roadmap_start: window.map(|w| w.start),
                roadmap_end: window.map(|w| w.last_day()),
                raci_problems: row.raci_problems,
                high_risks: row.high_risks,
                share_expiry: row.share_expiry,
            },
        }
    }
}

/// A page of a list, in the order of `slug` (or `id`): the next page is `?after=` the last
/// item's key, also given in the `Link` header (`rel="next"`).
#[derive(Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    /// The `after` of the next page; null on the last page.
    pub next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Objective {
    pub id: Uuid,
    pub title: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct Point {
    pub date: NaiveDate,
    pub value: f64,
}

#[derive(Serialize, ToSchema)]
pub struct Measurement {
    pub date: NaiveDate,
    pub value: f64,
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct Indicator {
    pub id: Uuid,
    pub objective_id: Option<Uuid>,
    pub name: String,
    /// `succes`, `impact` or `direction`.
    pub kind: &'static str,
    pub unit: String,
    /// `hausse`, `baisse` or `plage`.
    pub trend: &'static str,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub baseline: Point,
    pub targets: Vec<Point>,
    /// `hebdomadaire`, `mensuelle`, `trimestrielle` or `annuelle`.
    pub frequency: &'static str,
    pub source: &'static str,
    pub owner: String,
    pub description: String,
    /// `en-bonne-voie`, `a-surveiller`, `en-retard`, `pas-de-donnees` or `obsolete`.
    pub status: &'static str,
    /// Why the status, in French.
    pub status_reason: String,
    /// Share of the way from the baseline to the next target, in percent.
    pub progress: Option<f64>,
    /// Oldest first.
    pub measurements: Vec<Measurement>,
}

impl Indicator {
    pub fn of(i: &DomainIndicator, today: NaiveDate) -> Self {
        let assessment = assess(&i.spec(), &i.points(), today);
        Self {
            id: i.id,
            objective_id: i.objective_id,
            name: i.name.clone(),
            kind: i.kind.code(),
            unit: i.unit.clone(),
            trend: i.trend.code(),
            range_low: i.range.map(|r| r.0),
            range_high: i.range.map(|r| r.1),
            baseline: Point {
                date: i.baseline.date,
                value: i.baseline.value,
            },
            targets: i
                .targets
                .iter()
                .map(|t| Point {
                    date: t.date,
                    value: t.value,
                })
                .collect(),
            frequency: i.frequency.code(),
            source: i.source.code(),
            owner: i.owner.clone(),
            description: i.description.clone(),
            status: status_code(assessment.status),
            status_reason: assessment.reason,
            progress: assessment.progress.map(|p| (p * 1000.0).round() / 10.0),
            measurements: i
                .measurements
                .iter()
                .map(|m| Measurement {
                    date: m.date,
                    value: m.value,
                    comment: m.comment.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Indicators {
    pub objectives: Vec<Objective>,
    pub indicators: Vec<Indicator>,
}

/// One late indicator of the portfolio.
#[derive(Serialize, ToSchema)]
pub struct LateIndicator {
    pub product: String,
    pub product_name: String,
    pub indicator: Indicator,
}

#[derive(Serialize, ToSchema)]
pub struct LateIndicators {
    pub items: Vec<LateIndicator>,
}

/// Measurements to add or replace: one value per date, the same call twice changes nothing.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementBatch {
    /// From 1 to 1,000 measurements, dates all different.
    #[schema(min_items = 1, max_items = 1000)]
    pub measurements: Vec<MeasurementInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementInput {
    /// `AAAA-MM-JJ`, between 1900 and 2200, not after today.
    pub date: NaiveDate,
    pub value: f64,
    /// Up to 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub comment: String,
}

/// What a batch did: how many measurements were added, replaced, or already there as sent.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct BatchOutcome {
    pub added: usize,
    pub replaced: usize,
    pub unchanged: usize,
}

/// The code of an indicator's status, as the dashboard's filters write it.
pub fn status_code(status: Status) -> &'static str {
    match status {
        Status::OnTrack => "en-bonne-voie",
        Status::Watch => "a-surveiller",
        Status::Late => "en-retard",
        Status::Stale => "obsolete",
        Status::NoData => "pas-de-donnees",
    }
}
