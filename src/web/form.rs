//! Small pieces shared by the forms of every domain.

use chrono::{Datelike, NaiveDate};

use super::FieldErrors;

/// Dates people type are between these years: enough for any product's history and plans,
/// and far from what PostgreSQL or a chart could mishandle (year 0, 9999…).
pub const YEAR_MIN: i32 = 1900;
pub const YEAR_MAX: i32 = 2200;

pub const YEAR_RANGE_MESSAGE: &str = "l’année doit être comprise entre 1900 et 2200";

/// Why a date was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum DateError {
    /// Not a date in either format (`2026-02-30`, `demain`).
    Invalid,
    /// A real date, outside the years 1900–2200.
    OutOfRange,
}

pub fn year_in_range(date: NaiveDate) -> bool {
    (YEAR_MIN..=YEAR_MAX).contains(&date.year())
}

/// A date from a date input (`2026-11-30`) or typed by hand (`30/11/2026`), years 1900–2200.
pub fn calendar_date(raw: &str) -> Result<NaiveDate, DateError> {
    let raw = raw.trim();
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map_err(|_| DateError::Invalid)?;
    if year_in_range(date) {
        Ok(date)
    } else {
        Err(DateError::OutOfRange)
    }
}

/// A date typed by hand (`31/12/2026`) or by a date input (`2026-12-31`); `what` names the
/// field in the messages ("la date de la mesure").
pub fn parse_date(raw: &str, what: &str) -> Result<NaiveDate, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(format!("Saisissez {what}."));
    }
    let what = capitalised(what);
    calendar_date(raw).map_err(|error| match error {
        DateError::Invalid => format!(
            "{what} : « {raw} » n’est pas une date valide ; écrivez-la au format JJ/MM/AAAA."
        ),
        DateError::OutOfRange => {
            format!("{what} : « {raw} » : {}.", YEAR_RANGE_MESSAGE)
        }
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A text field, trimmed: `required` is the message when it is empty, and over `max`
/// characters the message says how many were typed.
pub fn text(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    max: usize,
    required: Option<&str>,
) -> String {
    let value = raw.trim().to_owned();
    if let (true, Some(message)) = (value.is_empty(), required) {
        errors.insert(field, message.into());
    } else if value.chars().count() > max {
        errors.insert(
            field,
            format!(
                "{max} caractères au plus ({} saisis).",
                value.chars().count()
            ),
        );
    }
    value
}

/// The value a form sends when the user confirms its warnings (the `confirmer` checkbox).
pub const CONFIRMED: &str = "oui";

/// Input that is valid but unusual (a measurement older than the baseline, a planned initiative
/// that should have started): the save waits until the user confirms it, and nothing is lost
/// meanwhile. Shown by the `warnings` and `confirm_warnings` macros, each linking to its field.
#[derive(Debug, Clone, Default)]
pub struct Warnings(Vec<(&'static str, String)>);

impl Warnings {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the save must stop and ask: there are warnings the form did not confirm.
    pub fn unconfirmed(&self, confirmed: &str) -> bool {
        !self.0.is_empty() && confirmed.trim() != CONFIRMED
    }
}

impl<'a> IntoIterator for &'a Warnings {
    type Item = &'a (&'static str, String);
    type IntoIter = std::slice::Iter<'a, (&'static str, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_both_formats_within_the_years_allowed() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(calendar_date("2026-11-30"), Ok(day));
        assert_eq!(calendar_date(" 30/11/2026 "), Ok(day));
        assert_eq!(calendar_date("2026-02-30"), Err(DateError::Invalid));
        assert_eq!(calendar_date("0000-00-00"), Err(DateError::Invalid));
        assert_eq!(calendar_date("-0001-01-01"), Err(DateError::OutOfRange));
        assert_eq!(calendar_date("9999-12-31"), Err(DateError::OutOfRange));
        assert_eq!(calendar_date("1899-12-31"), Err(DateError::OutOfRange));
        assert_eq!(calendar_date("1900-01-01").map(|d| d.year()), Ok(1900));
        assert_eq!(calendar_date("2200-12-31").map(|d| d.year()), Ok(2200));
        assert_eq!(calendar_date(""), Err(DateError::Invalid));
    }
}
