//! The objective, indicator and measurement forms: strings as typed, parsed into valid values
//! or French messages per field.

use crate::web::form::{parse_date, text};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::Field,
    web::{FieldErrors, filters, form::Warnings},
};

use super::{
    db::{Indicator, IndicatorInput, Objective},
    model::{Frequency, Kind, Point, Source, Trend, format_value, parse_number},
};

pub const NAME_MAX: usize = 120;
pub const TEXT_MAX: usize = 2000;
pub const COMMENT_MAX: usize = 500;
/// Target rows offered by the form.
pub const TARGET_ROWS: usize = 3;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ObjectiveForm {
    pub title: String,
    pub description: String,
}

impl ObjectiveForm {
    pub fn parse(&self) -> Result<(String, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = text(
            &mut errors,
            "title",
            &self.title,
            NAME_MAX,
            Some(
                "Formulez l’objectif : une ambition qualitative, par exemple « réduire le délai de traitement des dossiers ».",
            ),
        );
        let description = text(
            &mut errors,
            "description",
            &self.description,
            TEXT_MAX,
            None,
        );
        if errors.is_empty() {
            Ok((title, description))
        } else {
            Err(errors)
        }
    }
}

/// The indicator form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct IndicatorForm {
    pub name: String,
    pub kind: String,
    pub objective_id: String,
    pub unit: String,
    pub direction: String,
    pub range_low: String,
    pub range_high: String,
    pub baseline_value: String,
    pub baseline_date: String,
    pub target_value: Vec<String>,
    pub target_date: Vec<String>,
    pub frequency: String,
    pub source: String,
    pub owner: String,
    pub description: String,
    pub version: String,
}

fn number_text(value: f64) -> String {
    filters::number(value, if value.fract() == 0.0 { 0 } else { 2 }).replace('\u{202f}', "")
}

impl IndicatorForm {
    pub fn from_indicator(i: &Indicator) -> Self {
        Self {
            name: i.name.clone(),
            kind: i.kind.code().into(),
            objective_id: i.objective_id.map(|id| id.to_string()).unwrap_or_default(),
            unit: i.unit.clone(),
            direction: i.trend.code().into(),
            range_low: i.range.map(|r| number_text(r.0)).unwrap_or_default(),
            range_high: i.range.map(|r| number_text(r.1)).unwrap_or_default(),
            baseline_value: number_text(i.baseline.value),
            baseline_date: i.baseline.date.to_string(),
            target_value: i.targets.iter().map(|t| number_text(t.value)).collect(),
            target_date: i.targets.iter().map(|t| t.date.to_string()).collect(),
            frequency: i.frequency.code().into(),
            source: i.source.code().into(),
            owner: i.owner.clone(),
            description: i.description.clone(),
            version: i.version.to_string(),
        }
    }

    /// (value, date) of each target row, padded to at least `TARGET_ROWS` rows, plus one empty row.
    pub fn target_rows(&self) -> Vec<(String, String)> {
        let filled = self.target_value.len().max(self.target_date.len());
        let rows = filled.max(TARGET_ROWS - 1) + 1;
        (0..rows)
            .map(|i| {
                (
                    self.target_value.get(i).cloned().unwrap_or_default(),
                    self.target_date.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }

    pub fn parse(&self, objectives: &[Objective]) -> Result<IndicatorInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = text(
            &mut errors,
            "name",
            &self.name,
            NAME_MAX,
            Some(
                "Nommez l’indicateur : ce qu’il mesure, par exemple « délai médian de traitement ».",
            ),
        );
        let kind = Kind::parse(&self.kind);
        if kind.is_none() {
            errors.insert(
                "kind",
                "Choisissez le type d’indicateur : succès, impact ou direction.".into(),
            );
        }
        let objective_id = match self.objective_id.trim() {
            "" => None,
            raw => {
                let id = Uuid::parse_str(raw)
                    .ok()
                    .filter(|id| objectives.iter().any(|o| o.id == *id));
                if id.is_none() {
                    errors.insert(
                        "objective_id",
                        "Choisissez un objectif de ce produit, ou aucun.".into(),
                    );
                }
                id
            }
        };
        let unit = text(
            &mut errors,
            "unit",
            &self.unit,
            30,
            Some("Indiquez l’unité : %, nombre, jours, €…"),
        );
        let trend = Trend::parse(&self.direction);
        if trend.is_none() {
            errors.insert(
                "direction",
                "Choisissez le sens souhaité : hausse, baisse ou stabilité dans une plage.".into(),
            );
        }
        let mut number = |field: &'static str, raw: &str| match parse_number(raw) {
            Ok(v) => Some(v),
            Err(message) => {
                errors.insert(field, message);
                None
            }
        };
        let baseline_value = number("baseline_value", &self.baseline_value);
        let range = if trend == Some(Trend::Range) {
            let low = number("range_low", &self.range_low);
            let high = number("range_high", &self.range_high);
            match (low, high) {
                (Some(l), Some(h)) if l < h => Some((l, h)),
                (Some(_), Some(_)) => {
                    errors.insert(
                        "range_high",
                        "La borne haute doit être supérieure à la borne basse.".into(),
                    );
                    None
                }
                _ => None,
            }
        } else {
            None
        };
        let baseline_date =
            match parse_date(&self.baseline_date, "la date de la valeur de référence") {
                Ok(d) => Some(d),
                Err(message) => {
                    errors.insert("baseline_date", message);
                    None
                }
            };
        let mut targets = Vec::new();
        for (index, (raw_value, raw_date)) in self.target_rows().iter().enumerate() {
            if raw_value.trim().is_empty() && raw_date.trim().is_empty() {
                continue;
            }
            let (value_field, date_field) = TARGET_FIELDS[index.min(TARGET_FIELDS.len() - 1)];
            let value = match parse_number(raw_value) {
                Ok(v) => Some(v),
                Err(message) => {
                    errors.insert(value_field, message);
                    None
                }
            };
            let date = match parse_date(raw_date, "la date de la cible") {
                Ok(d) => Some(d),
                Err(message) => {
                    errors.insert(date_field, message);
                    None
                }
            };
            if let (Some(value), Some(date)) = (value, date) {
                if baseline_date.is_some_and(|b| date <= b) {
                    errors.insert(
                        date_field,
                        "La date de la cible doit suivre la date de la valeur de référence.".into(),
                    );
                } else if targets.iter().any(|t: &Point| t.date == date) {
                    errors.insert(
                        date_field,
                        "Deux cibles ne peuvent pas avoir la même date.".into(),
                    );
                } else if let (Some(base), Some(trend)) = (baseline_value, trend) {
                    match trend {
                        Trend::Increase if value <= base => {
                            errors.insert(value_field, "Pour un indicateur en hausse, la cible doit dépasser la valeur de référence.".into());
                        }
                        Trend::Decrease if value >= base => {
                            errors.insert(value_field, "Pour un indicateur en baisse, la cible doit être inférieure à la valeur de référence.".into());
                        }
                        _ => targets.push(Point { date, value }),
                    }
                }
            }
        }
        targets.sort_by_key(|t| t.date);
        if targets.is_empty()
            && trend.is_some_and(|t| t != Trend::Range)
            && !errors.keys().any(|k| k.starts_with("target"))
        {
            errors.insert("target_value_1", "Fixez au moins une cible datée : sans cible, impossible de dire si l’indicateur progresse.".into());
        }
        let frequency = Frequency::parse(&self.frequency);
        if frequency.is_none() {
            errors.insert("frequency", "Choisissez la fréquence de mesure.".into());
        }
        let source = Source::parse(&self.source);
        if source.is_none() {
            errors.insert("source", "Choisissez la source des données.".into());
        }
        let owner = text(&mut errors, "owner", &self.owner, NAME_MAX, None);
        let description = text(
            &mut errors,
            "description",
            &self.description,
            TEXT_MAX,
            None,
        );
        match (
            kind,
            trend,
            baseline_value,
            baseline_date,
            frequency,
            source,
            errors.is_empty(),
        ) {
            (
                Some(kind),
                Some(trend),
                Some(value),
                Some(date),
                Some(frequency),
                Some(source),
                true,
            ) => Ok(IndicatorInput {
                objective_id,
                name,
                kind,
                unit,
                trend,
                range,
                baseline: Point { date, value },
                targets,
                frequency,
                source,
                owner,
                description,
            }),
            _ => Err(errors),
        }
    }
}

/// Field ids of the target rows, for messages next to each.
pub const TARGET_FIELDS: [(&str, &str); 4] = [
    ("target_value_1", "target_date_1"),
    ("target_value_2", "target_date_2"),
    ("target_value_3", "target_date_3"),
    ("target_value_4", "target_date_4"),
];

impl IndicatorInput {
    /// The fields as users read them (audit trail, conflict page).
    pub fn fields(&self, objectives: &[Objective]) -> Vec<Field> {
        let objective = self
            .objective_id
            .and_then(|id| objectives.iter().find(|o| o.id == id))
            .map(|o| o.title.clone())
            .unwrap_or_default();
        let targets = self
            .targets
            .iter()
            .map(|t| {
                format!(
                    "{} au {}",
                    format_value(t.value, &self.unit),
                    filters::date_short(t.date)
                )
            })
            .collect::<Vec<_>>()
            .join(" ; ");
        let range = self
            .range
            .map(|(l, h)| {
                format!(
                    "{} à {}",
                    format_value(l, &self.unit),
                    format_value(h, &self.unit)
                )
            })
            .unwrap_or_default();
        vec![
            Field::new("name", "Nom", &self.name),
            Field::new("kind", "Type", self.kind.label()),
            Field::new("objective", "Objectif mesuré", objective),
            Field::new("unit", "Unité", &self.unit),
            Field::new("direction", "Sens souhaité", self.trend.label()),
            Field::new("range", "Plage attendue", range),
            Field::new(
                "baseline",
                "Valeur de référence",
                format!(
                    "{} au {}",
                    format_value(self.baseline.value, &self.unit),
                    filters::date_short(self.baseline.date)
                ),
            ),
            Field::new("targets", "Cibles", targets),
            Field::new("frequency", "Fréquence de mesure", self.frequency.label()),
            Field::new("source", "Source des données", self.source.label()),
            Field::new("owner", "Responsable", &self.owner),
            Field::new(
                "description",
                "Description et mode de calcul",
                &self.description,
            ),
        ]
    }
}

/// A measurement as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct MeasurementForm {
    pub date: String,
    pub value: String,
    pub comment: String,
    /// Set when the user confirmed replacing the value of an existing date.
    pub replace: String,
    /// Set when the user confirmed the warnings (`web::form::CONFIRMED`).
    pub confirmer: String,
}

impl MeasurementForm {
    /// What is valid but unusual about this measurement of an indicator with this baseline.
    pub fn warnings(date: NaiveDate, baseline: NaiveDate) -> Warnings {
        let mut warnings = Warnings::default();
        if date < baseline {
            warnings.add(
                "date",
                format!(
                    "La date de la mesure ({}) précède la date de référence de l’indicateur ({}) : est-ce la bonne date ?",
                    filters::date_short(date),
                    filters::date_short(baseline)
                ),
            );
        }
        warnings
    }

    pub fn parse(&self, today: NaiveDate) -> Result<(Point, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let date = match parse_date(&self.date, "la date de la mesure") {
            Ok(d) if d > today => {
                errors.insert(
                    "date",
                    "Une mesure ne peut pas être datée dans le futur.".into(),
                );
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                errors.insert("date", message);
                None
            }
        };
        let value = match parse_number(&self.value) {
            Ok(v) => Some(v),
            Err(message) => {
                errors.insert("value", message);
                None
            }
        };
        let comment = text(&mut errors, "comment", &self.comment, COMMENT_MAX, None);
        match (date, value, errors.is_empty()) {
            (Some(date), Some(value), true) => Ok((Point { date, value }, comment)),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> IndicatorForm {
        IndicatorForm {
            name: "Satisfaction".into(),
            kind: "succes".into(),
            unit: "note /10".into(),
            direction: "hausse".into(),
            baseline_value: "6,5".into(),
            baseline_date: "01/01/2026".into(),
            target_value: vec!["8".into()],
            target_date: vec!["31/12/2026".into()],
            frequency: "mensuelle".into(),
            source: "jdma".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_indicator_form_parses() {
        let input = form().parse(&[]).unwrap();
        assert_eq!(input.baseline.value, 6.5);
        assert_eq!(
            input.targets,
            [Point {
                date: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                value: 8.0
            }]
        );
    }

    #[test]
    fn bad_dates_numbers_and_targets_are_explained() {
        let mut bad = form();
        bad.baseline_value = "1e999".into();
        bad.baseline_date = "31/02/2026".into();
        bad.target_date = vec!["2025-06-01".into()];
        let errors = bad.parse(&[]).unwrap_err();
        assert!(errors["baseline_value"].contains("n’est pas un nombre"));
        assert!(errors["baseline_date"].contains("31/02/2026"));

        let mut before = form();
        before.target_date = vec!["2025-06-01".into()];
        assert!(before.parse(&[]).unwrap_err()["target_date_1"].contains("doit suivre"));
        let mut equal = form();
        equal.target_value = vec!["6,5".into()];
        assert!(equal.parse(&[]).unwrap_err()["target_value_1"].contains("doit dépasser"));
        let mut none = form();
        none.target_value.clear();
        none.target_date.clear();
        assert!(none.parse(&[]).unwrap_err().contains_key("target_value_1"));
        let mut forged = form();
        forged.objective_id = Uuid::new_v4().to_string();
        assert!(forged.parse(&[]).unwrap_err().contains_key("objective_id"));
    }

    #[test]
    fn a_range_indicator_needs_an_ordered_range_and_no_target() {
        let mut range = form();
        range.direction = "plage".into();
        range.target_value.clear();
        range.target_date.clear();
        range.range_low = "99".into();
        range.range_high = "95".into();
        assert!(range.parse(&[]).unwrap_err().contains_key("range_high"));
        range.range_low = "95".into();
        range.range_high = "100".into();
        assert_eq!(range.parse(&[]).unwrap().range, Some((95.0, 100.0)));
    }

    #[test]
    fn a_measurement_needs_a_past_date_and_a_number() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let ok = MeasurementForm {
            date: "15/11/2026".into(),
            value: "1 234,5".into(),
            ..Default::default()
        };
        assert_eq!(ok.parse(today).unwrap().0.value, 1234.5);
        let bad = MeasurementForm {
            date: "2026-12-01".into(),
            value: "NaN".into(),
            ..Default::default()
        };
        let errors = bad.parse(today).unwrap_err();
        assert!(errors.contains_key("date") && errors.contains_key("value"));
    }
}
