//! The portfolio timeline (`/portefeuille/calendrier`): one row per product the dashboard's
//! filters keep, its roadmaps placed by day on a common calendar and coloured by how they stand,
//! their milestones, today's line and the open high risks; a table says the same in words.

use askama::Template;
use axum::{extract::State, response::IntoResponse};
use chrono::{Months, NaiveDate};

use crate::{
    auth::Viewer,
    error::AppResult,
    roadmaps::{
        db::{self, TimelineRoadmap},
        model::{Window, first_of_month, month_label, month_short, short},
    },
    state::AppState,
    web::{
        Layout, Query,
        pagination::{Page, Pagination},
    },
};

use super::model::{DashboardQuery, Row, select};

/// How a roadmap stands on a day, the colour of its bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    Ended,
    OnTrack,
    Late,
    Upcoming,
}

impl Progress {
    pub fn of(roadmap: &TimelineRoadmap, today: NaiveDate) -> Self {
        if roadmap.window.last_day() < today {
            Self::Ended
        } else if roadmap.window.start > today {
            Self::Upcoming
        } else if roadmap.overdue > 0 {
            Self::Late
        } else {
            Self::OnTrack
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ended => "terminée",
            Self::OnTrack => "dans les temps",
            Self::Late => "en retard",
            Self::Upcoming => "à venir",
        }
    }

    /// The CSS modifier of its bar and legend.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Ended => "ended",
            Self::OnTrack => "ok",
            Self::Late => "late",
            Self::Upcoming => "upcoming",
        }
    }

    pub const ALL: [Self; 4] = [Self::OnTrack, Self::Late, Self::Upcoming, Self::Ended];
}

/// The months the calendar shows: from the earliest start of a roadmap in progress (at least the
/// previous month, so that a roadmap that just ended shows) to the latest end of those in
/// progress or coming, at least six months and at most twelve.
pub fn span(roadmaps: &[TimelineRoadmap], today: NaiveDate) -> Window {
    let this = first_of_month(today);
    let months = |from: NaiveDate, n: u32| from.checked_add_months(Months::new(n)).unwrap_or(from);
    let previous = this.checked_sub_months(Months::new(1)).unwrap_or(this);
    let start = roadmaps
        .iter()
        .filter(|r| r.window.contains(today))
        .map(|r| r.window.start)
        .fold(previous, NaiveDate::min);
    let end = roadmaps
        .iter()
        .filter(|r| r.window.end >= this)
        .map(|r| r.window.end)
        .fold(months(start, 5), NaiveDate::max)
        .min(months(start, 11));
    Window { start, end }
}

/// Where `day` falls across `span`, in percent of its width (0 to 100).
fn percent(span: &Window, day: NaiveDate) -> f64 {
    let width = (span.end_exclusive() - span.start).num_days().max(1) as f64;
    let offset = (day - span.start).num_days() as f64;
    (offset * 100.0 / width).clamp(0.0, 100.0)
}

fn css(percent: f64) -> String {
    format!("{percent:.2}%")
}

/// A roadmap's bar: a link to its page.
pub struct Bar {
    pub url: String,
    pub x: String,
    pub width: String,
    pub kind: &'static str,
    pub label: String,
}

/// A milestone's diamond: a link to its roadmap.
pub struct Mark {
    pub url: String,
    pub x: String,
    pub kind: &'static str,
    pub label: String,
}

/// A month of the calendar's header: its left edge, its middle, its names.
pub struct MonthMark {
    pub x: String,
    pub middle: String,
    pub short: &'static str,
    pub long: String,
    pub initial: String,
}

/// One roadmap in the table that says the chart in words.
pub struct Line {
    pub url: String,
    pub window: String,
    pub state: &'static str,
    pub done: String,
}

pub struct ChartRow {
    pub slug: String,
    pub name: String,
    /// How the product's roadmap stands, in words ("Dans les temps", "En retard : …", or the
    /// dashboard's words when none is in progress).
    pub state: String,
    pub state_kind: &'static str,
    pub high_risks: i64,
    pub risks_url: Option<String>,
    pub bars: Vec<Bar>,
    pub marks: Vec<Mark>,
    pub lines: Vec<Line>,
    /// "12/01/2027 : Ouverture (atteint)", every milestone of those roadmaps.
    pub milestones: Vec<String>,
}

fn plural(n: i64) -> &'static str {
    if n > 1 { "s" } else { "" }
}

fn done_words(r: &TimelineRoadmap) -> String {
    let counted = r.initiatives - r.dropped;
    if counted > 0 {
        format!("{} % des initiatives terminées", r.done * 100 / counted)
    } else {
        "aucune initiative".into()
    }
}

fn milestone_state(done: bool, day: NaiveDate, today: NaiveDate) -> (&'static str, &'static str) {
    if done {
        ("done", "atteint")
    } else if day < today {
        ("late", "en retard")
    } else {
        ("upcoming", "à venir")
    }
}

/// The row of `product`, whose roadmaps meeting the calendar are `roadmaps`.
pub fn chart_row(
    product: &Row,
    roadmaps: &[&TimelineRoadmap],
    span: &Window,
    today: NaiveDate,
) -> ChartRow {
    let url = |r: &TimelineRoadmap| format!("/produits/{}/roadmaps/{}", product.slug, r.id);
    let shown: Vec<&&TimelineRoadmap> = roadmaps
        .iter()
        .filter(|r| r.window.start <= span.end && r.window.end >= span.start)
        .collect();
    let bars = shown
        .iter()
        .map(|r| {
            let progress = Progress::of(r, today);
            let x = percent(span, r.window.start);
            let end = percent(span, r.window.end_exclusive());
            Bar {
                url: url(r),
                x: css(x),
                width: css(end - x),
                kind: progress.kind(),
                label: format!(
                    "Roadmap {} de {} : {}, {}",
                    r.window.label(),
                    product.name,
                    progress.label(),
                    done_words(r)
                ),
            }
        })
        .collect();
    let marks = shown
        .iter()
        .flat_map(|r| {
            r.milestones
                .iter()
                .filter(|m| span.contains(m.day))
                .map(|m| {
                    let (kind, word) = milestone_state(m.done, m.day, today);
                    Mark {
                        url: url(r),
                        x: css(percent(span, m.day)),
                        kind,
                        label: format!("Jalon « {} » le {} : {word}", m.name, short(m.day)),
                    }
                })
        })
        .collect();
    let lines = shown
        .iter()
        .map(|r| Line {
            url: url(r),
            window: r.window.label(),
            state: Progress::of(r, today).label(),
            done: done_words(r),
        })
        .collect();
    let milestones = shown
        .iter()
        .flat_map(|r| &r.milestones)
        .map(|m| {
            let (_, word) = milestone_state(m.done, m.day, today);
            format!("{} : {} ({word})", short(m.day), m.name)
        })
        .collect();
    let current = roadmaps.iter().find(|r| r.window.contains(today));
    let (state, state_kind) = match current {
        Some(r) if r.overdue > 0 => (
            format!(
                "En retard : {} initiative{} dépassée{}",
                r.overdue,
                plural(r.overdue),
                plural(r.overdue)
            ),
            "late",
        ),
        Some(_) => ("Dans les temps".to_owned(), "ok"),
        None => (product.roadmap.health(today).text(), "none"),
    };
    let high_risks: i64 = roadmaps
        .iter()
        .filter(|r| r.window.last_day() >= today)
        .map(|r| r.high_risks)
        .sum();
    let risks_url = roadmaps
        .iter()
        .find(|r| r.window.last_day() >= today && r.high_risks > 0)
        .map(|r| format!("{}#risques", url(r)));
    ChartRow {
        slug: product.slug.to_string(),
        name: product.name.to_string(),
        state,
        state_kind,
        high_risks,
        risks_url,
        bars,
        marks,
        lines,
        milestones,
    }
}

fn month_marks(span: &Window) -> Vec<MonthMark> {
    span.months()
        .into_iter()
        .map(|m| {
            let next = m.checked_add_months(Months::new(1)).unwrap_or(m);
            let x = percent(span, m);
            let short = month_short(m);
            MonthMark {
                x: css(x),
                middle: css((x + percent(span, next)) / 2.0),
                short,
                long: month_label(m),
                initial: short.chars().next().map(String::from).unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portfolio/timeline.html")]
pub struct TimelinePage {
    pub layout: Layout,
    pub span: String,
    pub today: String,
    pub today_x: String,
    pub months: Vec<MonthMark>,
    pub legend: [Progress; 4],
    pub rows: Vec<ChartRow>,
    pub pagination: Pagination,
    pub filters: Vec<String>,
    pub back_url: String,
}

crate::impl_page!(TimelinePage);

/// `/portefeuille/calendrier`, with the dashboard's filters and sort.
pub async fn timeline(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DashboardQuery>,
) -> AppResult<impl IntoResponse> {
    let super::View {
        filters,
        today,
        rows: all_rows,
        directions,
        phases,
    } = super::View::load(&state, &viewer, &query, None).await?;
    let selection = select(all_rows, &filters, today).rows;
    let (shown, pagination) = Pagination::cut(selection, filters.page, |page: Page| {
        format!(
            "/portefeuille/calendrier{}",
            filters.query(None, Some(page))
        )
    });
    let this = first_of_month(today);
    let ids: Vec<uuid::Uuid> = shown.iter().map(|r| r.id).collect();
    let roadmaps = db::timeline(
        &state.db,
        &ids,
        this.checked_sub_months(Months::new(6)).unwrap_or(this),
        this.checked_add_months(Months::new(12)).unwrap_or(this),
        today,
    )
    .await?;
    let span = span(&roadmaps, today);
    let rows = shown
        .iter()
        .map(|product| {
            let mine: Vec<&TimelineRoadmap> = roadmaps
                .iter()
                .filter(|r| r.product_id == product.id)
                .collect();
            chart_row(product, &mine, &span, today)
        })
        .collect();
    Ok(TimelinePage {
        layout: viewer.layout.in_section("portefeuille"),
        span: format!("{} à {}", month_label(span.start), month_label(span.end)),
        today: short(today),
        today_x: css(percent(&span, today)),
        months: month_marks(&span),
        legend: Progress::ALL,
        rows,
        pagination,
        filters: super::describe(&filters, &directions, &phases),
        back_url: format!("/{}", filters.query_all()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn roadmap(start: NaiveDate, end: NaiveDate, overdue: i64) -> TimelineRoadmap {
        TimelineRoadmap {
            id: uuid::Uuid::nil(),
            product_id: uuid::Uuid::nil(),
            window: Window { start, end },
            initiatives: 4,
            done: 1,
            dropped: 0,
            overdue,
            high_risks: 0,
            milestones: Vec::new(),
        }
    }

    #[test]
    fn a_roadmap_stands_by_its_window_and_its_overdue_initiatives() {
        let today = day(2027, 3, 10);
        let ended = roadmap(day(2026, 10, 1), day(2027, 2, 1), 2);
        let late = roadmap(day(2027, 1, 1), day(2027, 4, 1), 1);
        let fine = roadmap(day(2027, 1, 1), day(2027, 4, 1), 0);
        let coming = roadmap(day(2027, 4, 1), day(2027, 8, 1), 0);
        assert_eq!(Progress::of(&ended, today), Progress::Ended);
        assert_eq!(Progress::of(&late, today), Progress::Late);
        assert_eq!(Progress::of(&fine, today), Progress::OnTrack);
        assert_eq!(Progress::of(&coming, today), Progress::Upcoming);
        // The last day of its last month still counts as in progress.
        assert_eq!(Progress::of(&fine, day(2027, 4, 30)), Progress::OnTrack);
        assert_eq!(Progress::of(&fine, day(2027, 5, 1)), Progress::Ended);
    }

    #[test]
    fn the_calendar_runs_from_the_earliest_roadmap_in_progress_to_the_latest_end_within_a_year() {
        let today = day(2027, 3, 10);
        assert_eq!(
            span(&[], today),
            Window {
                start: day(2027, 2, 1),
                end: day(2027, 7, 1)
            }
        );
        let roadmaps = [
            roadmap(day(2026, 12, 1), day(2027, 5, 1), 0),
            roadmap(day(2027, 6, 1), day(2027, 11, 1), 0),
            roadmap(day(2027, 11, 1), day(2028, 4, 1), 0),
        ];
        assert_eq!(
            span(&roadmaps, today),
            Window {
                start: day(2026, 12, 1),
                end: day(2027, 11, 1)
            }
        );
    }

    #[test]
    fn days_are_placed_in_proportion_across_the_months() {
        let span = Window {
            start: day(2027, 1, 1),
            end: day(2027, 12, 1),
        };
        assert_eq!(percent(&span, day(2027, 1, 1)), 0.0);
        assert_eq!(percent(&span, day(2028, 1, 1)), 100.0);
        assert_eq!(css(percent(&span, day(2027, 7, 2))), "49.86%");
        // Outside the calendar, clamped to its edges.
        assert_eq!(percent(&span, day(2026, 6, 1)), 0.0);
        assert_eq!(percent(&span, day(2029, 6, 1)), 100.0);
    }
}
