//! Line charts drawn on the server as SVG coordinates: the measurements, the baseline, the
//! targets and the expected trajectory. The template draws them; the page repeats the data in
//! a table.

use chrono::{Datelike, NaiveDate};

use crate::web::filters;

use super::model::{Point, Trend, format_value};

pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

pub struct Tick {
    pub position: f64,
    pub label: String,
}

pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

pub struct Chart {
    /// `x,y x,y …` of the measurements.
    pub line: String,
    pub dots: Vec<Dot>,
    /// The straight line from the baseline through each target.
    pub trajectory: String,
    pub targets: Vec<Dot>,
    pub baseline: Dot,
    /// The acceptable band of a range indicator: (y of the top, height).
    pub band: Option<(f64, f64)>,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub title: String,
    /// The trend in words, for screen readers.
    pub description: String,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_bottom: f64,
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

pub struct ChartInput<'a> {
    pub name: &'a str,
    pub unit: &'a str,
    pub trend: Trend,
    pub range: Option<(f64, f64)>,
    pub baseline: Point,
    pub targets: &'a [Point],
    pub measurements: &'a [Point],
}

pub fn chart(input: &ChartInput<'_>) -> Chart {
    let mut dates: Vec<NaiveDate> = vec![input.baseline.date];
    dates.extend(input.targets.iter().map(|t| t.date));
    dates.extend(input.measurements.iter().map(|m| m.date));
    let (first, last) = (
        dates.iter().min().copied().unwrap_or(input.baseline.date),
        dates.iter().max().copied().unwrap_or(input.baseline.date),
    );
    let span_days = (last - first).num_days().max(1) as f64;

    let mut values: Vec<f64> = vec![input.baseline.value];
    values.extend(input.targets.iter().map(|t| t.value));
    values.extend(input.measurements.iter().map(|m| m.value));
    if let Some((l, h)) = input.range {
        values.extend([l, h]);
    }
    let (mut low, mut high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    if !low.is_finite() || !high.is_finite() {
        (low, high) = (0.0, 1.0);
    }
    if (high - low).abs() < f64::EPSILON {
        (low, high) = (low - 1.0, high + 1.0);
    }
    let pad = (high - low) * 0.1;
    let (low, high) = (low - pad, high + pad);

    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let x = |d: NaiveDate| round(LEFT + (d - first).num_days() as f64 / span_days * plot_width);
    let y = |v: f64| round(TOP + (high - v) / (high - low) * plot_height);
    let dot = |p: &Point| Dot {
        x: x(p.date),
        y: y(p.value),
        label: format!(
            "{} : {}",
            filters::date_short(p.date),
            format_value(p.value, input.unit)
        ),
    };

    let line = input
        .measurements
        .iter()
        .map(|m| format!("{},{}", x(m.date), y(m.value)))
        .collect::<Vec<_>>()
        .join(" ");
    let mut trajectory = vec![format!(
        "{},{}",
        x(input.baseline.date),
        y(input.baseline.value)
    )];
    if input.trend != Trend::Range {
        trajectory.extend(
            input
                .targets
                .iter()
                .map(|t| format!("{},{}", x(t.date), y(t.value))),
        );
    }

    let y_ticks = (0..=4)
        .map(|i| {
            let v = low + (high - low) * f64::from(i) / 4.0;
            Tick {
                position: y(v),
                label: format_value((v * 100.0).round() / 100.0, ""),
            }
        })
        .collect();
    // One tick per month, or per quarter / year when the span is long.
    let months =
        ((last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32).max(0);
    let step = if months <= 12 {
        1
    } else if months <= 36 {
        3
    } else {
        12
    };
    let mut x_ticks = Vec::new();
    let mut cursor = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).unwrap_or(first);
    while cursor <= last {
        if cursor >= first {
            x_ticks.push(Tick {
                position: x(cursor),
                label: cursor.format("%m/%Y").to_string(),
            });
        }
        cursor = cursor
            .checked_add_months(chrono::Months::new(step))
            .unwrap_or(NaiveDate::MAX);
    }

    let description = describe(input);
    Chart {
        line,
        dots: input.measurements.iter().map(dot).collect(),
        trajectory: trajectory.join(" "),
        targets: if input.trend == Trend::Range {
            Vec::new()
        } else {
            input.targets.iter().map(dot).collect()
        },
        baseline: dot(&input.baseline),
        band: input.range.map(|(l, h)| (y(h), round(y(l) - y(h)))),
        x_ticks,
        y_ticks,
        title: format!("Évolution de l’indicateur « {} »", input.name),
        description,
        plot_left: LEFT,
        plot_right: WIDTH - RIGHT,
        plot_bottom: HEIGHT - BOTTOM,
    }
}

/// The trend in one or two sentences.
fn describe(input: &ChartInput<'_>) -> String {
    let unit = input.unit;
    let mut text = format!(
        "Valeur de référence {} au {}.",
        format_value(input.baseline.value, unit),
        filters::date_short(input.baseline.date)
    );
    match (input.measurements.first(), input.measurements.last()) {
        (Some(first), Some(last)) if input.measurements.len() > 1 => {
            let way = if last.value > first.value {
                "en hausse"
            } else if last.value < first.value {
                "en baisse"
            } else {
                "stable"
            };
            text.push_str(&format!(
                " {} mesures, {way} : de {} le {} à {} le {}.",
                input.measurements.len(),
                format_value(first.value, unit),
                filters::date_short(first.date),
                format_value(last.value, unit),
                filters::date_short(last.date)
            ));
        }
        (Some(only), _) => text.push_str(&format!(
            " Une seule mesure : {} le {}.",
            format_value(only.value, unit),
            filters::date_short(only.date)
        )),
        _ => text.push_str(" Aucune mesure pour l’instant."),
    }
    if let Some(target) = input.targets.last().filter(|_| input.trend != Trend::Range) {
        text.push_str(&format!(
            " Cible : {} au {}.",
            format_value(target.value, unit),
            filters::date_short(target.date)
        ));
    }
    if let Some((l, h)) = input.range {
        text.push_str(&format!(
            " Plage attendue : de {} à {}.",
            format_value(l, unit),
            format_value(h, unit)
        ));
    }
    text
}

/// A sparkline's points in a `width` × `height` box.
pub fn sparkline(measurements: &[Point], width: f64, height: f64) -> String {
    if measurements.len() < 2 {
        return String::new();
    }
    let (first, last) = (
        measurements[0].date,
        measurements[measurements.len() - 1].date,
    );
    let span = (last - first).num_days().max(1) as f64;
    let (low, high) = measurements
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), m| {
            (l.min(m.value), h.max(m.value))
        });
    let range = if (high - low).abs() < f64::EPSILON {
        1.0
    } else {
        high - low
    };
    measurements
        .iter()
        .map(|m| {
            let x = round((m.date - first).num_days() as f64 / span * (width - 4.0) + 2.0);
            let y = round(height - 2.0 - (m.value - low) / range * (height - 4.0));
            format!("{x},{y}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn points_fall_inside_the_plot_and_the_description_tells_the_trend() {
        let measurements = [
            Point {
                date: day(2026, 2, 1),
                value: 6.5,
            },
            Point {
                date: day(2026, 6, 1),
                value: 7.4,
            },
        ];
        let targets = [Point {
            date: day(2026, 12, 31),
            value: 8.0,
        }];
        let c = chart(&ChartInput {
            name: "Satisfaction",
            unit: "note /10",
            trend: Trend::Increase,
            range: None,
            baseline: Point {
                date: day(2026, 1, 1),
                value: 6.0,
            },
            targets: &targets,
            measurements: &measurements,
        });
        assert_eq!(c.dots.len(), 2);
        for d in c.dots.iter().chain(&c.targets) {
            assert!(
                (LEFT..=WIDTH - RIGHT).contains(&d.x) && (TOP..=HEIGHT - BOTTOM).contains(&d.y)
            );
        }
        assert!(c.dots[1].y < c.dots[0].y, "a higher value is drawn higher");
        assert_eq!(
            c.description,
            "Valeur de référence 6/10 au 01/01/2026. 2 mesures, en hausse : de 6,5/10 le 01/02/2026 à 7,4/10 le 01/06/2026. Cible : 8/10 au 31/12/2026."
        );
        assert_eq!(c.x_ticks.first().unwrap().label, "01/2026");
        assert_eq!(c.dots[0].label, "01/02/2026 : 6,5/10");
    }

    #[test]
    fn a_flat_or_empty_series_still_draws() {
        let c = chart(&ChartInput {
            name: "x",
            unit: "",
            trend: Trend::Range,
            range: None,
            baseline: Point {
                date: day(2026, 1, 1),
                value: 5.0,
            },
            targets: &[],
            measurements: &[],
        });
        assert!(c.line.is_empty() && c.y_ticks.len() == 5);
        assert_eq!(
            sparkline(
                &[Point {
                    date: day(2026, 1, 1),
                    value: 1.0
                }],
                100.0,
                24.0
            ),
            ""
        );
        let flat = [
            Point {
                date: day(2026, 1, 1),
                value: 1.0,
            },
            Point {
                date: day(2026, 1, 1),
                value: 1.0,
            },
        ];
        assert!(!sparkline(&flat, 100.0, 24.0).contains("NaN"));
    }
}
