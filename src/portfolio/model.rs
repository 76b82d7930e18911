//! The dashboard's rules, as pure functions: which products a filtered view shows, in which
//! order, the counts per phase, and the columns (shared by the page and the CSV export, so that
//! the export has exactly the rows and columns shown). Later sections add their columns here.

use std::{cmp::Ordering, sync::Arc};

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    indicators::model::Status,
    products::model::{Rgaa, Typology},
    roadmaps::model::Window,
    roles::db::RaciCounts,
    vision::model::Review,
    web::{
        filters::{self, FrenchKey, french_key},
        pagination::Page,
        url_encode,
    },
};

use super::{attention::ROADMAP_ENDING_DAYS, lists::ProductFilters};

/// One product, as the dashboard needs it.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: Uuid,
    // Shared text: the rows kept between requests (see `cache`) are copied for each viewer.
    pub slug: Arc<str>,
    pub name: Arc<str>,
    pub description: Arc<str>,
    pub direction_id: Uuid,
    pub direction: Arc<str>,
    pub typology: Typology,
    pub phase_id: Uuid,
    pub phase: Arc<str>,
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
    /// The name and the direction folded for sorting, once per row rather than per request.
    pub keys: Arc<SortKeys>,
}

#[derive(Debug)]
pub struct SortKeys {
    pub name: FrenchKey,
    pub direction: FrenchKey,
}

impl SortKeys {
    pub fn of(name: &str, direction: &str) -> Arc<Self> {
        Arc::new(Self {
            name: french_key(name),
            direction: french_key(direction),
        })
    }
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

    /// Whether the roadmap in progress ends within `days` of today.
    pub fn ends_within(&self, today: NaiveDate, days: u64) -> bool {
        matches!(self, Self::InProgress { window, .. } if window.last_day() <= today + Days::new(days))
    }

    /// The dashboard cell.
    pub fn health(&self, today: NaiveDate) -> Health {
        match self {
            Self::None => Health::new("Aucune", ERROR, String::new()),
            Self::Ended { window } => Health::new(
                "Terminée",
                WARNING,
                format!("Roadmap terminée ({}), aucune en cours", window.label()),
            ),
            Self::Upcoming { window } => Health::new(
                "À venir",
                WARNING,
                format!("Pas de roadmap en cours (prochaine : {})", window.label()),
            ),
            Self::InProgress { window, done } => {
                let progress = match done {
                    Some(done) => format!("{done} % fait"),
                    None => "aucune initiative".into(),
                };
                let days = (window.last_day() - today).num_days();
                let ending = if days <= ROADMAP_ENDING_DAYS as i64 {
                    format!(", se termine dans {days} jour{}", plural(days))
                } else {
                    String::new()
                };
                let word = match done {
                    Some(done) => format!("{done} %"),
                    None => "En cours".into(),
                };
                Health {
                    word,
                    kind: if ending.is_empty() { SUCCESS } else { WARNING },
                    detail: format!("{} · {progress}{ending}", window.label()),
                }
            }
        }
    }
}

/// The DSFR status of a health cell.
pub const SUCCESS: &str = "success";
pub const WARNING: &str = "warning";
pub const ERROR: &str = "error";
pub const INFO: &str = "info";

fn plural(n: impl Into<i64>) -> &'static str {
    if n.into() > 1 { "s" } else { "" }
}

/// A dashboard cell for one dimension of the product's health: one short word with its DSFR
/// status, and the detail in words (for the title, screen readers and the CSV export).
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    pub word: String,
    pub kind: &'static str,
    pub detail: String,
}

impl Health {
    fn new(word: &str, kind: &'static str, detail: String) -> Self {
        Self {
            word: word.into(),
            kind,
            detail,
        }
    }

    /// "Word : detail", or the one that says it all, for an export.
    pub fn text(&self) -> String {
        if self.detail.is_empty() {
            self.word.clone()
        } else if self
            .detail
            .to_lowercase()
            .contains(&self.word.to_lowercase())
        {
            self.detail.clone()
        } else {
            format!("{} : {}", self.word, self.detail)
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

    /// The compliance labels, each with whether it is met.
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

    /// How many of the four compliance criteria are met, and those that are not.
    pub fn compliance_health(&self) -> Health {
        let missing: Vec<&str> = self
            .compliance()
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(label, _)| label)
            .collect();
        Health {
            word: format!("{}/4", 4 - missing.len()),
            kind: if missing.is_empty() { SUCCESS } else { WARNING },
            detail: missing.join(", "),
        }
    }

    /// The vision's completeness, and "à revoir" when it is due for review.
    pub fn vision_health(&self) -> Health {
        let parts = format!(
            "{}/6 élément{} rédigé{}",
            self.vision_score,
            plural(self.vision_score as i64),
            plural(self.vision_score as i64)
        );
        match self.vision_review {
            Review::Due { due, .. } => Health::new(
                "À revoir",
                WARNING,
                format!("{parts}, à revoir depuis le {}", filters::date_short(due)),
            ),
            _ if self.vision_score == 0 => Health::new("Absente", ERROR, parts),
            _ if self.vision_score < 6 => Health::new("Incomplète", WARNING, parts),
            Review::UpToDate { due, .. } => Health::new(
                "Complète",
                SUCCESS,
                format!("{parts}, à revoir le {}", filters::date_short(due)),
            ),
            Review::NotWritten => Health::new("Complète", SUCCESS, parts),
        }
    }

    /// The worst status among the indicators, and the count per status.
    pub fn indicators_health(&self) -> Health {
        let c = self.indicators;
        if c.total() == 0 {
            return Health::new("Aucun", INFO, String::new());
        }
        let detail = [
            (c.late, "en retard"),
            (c.stale, "obsolète(s) (sans mesure récente)"),
            (c.watch, "à surveiller"),
            (c.no_data, "sans données"),
            (c.on_track, "en bonne voie"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, label)| format!("{n} {label}"))
        .collect::<Vec<_>>()
        .join(", ");
        let (word, kind) = if c.late > 0 {
            ("En retard", ERROR)
        } else if c.stale > 0 {
            ("Obsolète", WARNING)
        } else if c.watch > 0 {
            ("À surveiller", WARNING)
        } else if c.on_track == 0 {
            ("Sans données", INFO)
        } else {
            ("En bonne voie", SUCCESS)
        };
        Health::new(word, kind, detail)
    }

    pub fn raci_health(&self) -> Health {
        let r = self.raci;
        match self.raci_problems {
            None => Health::new("Absente", WARNING, String::new()),
            Some(0) => Health::new("Valide", SUCCESS, String::new()),
            Some(_) => {
                let word = if r.no_a > 0 {
                    "Sans A"
                } else if r.several_a > 0 {
                    "Plusieurs A"
                } else {
                    "Sans R"
                };
                let detail = [
                    (r.no_a, "sans A"),
                    (r.several_a, "avec plusieurs A"),
                    (r.no_r, "sans R"),
                ]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} activité{} {what}", plural(n as i64)))
                .collect::<Vec<_>>()
                .join(", ");
                Health::new(word, ERROR, detail)
            }
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

    /// Shown unless the viewer chooses otherwise: what fits one line at 1,280 px.
    pub const DEFAULT: [Column; 10] = [
        Self::Name,
        Self::Direction,
        Self::Phase,
        Self::DaysInPhase,
        Self::Vision,
        Self::Indicators,
        Self::Roadmap,
        Self::Raci,
        Self::Compliance,
        Self::Updated,
    ];

    /// The health cell of a health column.
    pub fn health(self, row: &Row, today: NaiveDate) -> Option<Health> {
        match self {
            Self::Vision => Some(row.vision_health()),
            Self::Indicators => Some(row.indicators_health()),
            Self::Roadmap => Some(row.roadmap.health(today)),
            Self::Raci => Some(row.raci_health()),
            Self::Compliance => Some(row.compliance_health()),
            _ => None,
        }
    }

    /// Where the detail of the cell is, on the product's pages.
    pub fn url(self, row: &Row) -> String {
        let sheet = format!("/produits/{}", row.slug);
        match self {
            Self::Vision => format!("{sheet}#vision"),
            Self::Indicators => format!("{sheet}#indicateurs"),
            Self::Roadmap => format!("{sheet}#roadmap"),
            Self::Raci => format!("{sheet}/roles#raci"),
            _ => sheet,
        }
    }

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
            Self::DaysInPhase => "Jours en phase",
            Self::Vision => "Vision",
            Self::Indicators => "Indicateurs",
            Self::Roadmap => "Roadmap",
            Self::Raci => "RACI",
            Self::Compliance => "Conformité",
            Self::Updated => "Mise à jour",
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
        if let Some(health) = self.health(row, today) {
            return health.text();
        }
        match self {
            Self::Name => row.name.to_string(),
            Self::Direction => row.direction.to_string(),
            Self::Typology => row.typology.label().into(),
            Self::Phase => row.phase.to_string(),
            Self::DaysInPhase => row.days_in_phase(today).to_string(),
            _ => filters::date_short(filters::paris_day(row.updated_at)),
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

/// A health filter's choice: products with this problem. Choices of one group (one URL key)
/// combine with "or", groups with "and".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Concern {
    VisionIncomplete,
    VisionDue,
    IndicatorsLate,
    IndicatorsStale,
    NoCurrentRoadmap,
    RoadmapEnding,
    RaciNoA,
    RaciSeveralA,
    RaciNoR,
    RaciMissing,
    Inactive,
}

impl Concern {
    pub const ALL: [Concern; 11] = [
        Self::VisionIncomplete,
        Self::VisionDue,
        Self::IndicatorsLate,
        Self::IndicatorsStale,
        Self::NoCurrentRoadmap,
        Self::RoadmapEnding,
        Self::RaciNoA,
        Self::RaciSeveralA,
        Self::RaciNoR,
        Self::RaciMissing,
        Self::Inactive,
    ];

    /// The URL key, which is also the group.
    pub fn key(self) -> &'static str {
        match self {
            Self::VisionIncomplete | Self::VisionDue => "vision",
            Self::IndicatorsLate | Self::IndicatorsStale => "indicateurs",
            Self::NoCurrentRoadmap | Self::RoadmapEnding => "roadmap",
            Self::RaciNoA | Self::RaciSeveralA | Self::RaciNoR | Self::RaciMissing => "raci",
            Self::Inactive => "inactifs",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::VisionIncomplete => "incomplete",
            Self::VisionDue => "a-revoir",
            Self::IndicatorsLate => "en-retard",
            Self::IndicatorsStale => "obsoletes",
            Self::NoCurrentRoadmap => "sans",
            Self::RoadmapEnding => "fin-30-jours",
            Self::RaciNoA => "aucun-a",
            Self::RaciSeveralA => "plusieurs-a",
            Self::RaciNoR => "aucun-r",
            Self::RaciMissing => "absente",
            Self::Inactive => "90",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::VisionIncomplete => "Vision incomplète",
            Self::VisionDue => "Vision à revoir",
            Self::IndicatorsLate => "Au moins un indicateur en retard",
            Self::IndicatorsStale => "Au moins un indicateur obsolète (sans mesure récente)",
            Self::NoCurrentRoadmap => "Sans roadmap en cours",
            Self::RoadmapEnding => "Roadmap se terminant sous 30 jours",
            Self::RaciNoA => "Une activité sans A",
            Self::RaciSeveralA => "Une activité avec plusieurs A",
            Self::RaciNoR => "Une activité sans R",
            Self::RaciMissing => "Matrice RACI absente",
            Self::Inactive => "Sans modification depuis 90 jours",
        }
    }

    /// The legend of the group.
    pub fn group(self) -> &'static str {
        match self.key() {
            "vision" => "Vision",
            "indicateurs" => "Indicateurs",
            "roadmap" => "Roadmap",
            "raci" => "RACI",
            _ => "Activité",
        }
    }

    pub fn applies(self, row: &Row, today: NaiveDate) -> bool {
        match self {
            Self::VisionIncomplete => row.vision_score < 6,
            Self::VisionDue => row.vision_review.is_due(),
            Self::IndicatorsLate => row.indicators.late > 0,
            Self::IndicatorsStale => row.indicators.stale > 0,
            Self::NoCurrentRoadmap => !row.roadmap.in_progress(),
            Self::RoadmapEnding => row.roadmap.ends_within(today, ROADMAP_ENDING_DAYS),
            Self::RaciNoA => row.raci.no_a > 0,
            Self::RaciSeveralA => row.raci.several_a > 0,
            Self::RaciNoR => row.raci.no_r > 0,
            Self::RaciMissing => row.raci_problems.is_none(),
            Self::Inactive => super::attention::inactive(row),
        }
    }

    /// The choices a query sends under `key`; `raci=non-valide`, from before the RACI choices
    /// were told apart, still means all of them.
    fn parse(query: &DashboardQuery) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|c| {
                let values = match c.key() {
                    "vision" => &query.vision,
                    "indicateurs" => &query.indicateurs,
                    "roadmap" => &query.roadmap,
                    "raci" => &query.raci,
                    _ => &query.inactifs,
                };
                values.iter().any(|v| {
                    let v = v.trim();
                    v == c.code() || (c.key() == "raci" && v == "non-valide")
                })
            })
            .collect()
    }
}

/// The query string as sent; repeated keys are the choices of a filter. Unknown values are
/// ignored rather than refused, so that an old bookmark still opens.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    pub direction: Vec<String>,
    pub phase: Vec<String>,
    pub typologie: Vec<String>,
    /// `oui`: only the viewer's products.
    pub mes: String,
    pub archives: String,
    pub q: String,
    pub vision: Vec<String>,
    pub indicateurs: Vec<String>,
    pub roadmap: Vec<String>,
    pub raci: Vec<String>,
    pub inactifs: Vec<String>,
    /// `choisies` when the columns shown are those of `col`, else the default ones.
    pub colonnes: String,
    pub col: Vec<String>,
    pub tri: String,
    pub ordre: String,
    /// A page number from 1, or `tout`.
    pub page: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Filters {
    pub products: ProductFilters,
    pub archived: Archived,
    pub search: String,
    pub concerns: Vec<Concern>,
    /// The columns shown, in display order; the product's name always is.
    pub columns: Vec<Column>,
    pub sort: Column,
    pub descending: bool,
    pub page: Page,
}

impl Default for Filters {
    fn default() -> Self {
        Self {
            products: ProductFilters::default(),
            archived: Archived::Active,
            search: String::new(),
            concerns: Vec::new(),
            columns: Column::DEFAULT.to_vec(),
            sort: Column::Name,
            descending: false,
            page: Page::Number(1),
        }
    }
}

/// Lowercase without accents, so that "demarche" finds "Démarche".
pub fn fold(text: &str) -> String {
    crate::products::model::slugify(text).replace('-', " ")
}

impl Filters {
    pub fn parse(query: &DashboardQuery) -> Self {
        let columns = if query.colonnes.trim() == "choisies" {
            Column::ALL
                .into_iter()
                .filter(|c| *c == Column::Name || query.col.iter().any(|v| v.trim() == c.code()))
                .collect()
        } else {
            Column::DEFAULT.to_vec()
        };
        Self {
            products: ProductFilters::parse(
                &query.direction,
                &query.phase,
                &query.typologie,
                &query.mes,
            ),
            archived: match query.archives.trim() {
                "archives" => Archived::Archived,
                "tous" => Archived::All,
                _ => Archived::Active,
            },
            search: query.q.trim().chars().take(200).collect(),
            concerns: Concern::parse(query),
            columns,
            sort: Column::parse(query.tri.trim()).unwrap_or(Column::Name),
            descending: query.ordre.trim() == "desc",
            page: Page::parse(&query.page),
        }
    }

    /// Whether any filter narrows the view (the sort, page and columns aside).
    pub fn narrowed(&self) -> bool {
        self.products != ProductFilters::default()
            || self.archived != Archived::Active
            || !self.search.is_empty()
            || !self.concerns.is_empty()
    }

    fn keeps_except_phase(&self, row: &Row, today: NaiveDate) -> bool {
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
        let concerns_ok = Concern::ALL.into_iter().map(Concern::key).all(|key| {
            let mut chosen = self.concerns.iter().filter(|c| c.key() == key).peekable();
            chosen.peek().is_none() || chosen.any(|c| c.applies(row, today))
        });
        let products = ProductFilters {
            phases: Vec::new(),
            ..self.products.clone()
        };
        archived_ok && search_ok && concerns_ok && products.matches(row)
    }

    /// The query string for this view, with the sort (and then the first page) or the page
    /// changed if given.
    pub fn query(&self, sort: Option<(Column, bool)>, page: Option<Page>) -> String {
        let (column, descending) = sort.unwrap_or((self.sort, self.descending));
        let mut parts = Vec::new();
        self.products.push_query(&mut parts);
        if self.archived != Archived::Active {
            parts.push(format!("archives={}", self.archived.code()));
        }
        if !self.search.is_empty() {
            parts.push(format!("q={}", url_encode(&self.search)));
        }
        parts.extend(
            self.concerns
                .iter()
                .map(|c| format!("{}={}", c.key(), c.code())),
        );
        if self.columns != Column::DEFAULT {
            parts.push("colonnes=choisies".into());
            parts.extend(
                self.columns
                    .iter()
                    .filter(|c| **c != Column::Name)
                    .map(|c| format!("col={}", c.code())),
            );
        }
        if column != Column::Name || descending {
            parts.push(format!("tri={}", column.code()));
        }
        if descending {
            parts.push("ordre=desc".into());
        }
        let page = match (page, sort) {
            (Some(page), _) => page,
            (None, Some(_)) => Page::Number(1),
            (None, None) => self.page,
        };
        parts.extend(page.query_part());
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The same view without the page: what an export or the timeline shows.
    pub fn query_all(&self) -> String {
        let whole = Self {
            page: Page::Number(1),
            ..self.clone()
        };
        whole.query(None, None)
    }
}

/// The result of applying filters: the rows shown, and per phase (id, count) over the rows that
/// every filter but the phase keeps.
pub struct Selection {
    pub rows: Vec<Row>,
    pub phase_counts: Vec<(Uuid, usize)>,
}

pub fn select(rows: Vec<Row>, filters: &Filters, today: NaiveDate) -> Selection {
    let mut kept: Vec<Row> = rows
        .into_iter()
        .filter(|r| filters.keeps_except_phase(r, today))
        .collect();
    let mut phase_counts: Vec<(Uuid, usize)> = Vec::new();
    for row in &kept {
        match phase_counts.iter_mut().find(|(id, _)| *id == row.phase_id) {
            Some((_, n)) => *n += 1,
            None => phase_counts.push((row.phase_id, 1)),
        }
    }
    let phases = &filters.products.phases;
    if !phases.is_empty() {
        kept.retain(|r| phases.contains(&r.phase_id));
    }
    // Sorted by position, then each row moved once: rows are large, and a sort moves its
    // elements many times.
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&kept[i], &kept[j]);
        let primary = match filters.sort {
            Column::Name => a.keys.name.cmp(&b.keys.name),
            Column::Direction => a.keys.direction.cmp(&b.keys.direction),
            other => other.compare(a, b),
        };
        let primary = if filters.descending {
            primary.reverse()
        } else {
            primary
        };
        primary.then_with(|| a.keys.name.cmp(&b.keys.name))
    });
    let mut slots: Vec<Option<Row>> = kept.into_iter().map(Some).collect();
    Selection {
        rows: order.into_iter().filter_map(|i| slots[i].take()).collect(),
        phase_counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::filters::today;

    fn row(name: &str, phase: (Uuid, i32), direction: Uuid, since: (i32, u32, u32)) -> Row {
        Row {
            id: Uuid::new_v4(),
            keys: SortKeys::of(name, "Santé"),
            slug: crate::products::model::slugify(name).into(),
            name: name.into(),
            description: "".into(),
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
            products: ProductFilters {
                directions: vec![sante],
                phases: vec![build.0],
                ..Default::default()
            },
            ..Default::default()
        };
        let selection = select(rows.clone(), &filters, today());
        assert_eq!(
            selection.rows.iter().map(|r| &*r.name).collect::<Vec<_>>(),
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
            &*select(rows.clone(), &search, today()).rows[0].name,
            "Démarches Aides"
        );
        let archives = Filters {
            archived: Archived::Archived,
            ..Default::default()
        };
        assert_eq!(select(rows, &archives, today()).rows.len(), 1);
    }

    #[test]
    fn every_column_sorts_both_ways() {
        let mut b = row("B", (Uuid::new_v4(), 4), Uuid::new_v4(), (2025, 1, 1));
        b.direction = "Travail".into();
        b.keys = SortKeys::of("B", "Travail");
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
            select(rows.clone(), f, today())
                .rows
                .iter()
                .map(|r| r.name.to_string())
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
            products: ProductFilters {
                directions: vec![Uuid::new_v4(), Uuid::new_v4()],
                typologies: vec![Typology::Cartographie, Typology::Dossiers],
                mine: true,
                ..Default::default()
            },
            archived: Archived::All,
            search: "aide sociale".into(),
            concerns: vec![
                Concern::VisionIncomplete,
                Concern::VisionDue,
                Concern::IndicatorsLate,
                Concern::NoCurrentRoadmap,
                Concern::RaciNoA,
                Concern::RaciNoR,
                Concern::Inactive,
            ],
            columns: vec![Column::Name, Column::Typology, Column::Raci],
            sort: Column::DaysInPhase,
            descending: true,
            page: Page::Number(3),
        };
        let query = filters.query(None, None);
        let parsed: DashboardQuery = serde_urlencoded_parse(&query[1..]);
        assert_eq!(Filters::parse(&parsed), filters);
        assert_eq!(Filters::default().query(None, None), "");
        assert_eq!(
            Filters::parse(&DashboardQuery {
                tri: "n'importe".into(),
                phase: vec!["x".into()],
                ..Default::default()
            }),
            Filters::default()
        );
    }

    fn serde_urlencoded_parse(query: &str) -> DashboardQuery {
        serde_html_form::from_str(query).unwrap()
    }

    #[test]
    fn health_filters_combine_or_within_and_across() {
        let mut due = row("Due", (Uuid::new_v4(), 1), Uuid::new_v4(), (2026, 1, 1));
        due.vision_score = 6;
        due.vision_review = Review::Due {
            last: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            due: NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
        };
        due.raci_problems = Some(0);
        let mut short = row("Short", (Uuid::new_v4(), 1), Uuid::new_v4(), (2026, 1, 1));
        short.vision_score = 4;
        short.raci_problems = Some(1);
        short.raci.no_a = 1;
        let mut fine = row("Fine", (Uuid::new_v4(), 1), Uuid::new_v4(), (2026, 1, 1));
        fine.vision_score = 6;
        fine.raci_problems = Some(0);
        let rows = vec![due, short, fine];
        let names = |query: &str| {
            select(
                rows.clone(),
                &Filters::parse(&serde_urlencoded_parse(query)),
                today(),
            )
            .rows
            .into_iter()
            .map(|r| r.name.to_string())
            .collect::<Vec<_>>()
        };
        assert_eq!(names("vision=incomplete&vision=a-revoir"), ["Due", "Short"]);
        assert_eq!(
            names("vision=incomplete&vision=a-revoir&raci=aucun-a"),
            ["Short"]
        );
        assert_eq!(
            names("raci=non-valide"),
            ["Short"],
            "the old link still works"
        );
        assert_eq!(names("raci=plusieurs-a"), Vec::<String>::new());
        assert_eq!(names("vision=nimporte"), ["Due", "Fine", "Short"]);
    }
}
