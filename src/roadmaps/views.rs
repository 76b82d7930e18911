//! Roadmap pages; `RoadmapView` is shared by the team's page and the public shared page.

use askama::Template;
use chrono::{Datelike, Duration, NaiveDate};
use uuid::Uuid;

use crate::{
    indicators::{db::Objective, views::IndicatorSummary},
    roles::db::Person,
    web::{Choice, FieldErrors, Layout, conflict::Conflict, form::Warnings},
};

use super::{
    db::{Initiative, Risk, Roadmap},
    form::{InitiativeForm, RiskForm},
    model::{
        FOCUS_MAX, Horizon, InitiativeStatus, Level, RiskStatus, Scale, Window, horizon,
        month_label, place, short,
    },
};

#[derive(Clone)]
pub struct InitiativeRow {
    pub id: String,
    pub title: String,
    pub description: String,
    pub kind: &'static str,
    pub status: InitiativeStatus,
    pub objective: Option<String>,
    pub dates: String,
    pub overflow: bool,
    pub milestone: Option<String>,
}

#[derive(Clone)]
pub struct RiskRow {
    pub id: String,
    pub kind: &'static str,
    pub description: String,
    pub owner: String,
    pub likelihood: &'static str,
    pub impact: &'static str,
    pub mitigation: String,
    pub status: &'static str,
    pub high_open: bool,
}

#[derive(Clone)]
pub struct CalendarColumn {
    pub label: String,
    pub current: bool,
}

#[derive(Clone)]
pub struct CalendarRow {
    pub title: String,
    pub status: &'static str,
    pub milestone: bool,
    /// Empty columns before the bar, the bar's span, empty columns after.
    pub before: usize,
    pub span: usize,
    pub after: usize,
    pub overflow_before: bool,
    pub overflow_after: bool,
    pub dates: String,
}

#[derive(Clone)]
pub struct HorizonGroup {
    pub label: &'static str,
    pub items: Vec<String>,
}

/// Everything the roadmap's four parts show, for the team and the public alike.
#[derive(Clone)]
pub struct RoadmapView {
    pub id: String,
    pub window: String,
    pub margin: i32,
    pub priorities: Vec<String>,
    pub initiatives: Vec<InitiativeRow>,
    pub risks: Vec<RiskRow>,
    pub columns: Vec<CalendarColumn>,
    pub calendar: Vec<CalendarRow>,
    pub week_view: bool,
    pub today_label: String,
    pub horizons: Vec<HorizonGroup>,
    pub done_share: Option<i64>,
    pub open_high_risks: usize,
    pub is_current: bool,
    /// When it is not the current roadmap: why it is shown ("Pas de roadmap en cours
    /// (prochaine : …)", "Roadmap terminée (…)").
    pub standing_note: Option<String>,
}

impl RoadmapView {
    pub fn focus_warning(&self) -> bool {
        self.priorities.len() > FOCUS_MAX
    }

    pub fn build(
        roadmap: &Roadmap,
        objectives: &[Objective],
        initiatives: &[Initiative],
        risks: &[Risk],
        scale: Scale,
        today: NaiveDate,
        is_current: bool,
    ) -> Self {
        let title_of = |id: Option<Uuid>| {
            id.and_then(|id| objectives.iter().find(|o| o.id == id))
                .map(|o| o.title.clone())
        };
        let w = roadmap.window;
        let columns: Vec<CalendarColumn> = match scale {
            Scale::Month => w
                .months()
                .into_iter()
                .map(|m| CalendarColumn {
                    label: month_label(m),
                    current: m.year() == today.year() && m.month() == today.month(),
                })
                .collect(),
            Scale::Week => w
                .weeks()
                .into_iter()
                .map(|monday| CalendarColumn {
                    label: format!("S{} · {}", monday.iso_week().week(), monday.format("%d/%m")),
                    current: monday <= today && today < monday + Duration::days(7),
                })
                .collect(),
        };
        let count = columns.len();
        let mut calendar = Vec::new();
        for i in initiatives {
            if let Some(p) = place(&w, scale, i.starts_on, i.ends_on) {
                calendar.push(CalendarRow {
                    title: i.title.clone(),
                    status: i.status.label(),
                    milestone: false,
                    before: p.first,
                    span: p.span,
                    after: count.saturating_sub(p.first + p.span),
                    overflow_before: p.before,
                    overflow_after: p.after,
                    dates: format!("du {} au {}", short(i.starts_on), short(i.ends_on)),
                });
            }
            if let (Some(date), false) = (i.milestone_on, i.milestone.is_empty())
                && let Some(p) = place(&w, scale, date, date)
            {
                calendar.push(CalendarRow {
                    title: i.milestone.clone(),
                    status: "Jalon",
                    milestone: true,
                    before: p.first,
                    span: 1,
                    after: count.saturating_sub(p.first + 1),
                    overflow_before: false,
                    overflow_after: false,
                    dates: format!("le {}", short(date)),
                });
            }
        }
        let mut horizons = vec![
            HorizonGroup {
                label: Horizon::Now.label(),
                items: Vec::new(),
            },
            HorizonGroup {
                label: Horizon::Next.label(),
                items: Vec::new(),
            },
            HorizonGroup {
                label: Horizon::Later.label(),
                items: Vec::new(),
            },
        ];
        for i in initiatives {
            let index = match horizon(i.status, i.starts_on, i.ends_on, today) {
                Horizon::Now => 0,
                Horizon::Next => 1,
                Horizon::Later => 2,
                Horizon::Past => continue,
            };
            if let Some(group) = horizons.get_mut(index) {
                group.items.push(i.title.clone());
            }
        }
        let counted = initiatives
            .iter()
            .filter(|i| i.status != InitiativeStatus::Dropped)
            .count() as i64;
        let done = initiatives
            .iter()
            .filter(|i| i.status == InitiativeStatus::Done)
            .count() as i64;
        let risk_rows: Vec<RiskRow> = risks
            .iter()
            .map(|r| RiskRow {
                id: r.id.to_string(),
                kind: r.kind.label(),
                description: r.description.clone(),
                owner: r.owner.clone(),
                likelihood: r.likelihood.label(),
                impact: r.impact.label(),
                mitigation: r.mitigation.clone(),
                status: r.status.label(),
                high_open: r.status == RiskStatus::Open
                    && (r.impact == Level::High || r.likelihood == Level::High),
            })
            .collect();
        Self {
            id: roadmap.id.to_string(),
            window: w.label(),
            margin: roadmap.margin,
            priorities: roadmap
                .priorities
                .iter()
                .filter_map(|id| title_of(Some(*id)))
                .collect(),
            initiatives: initiatives
                .iter()
                .map(|i| InitiativeRow {
                    id: i.id.to_string(),
                    title: i.title.clone(),
                    description: i.description.clone(),
                    kind: i.kind.label(),
                    status: i.status,
                    objective: title_of(i.objective_id),
                    dates: format!("du {} au {}", short(i.starts_on), short(i.ends_on)),
                    overflow: !w.contains(i.starts_on) || !w.contains(i.ends_on),
                    milestone: (!i.milestone.is_empty()).then(|| {
                        format!(
                            "{}{}",
                            i.milestone,
                            i.milestone_on
                                .map(|d| format!(" le {}", short(d)))
                                .unwrap_or_default()
                        )
                    }),
                })
                .collect(),
            open_high_risks: risk_rows.iter().filter(|r| r.high_open).count(),
            risks: risk_rows,
            columns,
            calendar,
            week_view: scale == Scale::Week,
            today_label: short(today),
            horizons,
            done_share: (counted > 0).then(|| done * 100 / counted),
            is_current,
            standing_note: None,
        }
    }
}

pub struct PastRoadmap {
    pub id: String,
    pub window: String,
    pub current: bool,
}

pub struct LinkRow {
    pub id: String,
    pub label: String,
    pub target: String,
    pub creator: String,
    pub created: String,
    pub expires: String,
    pub views: i64,
    pub last_view: String,
    pub status: &'static str,
    /// What the link shows besides the roadmap.
    pub shows: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "roadmaps/show.html")]
pub struct RoadmapPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub can_edit: bool,
    pub roadmap: RoadmapView,
    pub version: i32,
    pub roadmaps: Vec<PastRoadmap>,
    pub links: Vec<LinkRow>,
    pub new_link: Option<String>,
    pub share_days: String,
    pub share_max_days: i64,
    pub share_label: String,
    /// The link shows "the current roadmap" rather than this one.
    pub share_current: bool,
    pub share_vision: bool,
    pub share_indicators: bool,
    /// The product's people, one of whom may be the link's contact.
    pub contacts: Vec<Choice>,
    /// Why the validity typed was refused.
    pub share_error: Option<String>,
    /// `/produits/{slug}/roadmaps/{id}`
    pub base: String,
    pub days_hint: String,
}

#[derive(Template)]
#[template(path = "roadmaps/index.html")]
pub struct RoadmapsPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub can_edit: bool,
    pub roadmaps: Vec<PastRoadmap>,
    pub form: NewRoadmapForm,
    pub errors: FieldErrors,
}

#[derive(Default)]
pub struct NewRoadmapForm {
    pub start_month: String,
    pub end_month: String,
    pub margin: String,
}

pub struct PriorityChoice {
    pub id: String,
    pub title: String,
    pub rank: String,
}

#[derive(Template)]
#[template(path = "roadmaps/edit.html")]
pub struct RoadmapFormPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub id: String,
    pub start_month: String,
    pub end_month: String,
    pub margin: String,
    pub version: String,
    pub priorities: Vec<PriorityChoice>,
    pub errors: FieldErrors,
    pub conflict: Option<Conflict>,
}

#[derive(Template)]
#[template(path = "roadmaps/initiative_form.html")]
pub struct InitiativeFormPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub title: String,
    pub action: String,
    pub cancel: String,
    pub form: InitiativeForm,
    pub kinds: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub objectives: Vec<Choice>,
    pub errors: FieldErrors,
    pub warnings: Warnings,
    pub conflict: Option<Conflict>,
    pub window_hint: String,
}

#[derive(Template)]
#[template(path = "roadmaps/risk_form.html")]
pub struct RiskFormPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub title: String,
    pub action: String,
    pub cancel: String,
    pub form: RiskForm,
    pub kinds: Vec<Choice>,
    pub likelihoods: Vec<Choice>,
    pub impacts: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub errors: FieldErrors,
    pub conflict: Option<Conflict>,
    /// The product's people, suggested for the owner.
    pub people: Vec<String>,
}

#[derive(Template)]
#[template(path = "roadmaps/public.html")]
pub struct PublicPage {
    pub layout: Layout,
    pub name: String,
    /// When anything of the product last changed.
    pub updated: String,
    /// The vision statement, when the link shows it (empty otherwise or if unwritten).
    pub statement: String,
    /// The indicators with their status, when the link shows them.
    pub indicators: Vec<IndicatorSummary>,
    pub contact: Option<Person>,
    pub roadmap: Option<RoadmapView>,
    /// `/r/{token}`, for the month / week toggle.
    pub view_base: String,
}

#[derive(Template)]
#[template(path = "roadmaps/gone.html")]
pub struct GonePage {
    pub layout: Layout,
}

pub fn window_choices(window: &Window) -> (String, String) {
    (
        super::form::month_value(window.start),
        super::form::month_value(window.end),
    )
}

crate::impl_page!(
    RoadmapPage,
    RoadmapsPage,
    RoadmapFormPage,
    InitiativeFormPage,
    RiskFormPage,
    PublicPage,
    GonePage
);
