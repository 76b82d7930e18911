//! French formatting of dates and numbers for the view models.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `31/12/2026`
pub fn date_short(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// `1er mars 2026`, `31 décembre 2026`
pub fn date_long(date: NaiveDate) -> String {
    let day = if date.day() == 1 {
        "1er".to_owned()
    } else {
        date.day().to_string()
    };
    let month = MONTHS
        .get(date.month0() as usize)
        .copied()
        .unwrap_or_default();
    format!("{day} {month} {}", date.year())
}

/// `31/12/2026 à 14:05` (UTC until the user's time zone is configurable)
pub fn datetime_short(at: DateTime<Utc>) -> String {
    at.format("%d/%m/%Y à %H:%M").to_string()
}

/// `1 234,5`: French grouping with a narrow no-break space and a decimal comma.
pub fn number(value: f64, decimals: usize) -> String {
    let formatted = format!("{:.*}", decimals, value.abs());
    let (int_part, frac_part) = formatted.split_once('.').unwrap_or((&formatted, ""));
    let mut grouped = String::new();
    for (i, digit) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 && formatted.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac_part.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac_part}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_the_french_way() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(date_short(d), "01/03/2026");
        assert_eq!(date_long(d), "1er mars 2026");
        assert_eq!(
            date_long(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            "31 décembre 2026"
        );
    }

    #[test]
    fn numbers_use_spaces_and_a_decimal_comma() {
        assert_eq!(number(1234.5, 1), "1\u{202f}234,5");
        assert_eq!(number(1234567.0, 0), "1\u{202f}234\u{202f}567");
        assert_eq!(number(-12.25, 2), "-12,25");
        assert_eq!(number(-0.001, 1), "0,0");
        assert_eq!(number(999.0, 0), "999");
    }
}
