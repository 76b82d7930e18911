//! Roadmaps: their vocabularies, the 3-to-6-month window, the calendar layout by month or by
//! week, and the now / next / later grouping. Pure functions, tested here.

use chrono::{Datelike, Duration, Months, NaiveDate};

use crate::web::filters;

pub const MIN_MONTHS: u32 = 3;
pub const MAX_MONTHS: u32 = 6;
pub const MARGIN_MAX: i32 = 50;
/// More priority objectives than this is allowed, with a focus warning.
pub const FOCUS_MAX: usize = 3;
pub const DEFAULT_SHARE_DAYS: i64 = 90;

crate::vocabulary!(InitiativeKind {
    Feature => "fonctionnalite", "Fonctionnalité";
    Experiment => "experimentation", "Expérimentation";
    Action => "action", "Action";
});

crate::vocabulary!(InitiativeStatus {
    Planned => "prevue", "Prévue";
    InProgress => "en-cours", "En cours";
    Done => "terminee", "Terminée";
    Dropped => "abandonnee", "Abandonnée";
});

crate::vocabulary!(RiskKind {
    Dependency => "dependance", "Dépendance";
    Risk => "risque", "Risque";
});

crate::vocabulary!(Level {
    Low => "faible", "Faible";
    Medium => "moyen", "Moyen";
    High => "fort", "Fort";
});

crate::vocabulary!(RiskStatus {
    Open => "ouvert", "Ouvert";
    Mitigated => "maitrise", "Maîtrisé";
    Closed => "clos", "Clos";
});

/// The months a roadmap covers: from the first day of `start` to the last day of `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

pub fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

const MONTHS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// The month's abbreviated name ("janv.").
pub fn month_short(date: NaiveDate) -> &'static str {
    MONTHS
        .get(date.month0() as usize)
        .copied()
        .unwrap_or_default()
}

pub fn month_label(date: NaiveDate) -> String {
    format!("{} {}", month_short(date), date.year())
}

/// `2027-01` or `01/2027` (a month input, or typed by hand).
pub fn parse_month(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&format!("01/{raw}"), "%d/%m/%Y"))
        .ok()
        .filter(|month| crate::web::form::year_in_range(*month))
}

impl Window {
    /// Checks that the window covers 3 to 6 whole months, `end` not before `start`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, String> {
        let (start, end) = (first_of_month(start), first_of_month(end));
        if end < start {
            return Err("Le mois de fin doit suivre le mois de début.".into());
        }
        let months =
            (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32 + 1;
        if !(MIN_MONTHS as i32..=MAX_MONTHS as i32).contains(&months) {
            return Err(format!(
                "Une roadmap court terme couvre 3 à 6 mois (ici {months} mois)."
            ));
        }
        Ok(Self { start, end })
    }

    /// The first day after the window.
    pub fn end_exclusive(&self) -> NaiveDate {
        self.end
            .checked_add_months(Months::new(1))
            .unwrap_or(self.end)
    }

    pub fn last_day(&self) -> NaiveDate {
        self.end_exclusive() - Duration::days(1)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.start && date < self.end_exclusive()
    }

    pub fn months(&self) -> Vec<NaiveDate> {
        let mut months = Vec::new();
        let mut m = self.start;
        while m <= self.end {
            months.push(m);
            m = m
                .checked_add_months(Months::new(1))
                .unwrap_or(NaiveDate::MAX);
        }
        months
    }

    /// Mondays of the weeks that meet the window.
    pub fn weeks(&self) -> Vec<NaiveDate> {
        let mut monday =
            self.start - Duration::days(self.start.weekday().num_days_from_monday() as i64);
        let mut weeks = Vec::new();
        while monday <= self.last_day() {
            weeks.push(monday);
            monday += Duration::days(7);
        }
        weeks
    }

    pub fn label(&self) -> String {
        format!("{} – {}", month_label(self.start), month_label(self.end))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Month,
    Week,
}

/// Where a bar sits on the calendar: its first column (0-based), how many columns it spans, and
/// whether it runs past either edge of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub first: usize,
    pub span: usize,
    pub before: bool,
    pub after: bool,
}

/// The calendar cells an item from `start` to `end` covers; None when it lies wholly outside.
pub fn place(window: &Window, scale: Scale, start: NaiveDate, end: NaiveDate) -> Option<Placement> {
    let columns: Vec<(NaiveDate, NaiveDate)> = match scale {
        Scale::Month => window
            .months()
            .into_iter()
            .map(|m| {
                (
                    m,
                    m.checked_add_months(Months::new(1)).unwrap_or(m) - Duration::days(1),
                )
            })
            .collect(),
        Scale::Week => window
            .weeks()
            .into_iter()
            .map(|w| (w, w + Duration::days(6)))
            .collect(),
    };
    let first = columns.iter().position(|(_, last)| *last >= start)?;
    let last = columns
        .iter()
        .rposition(|(first_day, _)| *first_day <= end)?;
    if last < first {
        return None;
    }
    Some(Placement {
        first,
        span: last - first + 1,
        before: start < window.start,
        after: end > window.last_day(),
    })
}

/// En cours / prochainement / plus tard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Horizon {
    Now,
    Next,
    Later,
    /// Done or dropped: not in the view.
    Past,
}

impl Horizon {
    pub fn label(self) -> &'static str {
        match self {
            Self::Now => "En cours",
            Self::Next => "Prochainement",
            Self::Later => "Plus tard",
            Self::Past => "Terminé",
        }
    }
}

/// "Prochainement" means starting within this many days.
pub const NEXT_DAYS: i64 = 45;

pub fn horizon(
    status: InitiativeStatus,
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Horizon {
    match status {
        InitiativeStatus::Done | InitiativeStatus::Dropped => Horizon::Past,
        InitiativeStatus::InProgress => Horizon::Now,
        InitiativeStatus::Planned if start <= today && today <= end => Horizon::Now,
        InitiativeStatus::Planned if start <= today + Duration::days(NEXT_DAYS) => Horizon::Next,
        InitiativeStatus::Planned => Horizon::Later,
    }
}

/// Where a product's roadmaps stand on a day. The one rule of "current" that every page, filter,
/// list and export follows: the current roadmap covers today; otherwise there is none in
/// progress, and the product has a next one (the earliest to start later) or a last one that
/// ended.
#[derive(Debug, PartialEq)]
pub enum Standing<'a, T> {
    Current(&'a T),
    Next(&'a T),
    Ended(&'a T),
    None,
}

impl<'a, T> Standing<'a, T> {
    /// The roadmap a page shows for the product: the current one, else the next, else the last.
    pub fn roadmap(&self) -> Option<&'a T> {
        match self {
            Self::Current(r) | Self::Next(r) | Self::Ended(r) => Some(r),
            Self::None => None,
        }
    }

    pub fn current(&self) -> Option<&'a T> {
        match self {
            Self::Current(r) => Some(r),
            _ => None,
        }
    }

    /// What a page says when no roadmap is in progress, in the dashboard's words.
    pub fn note(&self, window: impl Fn(&T) -> Window) -> Option<String> {
        match self {
            Self::Current(_) => None,
            Self::Next(r) => Some(format!(
                "Pas de roadmap en cours (prochaine : {})",
                window(r).label()
            )),
            Self::Ended(r) => Some(format!("Roadmap terminée ({})", window(r).label())),
            Self::None => Some("Aucune roadmap".into()),
        }
    }
}

pub fn standing<T>(
    roadmaps: &[T],
    window: impl Fn(&T) -> Window,
    today: NaiveDate,
) -> Standing<'_, T> {
    if let Some(r) = roadmaps.iter().find(|r| window(r).contains(today)) {
        return Standing::Current(r);
    }
    if let Some(r) = roadmaps
        .iter()
        .filter(|r| window(r).start > today)
        .min_by_key(|r| window(r).start)
    {
        return Standing::Next(r);
    }
    match roadmaps.iter().max_by_key(|r| window(r).start) {
        Some(r) => Standing::Ended(r),
        None => Standing::None,
    }
}

/// The roadmap covering `today`, if any.
pub fn current<T>(roadmaps: &[T], window: impl Fn(&T) -> Window, today: NaiveDate) -> Option<&T> {
    standing(roadmaps, window, today).current()
}

/// A date as the calendar shows it.
pub fn short(date: NaiveDate) -> String {
    filters::date_short(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_window_covers_three_to_six_whole_months() {
        assert!(Window::new(day(2027, 1, 1), day(2027, 3, 1)).is_ok());
        assert!(
            Window::new(day(2027, 1, 15), day(2027, 6, 30)).is_ok(),
            "days are rounded to whole months"
        );
        assert_eq!(
            Window::new(day(2027, 1, 1), day(2027, 2, 1)).unwrap_err(),
            "Une roadmap court terme couvre 3 à 6 mois (ici 2 mois)."
        );
        assert_eq!(
            Window::new(day(2027, 1, 1), day(2027, 7, 1)).unwrap_err(),
            "Une roadmap court terme couvre 3 à 6 mois (ici 7 mois)."
        );
        assert_eq!(
            Window::new(day(2027, 5, 1), day(2027, 1, 1)).unwrap_err(),
            "Le mois de fin doit suivre le mois de début."
        );
        let w = Window::new(day(2026, 11, 1), day(2027, 1, 1)).unwrap();
        assert_eq!(w.last_day(), day(2027, 1, 31));
        assert_eq!(w.months().len(), 3);
        assert_eq!(w.label(), "nov. 2026 – janv. 2027");
        assert_eq!(parse_month("2027-02"), Some(day(2027, 2, 1)));
        assert_eq!(parse_month("02/2027"), Some(day(2027, 2, 1)));
        assert_eq!(parse_month("13/2027"), None);
        assert_eq!(parse_month("9999-12"), None);
    }

    #[test]
    fn the_calendar_places_items_by_month_and_by_week() {
        let w = Window::new(day(2027, 1, 1), day(2027, 3, 1)).unwrap();
        assert_eq!(
            place(&w, Scale::Month, day(2027, 1, 10), day(2027, 2, 5)),
            Some(Placement {
                first: 0,
                span: 2,
                before: false,
                after: false
            })
        );
        assert_eq!(
            place(&w, Scale::Month, day(2026, 12, 1), day(2027, 4, 30)),
            Some(Placement {
                first: 0,
                span: 3,
                before: true,
                after: true
            })
        );
        assert_eq!(
            place(&w, Scale::Month, day(2027, 5, 1), day(2027, 6, 1)),
            None
        );
        // 1 January 2027 is a Friday: the first week starts on Monday 28 December.
        let weeks = w.weeks();
        assert_eq!(weeks[0], day(2026, 12, 28));
        assert_eq!(*weeks.last().unwrap(), day(2027, 3, 29));
        assert_eq!(
            place(&w, Scale::Week, day(2027, 1, 4), day(2027, 1, 17)),
            Some(Placement {
                first: 1,
                span: 2,
                before: false,
                after: false
            })
        );
        assert_eq!(
            place(&w, Scale::Week, day(2027, 3, 30), day(2027, 4, 20))
                .map(|p| (p.first, p.span, p.after)),
            Some((weeks.len() - 1, 1, true))
        );
    }

    #[test]
    fn initiatives_fall_into_now_next_and_later() {
        let today = day(2027, 1, 15);
        assert_eq!(
            horizon(
                InitiativeStatus::InProgress,
                day(2027, 3, 1),
                day(2027, 4, 1),
                today
            ),
            Horizon::Now
        );
        assert_eq!(
            horizon(
                InitiativeStatus::Planned,
                day(2027, 1, 1),
                day(2027, 2, 1),
                today
            ),
            Horizon::Now
        );
        assert_eq!(
            horizon(
                InitiativeStatus::Planned,
                day(2027, 2, 1),
                day(2027, 3, 1),
                today
            ),
            Horizon::Next
        );
        assert_eq!(
            horizon(
                InitiativeStatus::Planned,
                day(2027, 5, 1),
                day(2027, 6, 1),
                today
            ),
            Horizon::Later
        );
        assert_eq!(
            horizon(
                InitiativeStatus::Done,
                day(2027, 1, 1),
                day(2027, 1, 10),
                today
            ),
            Horizon::Past
        );
    }

    #[test]
    fn the_current_roadmap_covers_today_else_the_next_or_the_last_is_named() {
        let windows = [
            Window::new(day(2026, 7, 1), day(2026, 12, 1)).unwrap(),
            Window::new(day(2027, 1, 1), day(2027, 3, 1)).unwrap(),
            Window::new(day(2027, 4, 1), day(2027, 6, 1)).unwrap(),
        ];
        let at = |d| standing(&windows, |w| *w, d);
        assert_eq!(at(day(2026, 9, 1)), Standing::Current(&windows[0]));
        assert_eq!(at(day(2026, 6, 15)), Standing::Next(&windows[0]));
        // Between two: none in progress, the earliest of the later ones is next.
        let gap = [windows[0], windows[2]];
        assert_eq!(
            standing(&gap, |w| *w, day(2027, 2, 1)),
            Standing::Next(&gap[1])
        );
        assert_eq!(at(day(2027, 9, 1)), Standing::Ended(&windows[2]));
        assert_eq!(
            standing(&windows[..0], |w| *w, day(2027, 6, 1)),
            Standing::None
        );
        assert_eq!(current(&windows, |w| *w, day(2026, 6, 15)), None);
        assert_eq!(
            at(day(2026, 6, 15)).note(|w| *w).as_deref(),
            Some("Pas de roadmap en cours (prochaine : juil. 2026 – déc. 2026)")
        );
    }
}
