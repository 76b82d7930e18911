//! The dashboard's rules, as pure functions: which products a filtered view shows, in which
//! order, the counts per phase, and the columns (shared by the page and the CSV export, so that
//! the export has exactly the rows and columns shown). Later sections add their columns here.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    indicators::model::Status,
    products::model::{Rgaa, Typology},
    roadmaps::model::Window,
    roles::db::RaciCounts,
    vision::model::Review,
    web::{filters, url_encode},
};

/// One product, as the dashboard needs it.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub direction_id: Uuid,
    pub direction: String,
    pub typology: Typology,
    pub phase_id: Uuid,
    pub phase: String,
    pub phase_position: i32,
    pub phase_since: NaiveDate,
    pub rgaa: Rgaa,
    pub dsfr: bool,
    pub homologated: bool,
    pub rgpd_register: bool,
    pub archived: bool,
    pub updated_at: DateTime<Utc>,
    /// How many of the vision's six parts are filled.
    pub vision_score: usize,
    pub vision_review: Review,
    /// How many of the product's indicators are in each status.
    pub indicators: IndicatorCounts,
    pub roadmap: RoadmapState,
    /// RACI errors; None when the product has no matrix filled in yet.
    pub raci_problems: Option<i64>,
    /// Activities without an A, with several, without an R.
    pub raci: RaciCounts,
    /// Open risks rated high on roadmaps not yet ended.
    pub high_risks: usize,
    /// The day the product's first live share link expires.
    pub share_expiry: Option<NaiveDate>,
    /// The viewer is one of the product's people.
    pub mine: bool,
    /// The viewer is one of the product's people who may edit it (administrators edit all).
    pub editor: bool,
}

/// Where the product's roadmap stands today.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum RoadmapState {
    #[default]
    None,
    /// Covers today; the share of initiatives done (dropped ones aside), if any.
    InProgress { window: Window, done: Option<i64> },
    /// Only roadmaps that start later.
    Upcoming { window: Window },
    /// The latest roadmap has ended.
    Ended { window: Window },
}

impl RoadmapState {
    pub fn in_progress(&self) -> bool {
        matches!(self, Self::InProgress { .. })
    }

    fn rank(&self) -> i64 {
        match self {
            Self::None => -3,
            Self::Ended { .. } => -2,
            Self::Upcoming { .. } => -1,
            Self::InProgress { done, .. } => done.unwrap_or(0),
        }
    }

    /// The dashboard cell: (text, good?)
    pub fn badge(&self) -> (String, bool) {
        match self {
            Self::None => ("Aucune roadmap".into(), false),
            Self::Ended { window } => (format!("Roadmap terminée ({})", window.label()), false),
            Self::Upcoming { window } => (
                format!("Pas de roadmap en cours (prochaine : {})", window.label()),
                false,
            ),
            Self::InProgress {
                window,
                done: Some(done),
            } => (format!("{} · {done} % fait", window.label()), true),
            Self::InProgress { window, done: None } => {
                (format!("{} · aucune initiative", window.label()), true)
            }
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IndicatorCounts {
    pub on_track: usize,
    pub watch: usize,
    pub late: usize,
    pub stale: usize,
    pub no_data: usize,
}

impl IndicatorCounts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::OnTrack => self.on_track += 1,
            Status::Watch => self.watch += 1,
            Status::Late => self.late += 1,
            Status::Stale => self.stale += 1,
            Status::NoData => self.no_data += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.on_track + self.watch + self.late + self.stale + self.no_data
    }

    /// For sorting: the more late, stale and to-watch indicators, the worse.
    fn severity(&self) -> (usize, usize, usize) {
        (self.late, self.stale, self.watch)
    }
}

impl Row {
    pub fn days_in_phase(&self, today: NaiveDate) -> i64 {
        (today - self.phase_since).num_days().max(0)
    }

    /// The compliance badges, worst first.
    pub fn compliance(&self) -> Vec<(&'static str, bool)> {
        vec![
            (
                match self.rgaa {
                    Rgaa::Total => "RGAA total",
                    Rgaa::Partiel => "RGAA partiel",
                    Rgaa::Non => "RGAA non conforme",
                },
                self.rgaa == Rgaa::Total,
            ),
            (if self.dsfr { "DSFR" } else { "Sans DSFR" }, self.dsfr),
            (
                if self.homologated {
                    "Homologué"
                } else {
                    "Non homologué"
                },
                self.homologated,
            ),
            (
                if self.rgpd_register {
                    "Registre RGPD"
                } else {
                    "Hors registre RGPD"
                },
                self.rgpd_register,
            ),
        ]
    }

    /// The vision's completeness, and "à revoir" when it is due for review.
    pub fn vision_badges(&self) -> Vec<(String, bool)> {
        let mut badges = vec![(format!("{}/6", self.vision_score), self.vision_score == 6)];
        if self.vision_review.is_due() {
            badges.push(("À revoir".into(), false));
        }
        badges
    }

    /// Counts per status, only those that are not zero.
    pub fn indicator_badges(&self) -> Vec<(String, bool)> {
        let c = self.indicators;
        if c.total() == 0 {
            return vec![("Aucun".into(), false)];
        }
        [
            (c.on_track, "en bonne voie", true),
            (c.watch, "à surveiller", false),
            (c.late, "en retard", false),
            (c.stale, "obsolète(s)", false),
            (c.no_data, "sans données", false),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, label, ok)| (format!("{n} {label}"), ok))
        .collect()
    }

    pub fn raci_badge(&self) -> (String, bool) {
        match self.raci_problems {
            None => ("Absente".into(), false),
            Some(0) => ("Valide".into(), true),
            Some(n) => (format!("{n} problème(s)"), false),
        }
    }

    fn compliance_score(&self) -> u8 {
        self.rgaa.rank()
            + u8::from(self.dsfr)
            + u8::from(self.homologated)
            + u8::from(self.rgpd_register)
    }
}

/// The dashboard's columns, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Name,
    Direction,
    Typology,
    Phase,
    DaysInPhase,
    Vision,
    Indicators,
    Roadmap,
    Raci,
    Compliance,
    Updated,
}

impl Column {
    pub const ALL: [Column; 11] = [
        Self::Name,
        Self::Direction,
        Self::Typology,
        Self::Phase,
        Self::DaysInPhase,
        Self::Vision,
        Self::Indicators,
        Self::Roadmap,
        Self::Raci,
        Self::Compliance,
        Self::Updated,
    ];

    /// The value of `tri=` in the URL.
    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "nom",
            Self::Direction => "direction",
            Self::Typology => "typologie",
            Self::Phase => "phase",
            Self::DaysInPhase => "jours",
            Self::Vision => "vision",
            Self::Indicators => "indicateurs",
            Self::Roadmap => "roadmap",
            Self::Raci => "raci",
            Self::Compliance => "conformite",
            Self::Updated => "maj",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Produit",
            Self::Direction => "Direction",
            Self::Typology => "Typologie",
            Self::Phase => "Phase",
            Self::DaysInPhase => "Jours dans la phase",
            Self::Vision => "Vision",
            Self::Indicators => "Indicateurs",
            Self::Roadmap => "Roadmap",
            Self::Raci => "RACI",
            Self::Compliance => "Conformité",
            Self::Updated => "Dernière mise à jour",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    fn compare(self, a: &Row, b: &Row) -> Ordering {
        let text = filters::french_order;
        match self {
            Self::Name => text(&a.name, &b.name),
            Self::Direction => text(&a.direction, &b.direction),
            Self::Typology => text(a.typology.label(), b.typology.label()),
            Self::Phase => a.phase_position.cmp(&b.phase_position),
            // Longer in the phase = started earlier.
            Self::DaysInPhase => b.phase_since.cmp(&a.phase_since),
            // Most complete first when descending; among equals, "à revoir" counts as worse.
            Self::Vision => (a.vision_score, !a.vision_review.is_due())
                .cmp(&(b.vision_score, !b.vision_review.is_due())),
            Self::Indicators => a.indicators.severity().cmp(&b.indicators.severity()),
            Self::Roadmap => a.roadmap.rank().cmp(&b.roadmap.rank()),
            // Valid first, then by number of problems, absent last.
            Self::Raci => a
                .raci_problems
                .unwrap_or(i64::MAX)
                .cmp(&b.raci_problems.unwrap_or(i64::MAX)),
            Self::Compliance => a.compliance_score().cmp(&b.compliance_score()),
            Self::Updated => a.updated_at.cmp(&b.updated_at),
        }
    }

    /// The cell as text, for the CSV export.
    pub fn text(self, row: &Row, today: NaiveDate) -> String {
        match self {
            Self::Name => row.name.clone(),
            Self::Direction => row.direction.clone(),
            Self::Typology => row.typology.label().into(),
            Self::Phase => row.phase.clone(),
            Self::DaysInPhase => row.days_in_phase(today).to_string(),
            Self::Vision => row
                .vision_badges()
                .into_iter()
                .map(|(label, _)| label)
                .collect::<Vec<_>>()
                .join(", "),
            Self::Indicators => row
                .indicator_badges()
                .into_iter()
                .map(|(label, _)| label)
                .collect::<Vec<_>>()
                .join(", "),
            Self::Roadmap => row.roadmap.badge().0,
            Self::Raci => row.raci_badge().0,
            Self::Compliance => row
                .compliance()
                .into_iter()
                .map(|(label, _)| label)
                .collect::<Vec<_>>()
                .join(", "),
            Self::Updated => filters::date_short(filters::paris_day(row.updated_at)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Archived {
    #[default]
    Active,
    Archived,
    All,
}

impl Archived {
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "actifs",
            Self::Archived => "archives",
            Self::All => "tous",
        }
    }
}

/// The query string as sent; unknown values are ignored rather than refused, so that an old
/// bookmark still opens.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    pub direction: String,
    pub phase: String,
    pub typologie: String,
    pub archives: String,
    pub q: String,
    /// `incomplete` or `a-revoir`.
    pub vision: String,
    /// `en-retard` or `obsoletes`.
    pub indicateurs: String,
    /// `sans`: products without a roadmap in progress.
    pub roadmap: String,
    /// `non-valide`: products whose RACI matrix has errors (or is absent).
    pub raci: String,
    /// `90`: products without any change for 90 days.
    pub inactifs: String,
    pub tri: String,
    pub ordre: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Filters {
    pub direction: Option<Uuid>,
    pub phase: Option<Uuid>,
    pub typology: Option<Typology>,
    pub archived: Archived,
    pub search: String,
    pub vision: VisionFilter,
    pub indicators: IndicatorFilter,
    /// Only products without a roadmap in progress.
    pub without_roadmap: bool,
    /// Only products whose RACI matrix is not valid.
    pub invalid_raci: bool,
    /// Only products without any change for 90 days.
    pub inactive: bool,
    pub sort: Column,
    pub descending: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VisionFilter {
    #[default]
    Any,
    /// Fewer than six parts filled.
    Incomplete,
    /// Not reviewed within the review period.
    Due,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IndicatorFilter {
    #[default]
    Any,
    /// At least one indicator late.
    Late,
    /// At least one stale indicator.
    Stale,
}

impl IndicatorFilter {
    pub fn code(self) -> &'static str {
        match self {
            Self::Any => "",
            Self::Late => "en-retard",
            Self::Stale => "obsoletes",
        }
    }
}

impl VisionFilter {
    pub fn code(self) -> &'static str {
        match self {
            Self::Any => "",
            Self::Incomplete => "incomplete",
            Self::Due => "a-revoir",
        }
    }
}

impl Default for Filters {
    fn default() -> Self {
        Self {
            direction: None,
            phase: None,
            typology: None,
            archived: Archived::Active,
            search: String::new(),
            vision: VisionFilter::Any,
            indicators: IndicatorFilter::Any,
            without_roadmap: false,
            invalid_raci: false,
            inactive: false,
            sort: Column::Name,
            descending: false,
        }
    }
}

/// Lowercase without accents, so that "demarche" finds "Démarche".
pub fn fold(text: &str) -> String {
    crate::products::model::slugify(text).replace('-', " ")
}

impl Filters {
    pub fn parse(query: &DashboardQuery) -> Self {
        Self {
            direction: Uuid::parse_str(query.direction.trim()).ok(),
            phase: Uuid::parse_str(query.phase.trim()).ok(),
            typology: Typology::parse(query.typologie.trim()),
            archived: match query.archives.trim() {
                "archives" => Archived::Archived,
                "tous" => Archived::All,
                _ => Archived::Active,
            },
            search: query.q.trim().chars().take(200).collect(),
            vision: match query.vision.trim() {
                "incomplete" => VisionFilter::Incomplete,
                "a-revoir" => VisionFilter::Due,
                _ => VisionFilter::Any,
            },
            indicators: match query.indicateurs.trim() {
                "en-retard" => IndicatorFilter::Late,
                "obsoletes" => IndicatorFilter::Stale,
                _ => IndicatorFilter::Any,
            },
            without_roadmap: query.roadmap.trim() == "sans",
            invalid_raci: query.raci.trim() == "non-valide",
            inactive: query.inactifs.trim() == "90",
            sort: Column::parse(query.tri.trim()).unwrap_or(Column::Name),
            descending: query.ordre.trim() == "desc",
        }
    }

    fn keeps_except_phase(&self, row: &Row) -> bool {
        let archived_ok = match self.archived {
            Archived::Active => !row.archived,
            Archived::Archived => row.archived,
            Archived::All => true,
        };
        let search_ok = self.search.is_empty() || {
            let needle = fold(&self.search);
            needle.is_empty()
                || fold(&row.name).contains(&needle)
                || fold(&row.description).contains(&needle)
        };
        let vision_ok = match self.vision {
            VisionFilter::Any => true,
            VisionFilter::Incomplete => row.vision_score < 6,
            VisionFilter::Due => row.vision_review.is_due(),
        };
        archived_ok
            && search_ok
            && vision_ok
            && match self.indicators {
                IndicatorFilter::Any => true,
                IndicatorFilter::Late => row.indicators.late > 0,
                IndicatorFilter::Stale => row.indicators.stale > 0,
            }
            && (!self.without_roadmap || !row.roadmap.in_progress())
            && (!self.invalid_raci || row.raci_problems != Some(0))
            && (!self.inactive || super::attention::inactive(row))
            && self.direction.is_none_or(|d| d == row.direction_id)
            && self.typology.is_none_or(|t| t == row.typology)
    }

    /// The query string for this view, with `sort` changed if given.
    pub fn query(&self, sort: Option<(Column, bool)>) -> String {
        let (column, descending) = sort.unwrap_or((self.sort, self.descending));
        let mut parts = Vec::new();
        if let Some(d) = self.direction {
            parts.push(format!("direction={d}"));
        }
        if let Some(p) = self.phase {
            parts.push(format!("phase={p}"));
        }
        if let Some(t) = self.typology {
            parts.push(format!("typologie={}", t.code()));
        }
        if self.archived != Archived::Active {
            parts.push(format!("archives={}", self.archived.code()));
        }
        if !self.search.is_empty() {
            parts.push(format!("q={}", url_encode(&self.search)));
        }
        if self.vision != VisionFilter::Any {
            parts.push(format!("vision={}", self.vision.code()));
        }
        if self.indicators != IndicatorFilter::Any {
            parts.push(format!("indicateurs={}", self.indicators.code()));
        }
        if self.without_roadmap {
            parts.push("roadmap=sans".into());
        }
        if self.invalid_raci {
            parts.push("raci=non-valide".into());
        }
        if self.inactive {
            parts.push("inactifs=90".into());
        }
        if column != Column::Name || descending {
            parts.push(format!("tri={}", column.code()));
        }
        if descending {
            parts.push("ordre=desc".into());
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// The result of applying filters: the rows shown, and per phase (id, count) over the rows that
/// every filter but the phase keeps.
pub struct Selection {
    pub rows: Vec<Row>,
    pub phase_counts: Vec<(Uuid, usize)>,
}

pub fn select(rows: Vec<Row>, filters: &Filters) -> Selection {
    let mut kept: Vec<Row> = rows
        .into_iter()
        .filter(|r| filters.keeps_except_phase(r))
        .collect();
    let mut phase_counts: Vec<(Uuid, usize)> = Vec::new();
    for row in &kept {
        match phase_counts.iter_mut().find(|(id, _)| *id == row.phase_id) {
            Some((_, n)) => *n += 1,
            None => phase_counts.push((row.phase_id, 1)),
        }
    }
    if let Some(phase) = filters.phase {
        kept.retain(|r| r.phase_id == phase);
    }
    kept.sort_by(|a, b| {
        let primary = filters.sort.compare(a, b);
        let primary = if filters.descending {
            primary.reverse()
        } else {
            primary
        };
        primary.then_with(|| Column::Name.compare(a, b))
    });
    Selection {
        rows: kept,
        phase_counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, phase: (Uuid, i32), direction: Uuid, since: (i32, u32, u32)) -> Row {
        Row {
            id: Uuid::new_v4(),
            slug: crate::products::model::slugify(name),
            name: name.into(),
            description: String::new(),
            direction_id: direction,
            direction: "Santé".into(),
            typology: Typology::Dossiers,
            phase_id: phase.0,
            phase: "MVP".into(),
            phase_position: phase.1,
            phase_since: NaiveDate::from_ymd_opt(since.0, since.1, since.2).unwrap(),
            rgaa: Rgaa::Non,
            dsfr: false,
            homologated: false,
            rgpd_register: false,
            archived: false,
            updated_at: Utc::now(),
            vision_score: 0,
            vision_review: Review::NotWritten,
            indicators: IndicatorCounts::default(),
            roadmap: RoadmapState::None,
            raci_problems: None,
            raci: RaciCounts::default(),
            high_risks: 0,
            share_expiry: None,
            mine: false,
            editor: false,
        }
    }

    #[test]
    fn filters_search_and_counts_work_together() {
        let (mvp, build) = ((Uuid::new_v4(), 3), (Uuid::new_v4(), 4));
        let (sante, travail) = (Uuid::new_v4(), Uuid::new_v4());
        let mut archived = row("Ancien", mvp, sante, (2025, 1, 1));
        archived.archived = true;
        let rows = vec![
            row("Démarches Aides", mvp, sante, (2026, 1, 1)),
            row("Bilan", build, sante, (2025, 6, 1)),
            row("Chantier", build, travail, (2026, 3, 1)),
            archived,
        ];
        let filters = Filters {
            direction: Some(sante),
            phase: Some(build.0),
            ..Default::default()
        };
        let selection = select(rows.clone(), &filters);
        assert_eq!(
            selection
                .rows
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["Bilan"]
        );
        // Counts ignore the phase filter, so that each phase's count is what clicking it shows.
        assert!(
            selection.phase_counts.contains(&(mvp.0, 1))
                && selection.phase_counts.contains(&(build.0, 1))
        );

        let search = Filters {
            search: "DEMARCHE".into(),
            ..Default::default()
        };
        assert_eq!(
            select(rows.clone(), &search).rows[0].name,
            "Démarches Aides"
        );
        let archives = Filters {
            archived: Archived::Archived,
            ..Default::default()
        };
        assert_eq!(select(rows, &archives).rows.len(), 1);
    }

    #[test]
    fn every_column_sorts_both_ways() {
        let mut b = row("B", (Uuid::new_v4(), 4), Uuid::new_v4(), (2025, 1, 1));
        b.direction = "Travail".into();
        b.typology = Typology::Statistiques;
        b.rgaa = Rgaa::Total;
        b.updated_at = Utc::now() - chrono::Duration::days(1);
        b.vision_score = 5;
        b.indicators.late = 1;
        b.raci_problems = Some(2);
        b.roadmap = RoadmapState::Ended {
            window: Window::new(
                NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            )
            .unwrap(),
        };
        let a = row("a", (Uuid::new_v4(), 1), Uuid::new_v4(), (2026, 1, 1));
        let rows = vec![b, a];
        let names = |f: &Filters| {
            select(rows.clone(), f)
                .rows
                .iter()
                .map(|r| r.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&Filters::default()),
            ["a", "B"],
            "by name, ignoring case"
        );
        assert_eq!(
            names(&Filters {
                sort: Column::DaysInPhase,
                ..Default::default()
            }),
            ["a", "B"],
            "fewest days first"
        );
        for column in Column::ALL {
            let mut up = names(&Filters {
                sort: column,
                ..Default::default()
            });
            let down = names(&Filters {
                sort: column,
                descending: true,
                ..Default::default()
            });
            up.reverse();
            assert_eq!(down, up, "{column:?}");
        }
    }

    #[test]
    fn the_query_string_round_trips() {
        let filters = Filters {
            direction: Some(Uuid::new_v4()),
            typology: Some(Typology::Cartographie),
            archived: Archived::All,
            search: "aide sociale".into(),
            vision: VisionFilter::Due,
            indicators: IndicatorFilter::Late,
            without_roadmap: true,
            invalid_raci: true,
            inactive: true,
            sort: Column::DaysInPhase,
            descending: true,
            ..Default::default()
        };
        let query = filters.query(None);
        let parsed: DashboardQuery = serde_urlencoded_parse(&query[1..]);
        assert_eq!(Filters::parse(&parsed), filters);
        assert_eq!(Filters::default().query(None), "");
        assert_eq!(
            Filters::parse(&DashboardQuery {
                tri: "n'importe".into(),
                phase: "x".into(),
                ..Default::default()
            }),
            Filters::default()
        );
    }

    fn serde_urlencoded_parse(query: &str) -> DashboardQuery {
        let uri: axum::http::Uri = format!("/?{query}").parse().unwrap();
        #[allow(clippy::disallowed_types)]
        let axum::extract::Query(q) =
            axum::extract::Query::<DashboardQuery>::try_from_uri(&uri).unwrap();
        q
    }
}
