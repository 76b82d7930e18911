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

/// Orders names the French way: letters before their accents matter, case last
/// ("aide" < "Élections" < "Veille"), as PostgreSQL's `fr-x-icu` collation does in SQL.
pub fn french_order(a: &str, b: &str) -> std::cmp::Ordering {
    french_key(a).cmp(&french_key(b))
}

/// What [`french_order`] compares, computed once to sort many names: the folded text, then the
/// lower case, then the text itself with lower case first, as ICU does.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FrenchKey(String, String, std::cmp::Reverse<String>);

pub fn french_key(text: &str) -> FrenchKey {
    FrenchKey(
        fold(text),
        text.to_lowercase(),
        std::cmp::Reverse(text.to_owned()),
    )
}

/// Lower case without diacritics, ligatures spelled out: the primary collation key.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ÿ' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            // Punctuation and spaces sort before letters and digits, as in ICU.
            other if !other.is_alphanumeric() => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

/// Times are stored in UTC and shown in Paris time, daylight saving included.
pub fn paris(at: DateTime<Utc>) -> DateTime<chrono_tz::Tz> {
    at.with_timezone(&chrono_tz::Europe::Paris)
}

/// The Paris date of an instant: what "le 30/11/2026" means to a reader in France.
pub fn paris_day(at: DateTime<Utc>) -> NaiveDate {
    paris(at).date_naive()
}

/// Today, in Paris: the date statuses, calendars and "aujourd'hui" are computed for.
/// The instant a day starts in Paris (its first valid local time), in UTC.
pub fn paris_start(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    chrono_tz::Europe::Paris
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN)))
}

pub fn today() -> NaiveDate {
    paris_day(Utc::now())
}

/// `31/12/2026 à 14:05`, Paris time.
pub fn datetime_short(at: DateTime<Utc>) -> String {
    paris(at).format("%d/%m/%Y à %H:%M").to_string()
}

/// `2026-12-31T14:05:00+01:00`: ISO 8601 with the Paris offset, for exports.
pub fn datetime_iso(at: DateTime<Utc>) -> String {
    paris(at).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
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
    fn names_sort_the_french_way() {
        let mut names = vec![
            "Veille",
            "Élections",
            "aide",
            "Zèbre",
            "Aide",
            "œuvre",
            "Orange",
        ];
        names.sort_by(|a, b| french_order(a, b));
        assert_eq!(
            names,
            [
                "aide",
                "Aide",
                "Élections",
                "œuvre",
                "Orange",
                "Veille",
                "Zèbre"
            ]
        );
    }

    #[test]
    fn times_are_shown_in_paris_time_with_daylight_saving() {
        let winter = DateTime::parse_from_rfc3339("2026-11-30T20:40:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(datetime_short(winter), "30/11/2026 à 21:40");
        let summer = DateTime::parse_from_rfc3339("2026-07-14T22:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(datetime_short(summer), "15/07/2026 à 00:30");
        assert_eq!(
            paris_day(summer),
            NaiveDate::from_ymd_opt(2026, 7, 15).unwrap()
        );
        assert_eq!(datetime_iso(summer), "2026-07-15T00:30:00+02:00");
    }

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
