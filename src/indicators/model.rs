//! Indicators: their vocabularies, French numbers, and the computed values — latest value,
//! progress towards the next target, status and its reason. Pure functions, tested here.

use chrono::{Duration, NaiveDate};

use crate::web::filters;

/// Within this share of the expected progress, an indicator is on track.
pub const ON_TRACK_MARGIN: f64 = 0.05;
/// Beyond `ON_TRACK_MARGIN` and within this much behind, it is to watch; further behind, late.
pub const WATCH_MARGIN: f64 = 0.20;
/// For a "stay within a range" indicator: outside the range by at most this share of its width
/// is to watch; further out, late.
pub const RANGE_WATCH_MARGIN: f64 = 0.10;
/// No measurement within this many periods of the frequency: stale.
pub const STALE_PERIODS: i64 = 2;

crate::vocabulary!(
    /// What an indicator tells.
    Kind {
        Success => "succes", "Succès";
        Impact => "impact", "Impact";
        Direction => "direction", "Direction";
    }
);

impl Kind {
    /// "Indicateur de succès", "Indicateur d’impact", "Indicateur de direction".
    pub fn title(self) -> &'static str {
        match self {
            Self::Success => "Indicateur de succès",
            Self::Impact => "Indicateur d’impact",
            Self::Direction => "Indicateur de direction",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            Self::Success => "Le produit atteint-il ses résultats ? Usage, audience, satisfaction.",
            Self::Impact => {
                "Quels effets sur les usagers ou l’organisation ? Économies, délais, dématérialisation."
            }
            Self::Direction => {
                "Signal de tendance ou garde-fou à surveiller, sans cible ambitieuse."
            }
        }
    }
}

crate::vocabulary!(
    /// Which way is better.
    Trend {
        Increase => "hausse", "Hausse";
        Decrease => "baisse", "Baisse";
        Range => "plage", "Stabilité dans une plage";
    }
);

crate::vocabulary!(
    Frequency {
        Weekly => "hebdomadaire", "Hebdomadaire";
        Monthly => "mensuelle", "Mensuelle";
        Quarterly => "trimestrielle", "Trimestrielle";
        Yearly => "annuelle", "Annuelle";
    }
);

impl Frequency {
    pub fn days(self) -> i64 {
        match self {
            Self::Weekly => 7,
            Self::Monthly => 31,
            Self::Quarterly => 92,
            Self::Yearly => 366,
        }
    }
}

crate::vocabulary!(
    Source {
        Matomo => "matomo", "Matomo";
        Jdma => "jdma", "JDMA « Je donne mon avis »";
        Survey => "enquete", "Enquête";
        Business => "base-metier", "Base métier";
        Manual => "saisie-manuelle", "Saisie manuelle";
        Other => "autre", "Autre";
    }
);

/// Units offered in the form; any other text is accepted too.
pub const UNITS: &[&str] = &["%", "nombre", "jours", "minutes", "€", "note /10"];

/// Reads a number the French way (`1 234,5`, `12,5 %`) or from a copy-paste (`1234.5`).
/// Refuses exponents, infinities and NaN.
pub fn parse_number(raw: &str) -> Result<f64, String> {
    let cleaned: String = raw
        .trim()
        .trim_end_matches('%')
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let invalid = || {
        format!(
            "« {} » n’est pas un nombre : écrivez par exemple 1 234,5.",
            raw.trim()
        )
    };
    if cleaned.is_empty() {
        return Err("Saisissez une valeur.".into());
    }
    let (sign, digits) = cleaned
        .strip_prefix('-')
        .map_or(("", cleaned.as_str()), |d| ("-", d));
    let well_formed = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if !well_formed {
        return Err(invalid());
    }
    let value: f64 = format!("{sign}{digits}").parse().map_err(|_| invalid())?;
    if !value.is_finite() || value.abs() > 1e15 {
        return Err("Ce nombre est trop grand.".into());
    }
    Ok(value)
}

/// `1 234,5` with the unit: `12,5 %`, `3 jours`, `8,2 /10`.
pub fn format_value(value: f64, unit: &str) -> String {
    let decimals = if (value - value.round()).abs() < 1e-9 {
        0
    } else if (value * 10.0 - (value * 10.0).round()).abs() < 1e-9 {
        1
    } else {
        2
    };
    let number = filters::number(value, decimals);
    match unit.trim() {
        "" | "nombre" => number,
        "note /10" => format!("{number}/10"),
        unit => format!("{number} {unit}"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub date: NaiveDate,
    pub value: f64,
}

/// What a status needs to know of an indicator.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub trend: Trend,
    /// The acceptable range, for `Trend::Range`.
    pub range: Option<(f64, f64)>,
    pub baseline: Point,
    /// Sorted by date.
    pub targets: Vec<Point>,
    pub frequency: Frequency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    OnTrack,
    Watch,
    Late,
    Stale,
    NoData,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Self::OnTrack,
        Self::Watch,
        Self::Late,
        Self::Stale,
        Self::NoData,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::OnTrack => "En bonne voie",
            Self::Watch => "À surveiller",
            Self::Late => "En retard",
            Self::Stale => "Obsolète",
            Self::NoData => "Pas de données",
        }
    }

    /// DSFR badge variant.
    pub fn badge(self) -> &'static str {
        match self {
            Self::OnTrack => "success",
            Self::Watch => "warning",
            Self::Late => "error",
            Self::Stale => "new",
            Self::NoData => "info",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    pub status: Status,
    /// One French sentence saying why.
    pub reason: String,
    /// Share of the way from the baseline to the next target (0.62 = 62 %).
    pub progress: Option<f64>,
    pub target: Option<Point>,
}

/// The target the indicator is heading for at `date`: the first one on or after it, else the last.
pub fn next_target(targets: &[Point], date: NaiveDate) -> Option<Point> {
    targets
        .iter()
        .find(|t| t.date >= date)
        .or(targets.last())
        .copied()
}

/// Share of the way from `baseline` to `target` covered by `value`: negative when it moved the
/// wrong way, above 1 when it went beyond. `None` when baseline and target are equal.
pub fn progress(baseline: f64, target: f64, value: f64) -> Option<f64> {
    let span = target - baseline;
    if span.abs() < f64::EPSILON * baseline.abs().max(1.0) {
        None
    } else {
        Some((value - baseline) / span)
    }
}

/// Share of the way expected at `date` on the straight line from the baseline to the target.
pub fn expected(baseline: NaiveDate, target: NaiveDate, date: NaiveDate) -> f64 {
    let total = (target - baseline).num_days();
    if total <= 0 {
        return 1.0;
    }
    ((date - baseline).num_days() as f64 / total as f64).clamp(0.0, 1.0)
}

fn percent(share: f64) -> String {
    format!("{} %", filters::number((share * 100.0).round(), 0))
}

/// Where the indicator stands today, from its latest measurement.
pub fn assess(spec: &Spec, measurements: &[Point], today: NaiveDate) -> Assessment {
    let Some(latest) = measurements.iter().max_by_key(|m| m.date).copied() else {
        return Assessment {
            status: Status::NoData,
            reason: "Aucune mesure saisie pour l’instant.".into(),
            progress: None,
            target: None,
        };
    };
    let stale_after = Duration::days(STALE_PERIODS * spec.frequency.days());
    if today - latest.date > stale_after {
        return Assessment {
            status: Status::Stale,
            reason: format!(
                "Dernière mesure le {} : aucune depuis plus de deux périodes ({}).",
                filters::date_short(latest.date),
                spec.frequency.label().to_lowercase()
            ),
            progress: None,
            target: next_target(&spec.targets, latest.date),
        };
    }
    if spec.trend == Trend::Range {
        return assess_range(spec, latest);
    }
    let Some(target) = next_target(&spec.targets, latest.date) else {
        return Assessment {
            status: Status::Watch,
            reason:
                "Aucune cible n’est fixée : impossible de dire si l’indicateur progresse assez."
                    .into(),
            progress: None,
            target: None,
        };
    };
    let Some(done) = progress(spec.baseline.value, target.value, latest.value) else {
        // Baseline and target are equal: the aim is to hold the value.
        let held = match spec.trend {
            Trend::Decrease => latest.value <= target.value,
            _ => latest.value >= target.value,
        };
        let (status, verb) = if held {
            (Status::OnTrack, "tenue")
        } else {
            (Status::Late, "non tenue")
        };
        return Assessment {
            status,
            reason: format!("La cible est égale à la valeur de référence : valeur {verb}."),
            progress: None,
            target: Some(target),
        };
    };
    let due = expected(spec.baseline.date, target.date, latest.date);
    let status = if done >= due - ON_TRACK_MARGIN {
        Status::OnTrack
    } else if done >= due - WATCH_MARGIN {
        Status::Watch
    } else {
        Status::Late
    };
    Assessment {
        status,
        reason: format!(
            "{} du chemin parcouru ; {} attendu au {}.",
            percent(done),
            percent(due),
            filters::date_short(latest.date)
        ),
        progress: Some(done),
        target: Some(target),
    }
}

fn assess_range(spec: &Spec, latest: Point) -> Assessment {
    let Some((low, high)) = spec
        .range
        .map(|(a, b)| if a <= b { (a, b) } else { (b, a) })
    else {
        return Assessment {
            status: Status::Watch,
            reason: "La plage attendue n’est pas définie.".into(),
            progress: None,
            target: None,
        };
    };
    let width = (high - low).max(f64::EPSILON);
    let outside = if latest.value < low {
        low - latest.value
    } else if latest.value > high {
        latest.value - high
    } else {
        0.0
    };
    let status = if outside == 0.0 {
        Status::OnTrack
    } else if outside <= RANGE_WATCH_MARGIN * width {
        Status::Watch
    } else {
        Status::Late
    };
    let place = if outside == 0.0 { "dans" } else { "hors de" };
    Assessment {
        status,
        reason: format!(
            "Dernière valeur {place} la plage attendue ({} à {}).",
            filters::number(low, 1).trim_end_matches(",0"),
            filters::number(high, 1).trim_end_matches(",0")
        ),
        progress: None,
        target: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn spec(trend: Trend, baseline: f64, target: f64) -> Spec {
        Spec {
            trend,
            range: None,
            baseline: Point {
                date: day(2026, 1, 1),
                value: baseline,
            },
            targets: vec![Point {
                date: day(2026, 12, 31),
                value: target,
            }],
            frequency: Frequency::Monthly,
        }
    }

    #[test]
    fn numbers_are_read_the_french_way() {
        assert_eq!(parse_number("1 234,5"), Ok(1234.5));
        assert_eq!(parse_number("1\u{202f}234,5"), Ok(1234.5));
        assert_eq!(parse_number("12,5 %"), Ok(12.5));
        assert_eq!(parse_number("1234.5"), Ok(1234.5));
        assert_eq!(parse_number("-3"), Ok(-3.0));
        for bad in [
            "", "douze", "1e999", "NaN", "inf", "1,2,3", "1.2.3", "--1", "1e3", "-",
        ] {
            assert!(parse_number(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_value(1234.5, "€"), "1\u{202f}234,5 €");
        assert_eq!(format_value(12.5, "%"), "12,5 %");
        assert_eq!(format_value(8.25, "note /10"), "8,25/10");
    }

    #[test]
    fn status_compares_progress_with_the_straight_trajectory() {
        // Halfway through the year (2 July), half the way is expected.
        let s = spec(Trend::Increase, 20.0, 60.0);
        let at = |value: f64| {
            vec![Point {
                date: day(2026, 7, 2),
                value,
            }]
        };
        let today = day(2026, 7, 10);
        let on_track = assess(&s, &at(41.0), today);
        assert_eq!(on_track.status, Status::OnTrack);
        assert_eq!(
            on_track.reason,
            "53 % du chemin parcouru ; 50 % attendu au 02/07/2026."
        );
        assert_eq!(assess(&s, &at(34.0), today).status, Status::Watch);
        assert_eq!(assess(&s, &at(25.0), today).status, Status::Late);
        assert_eq!(
            assess(&s, &at(15.0), today).status,
            Status::Late,
            "moving the wrong way"
        );
    }

    #[test]
    fn a_decrease_indicator_progresses_when_the_value_falls() {
        let s = spec(Trend::Decrease, 30.0, 10.0);
        let latest = vec![Point {
            date: day(2026, 7, 2),
            value: 18.0,
        }];
        let a = assess(&s, &latest, day(2026, 7, 2));
        assert_eq!(a.progress, Some(0.6));
        assert_eq!(a.status, Status::OnTrack);
    }

    #[test]
    fn no_data_stale_and_range_statuses() {
        let s = spec(Trend::Increase, 0.0, 10.0);
        assert_eq!(assess(&s, &[], day(2026, 3, 1)).status, Status::NoData);
        let old = vec![Point {
            date: day(2026, 1, 15),
            value: 5.0,
        }];
        // Monthly: stale after 62 days without a measurement.
        assert_eq!(assess(&s, &old, day(2026, 3, 18)).status, Status::OnTrack);
        assert_eq!(assess(&s, &old, day(2026, 3, 19)).status, Status::Stale);

        let mut range = spec(Trend::Range, 0.0, 0.0);
        range.range = Some((95.0, 100.0));
        let at = |v: f64| {
            vec![Point {
                date: day(2026, 3, 1),
                value: v,
            }]
        };
        assert_eq!(
            assess(&range, &at(99.0), day(2026, 3, 1)).status,
            Status::OnTrack
        );
        assert_eq!(
            assess(&range, &at(94.6), day(2026, 3, 1)).status,
            Status::Watch
        );
        assert_eq!(
            assess(&range, &at(90.0), day(2026, 3, 1)).status,
            Status::Late
        );
    }

    #[test]
    fn the_next_target_is_the_first_not_yet_past() {
        let targets = [
            Point {
                date: day(2026, 6, 30),
                value: 50.0,
            },
            Point {
                date: day(2026, 12, 31),
                value: 80.0,
            },
        ];
        assert_eq!(next_target(&targets, day(2026, 3, 1)).unwrap().value, 50.0);
        assert_eq!(next_target(&targets, day(2026, 7, 1)).unwrap().value, 80.0);
        assert_eq!(next_target(&targets, day(2027, 2, 1)).unwrap().value, 80.0);
        assert_eq!(next_target(&[], day(2027, 2, 1)), None);
    }

    #[test]
    fn degenerate_specs_do_not_panic() {
        let same = spec(Trend::Increase, 8.0, 8.0);
        let point = vec![Point {
            date: day(2026, 1, 1),
            value: 8.5,
        }];
        assert_eq!(
            assess(&same, &point, day(2026, 1, 1)).status,
            Status::OnTrack
        );
        let mut same_dates = spec(Trend::Increase, 0.0, 10.0);
        same_dates.targets[0].date = same_dates.baseline.date;
        // The target is due at once: 85 % of the way is to watch.
        assert_eq!(
            assess(&same_dates, &point, day(2026, 1, 1)).status,
            Status::Watch
        );
        let mut no_target = spec(Trend::Increase, 0.0, 10.0);
        no_target.targets.clear();
        assert_eq!(
            assess(&no_target, &point, day(2026, 1, 1)).status,
            Status::Watch
        );
    }

    proptest! {
        #[test]
        fn progress_rises_with_the_value_when_up_is_better(baseline in -1e6f64..1e6, gap in 1e-3f64..1e6, a in -1e7f64..1e7, b in -1e7f64..1e7) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            let target = baseline + gap;
            prop_assert!(progress(baseline, target, low).unwrap() <= progress(baseline, target, high).unwrap());
        }

        #[test]
        fn progress_rises_as_the_value_falls_when_down_is_better(baseline in -1e6f64..1e6, gap in 1e-3f64..1e6, a in -1e7f64..1e7, b in -1e7f64..1e7) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            let target = baseline - gap;
            prop_assert!(progress(baseline, target, low).unwrap() >= progress(baseline, target, high).unwrap());
        }

        #[test]
        fn assessing_never_panics(
            trend in 0usize..3, baseline in -1e9f64..1e9, target in -1e9f64..1e9, value in -1e9f64..1e9,
            base_day in 0i64..3000, target_day in 0i64..3000, value_day in 0i64..3000, today_day in 0i64..4000,
            low in -1e9f64..1e9, high in -1e9f64..1e9,
        ) {
            let origin = day(2020, 1, 1);
            let spec = Spec {
                trend: Trend::ALL[trend],
                range: Some((low, high)),
                baseline: Point { date: origin + Duration::days(base_day), value: baseline },
                targets: vec![Point { date: origin + Duration::days(target_day), value: target }],
                frequency: Frequency::Monthly,
            };
            let a = assess(&spec, &[Point { date: origin + Duration::days(value_day), value }], origin + Duration::days(today_day));
            prop_assert!(!a.reason.is_empty());
            prop_assert!(a.progress.is_none_or(f64::is_finite));
        }

        #[test]
        fn expected_progress_stays_between_zero_and_one(a in 0i64..5000, b in 0i64..5000, c in 0i64..5000) {
            let origin = day(2020, 1, 1);
            let e = expected(origin + Duration::days(a), origin + Duration::days(b), origin + Duration::days(c));
            prop_assert!((0.0..=1.0).contains(&e));
        }

        #[test]
        fn french_numbers_round_trip(value in -1e9f64..1e9) {
            let rounded = (value * 100.0).round() / 100.0;
            let shown = filters::number(rounded, 2);
            prop_assert!((parse_number(&shown).unwrap() - rounded).abs() < 1e-6);
        }
    }
}
