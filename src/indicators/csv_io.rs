//! CSV import and export of measurements: `indicateur;date;valeur;commentaire`, UTF-8 with or
//! without BOM, `;` or `,` separated, any line endings. What the export writes, the import reads.

use std::collections::HashSet;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::{
    error::AppResult,
    web::{csv::CsvWriter, filters, form::parse_date},
};

use super::{
    db::Indicator,
    model::{Point, parse_number},
};

pub const HEADER: [&str; 4] = ["indicateur", "date", "valeur", "commentaire"];

/// One data line of the file, as written (line numbers count the header as line 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvLine {
    pub line: usize,
    pub indicator: String,
    pub date: String,
    pub value: String,
    pub comment: String,
}

fn normalise(header: &str) -> String {
    crate::products::model::slugify(header.trim())
}

/// Reads the file; a file without the expected columns is refused as a whole.
pub fn read(content: &str) -> Result<Vec<CsvLine>, String> {
    let content = content.trim_start_matches('\u{feff}');
    let first_line = content.lines().next().unwrap_or_default();
    if first_line.trim().is_empty() {
        return Err("Le fichier est vide.".into());
    }
    let separator = if first_line.matches(';').count() >= first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(content.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| "La première ligne du fichier est illisible.".to_owned())?
        .iter()
        .map(normalise)
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(indicator), Some(date), Some(value)) =
        (column("indicateur"), column("date"), column("valeur"))
    else {
        return Err(format!(
            "Colonnes attendues : {} (la dernière est facultative). Colonnes trouvées : {}.",
            HEADER.join(" ; "),
            headers.join(" ; ")
        ));
    };
    let comment = column("commentaire");
    let mut lines = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|_| {
            format!(
                "La ligne {} est illisible (guillemets mal fermés ?).",
                index + 2
            )
        })?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |i: Option<usize>| {
            crate::web::csv::unneutralise(i.and_then(|i| record.get(i)).unwrap_or_default())
                .to_owned()
        };
        lines.push(CsvLine {
            line: index + 2,
            indicator: get(Some(indicator)),
            date: get(Some(date)),
            value: get(Some(value)),
            comment: get(comment),
        });
    }
    Ok(lines)
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    New,
    Replaces(f64),
    Error(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub source: CsvLine,
    pub outcome: Outcome,
    pub indicator_id: Option<Uuid>,
    pub point: Option<Point>,
    pub comment: String,
}

/// What importing each line would do. `only` restricts the import to one indicator.
pub fn plan(
    lines: Vec<CsvLine>,
    indicators: &[Indicator],
    only: Option<Uuid>,
    today: NaiveDate,
) -> Vec<Planned> {
    let mut seen: HashSet<(Uuid, NaiveDate)> = HashSet::new();
    lines
        .into_iter()
        .map(|source| {
            let error = |message: String, source: CsvLine| Planned { source, outcome: Outcome::Error(message), indicator_id: None, point: None, comment: String::new() };
            let fields = [&source.indicator, &source.date, &source.value, &source.comment];
            if fields.iter().any(|f| !f.chars().all(crate::web::extract::is_allowed_char)) {
                return error("Cette ligne contient des caractères de contrôle (invisibles) : retirez-les du fichier.".into(), source);
            }
            let wanted = source.indicator.trim().to_lowercase();
            let Some(indicator) = indicators.iter().find(|i| i.name.to_lowercase() == wanted) else {
                let message = if wanted.is_empty() { "Indicateur manquant.".to_owned() } else { format!("Aucun indicateur « {} » dans ce produit.", source.indicator.trim()) };
                return error(message, source);
            };
            if only.is_some_and(|id| id != indicator.id) {
                return error("Cette ligne concerne un autre indicateur que celui de l’import.".into(), source);
            }
            let date = match parse_date(&source.date, "la date") {
                Ok(d) if d > today => return error("Date dans le futur.".into(), source),
                Ok(d) => d,
                Err(message) => return error(message, source),
            };
            let value = match parse_number(&source.value) {
                Ok(v) => v,
                Err(message) => return error(message, source),
            };
            if source.comment.chars().count() > super::form::COMMENT_MAX {
                return error(format!("Commentaire trop long ({} caractères au plus).", super::form::COMMENT_MAX), source);
            }
            if !seen.insert((indicator.id, date)) {
                return error("Une autre ligne du fichier donne déjà une valeur pour cet indicateur à cette date.".into(), source);
            }
            let outcome = match indicator.measurements.iter().find(|m| m.date == date) {
                Some(existing) => Outcome::Replaces(existing.value),
                None => Outcome::New,
            };
            let comment = source.comment.trim().to_owned();
            Planned { source, outcome, indicator_id: Some(indicator.id), point: Some(Point { date, value }), comment }
        })
        .collect()
}

/// A number for the CSV: decimal comma, no grouping, so that spreadsheets and the import agree.
fn csv_number(value: f64) -> String {
    let text = format!("{value}");
    text.replace('.', ",")
}

/// The measurements of these indicators, in the import's format (with a BOM for spreadsheets).
pub fn export(indicators: &[Indicator]) -> AppResult<Vec<u8>> {
    let mut writer = CsvWriter::new();
    writer.row(HEADER)?;
    for indicator in indicators {
        for m in &indicator.measurements {
            writer.row([
                indicator.name.as_str(),
                &filters::date_short(m.date),
                &csv_number(m.value),
                &m.comment,
            ])?;
        }
    }
    writer.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::{
        db::Measurement,
        model::{Frequency, Kind, Source, Trend},
    };

    fn indicator(name: &str, measurements: &[(NaiveDate, f64)]) -> Indicator {
        Indicator {
            id: Uuid::new_v4(),
            objective_id: None,
            name: name.into(),
            kind: Kind::Success,
            unit: "%".into(),
            trend: Trend::Increase,
            range: None,
            baseline: Point {
                date: day(2025, 1, 1),
                value: 0.0,
            },
            frequency: Frequency::Monthly,
            source: Source::Manual,
            owner: String::new(),
            description: String::new(),
            version: 1,
            targets: vec![],
            measurements: measurements
                .iter()
                .map(|(d, v)| Measurement {
                    id: Uuid::new_v4(),
                    date: *d,
                    value: *v,
                    comment: "a; b \"c\"".into(),
                })
                .collect(),
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn separators_bom_and_line_endings_are_all_read() {
        let expected = vec![CsvLine {
            line: 2,
            indicator: "Satisfaction".into(),
            date: "31/01/2026".into(),
            value: "7,5".into(),
            comment: "ok".into(),
        }];
        for content in [
            "indicateur;date;valeur;commentaire\nSatisfaction;31/01/2026;7,5;ok\n",
            "\u{feff}Indicateur;Date;Valeur;Commentaire\r\nSatisfaction;31/01/2026;7,5;ok\r\n",
            "indicateur,date,valeur,commentaire\r\nSatisfaction,31/01/2026,\"7,5\",ok",
        ] {
            assert_eq!(read(content).unwrap(), expected, "{content:?}");
        }
        assert!(
            read("nom;jour;chiffre\nx;y;z")
                .unwrap_err()
                .starts_with("Colonnes attendues")
        );
        assert!(read("").is_err());
    }

    #[test]
    fn the_plan_says_what_each_line_would_do() {
        let satisfaction = indicator("Satisfaction", &[(day(2026, 1, 31), 7.0)]);
        let lines = read(
            "indicateur;date;valeur;commentaire\n\
             satisfaction;31/01/2026;7,5;\n\
             Satisfaction;28/02/2026;1 234,5;\n\
             Satisfaction;28/02/2026;8;doublon\n\
             Inconnu;28/02/2026;8;\n\
             Satisfaction;31/02/2026;8;\n\
             Satisfaction;31/03/2026;1e999;\n\
             Satisfaction;01/01/2099;8;",
        )
        .unwrap();
        let plan = plan(lines, &[satisfaction], None, day(2026, 11, 30));
        assert_eq!(plan[0].outcome, Outcome::Replaces(7.0));
        assert_eq!(plan[1].outcome, Outcome::New);
        assert_eq!(plan[1].point.unwrap().value, 1234.5);
        for (i, fragment) in [
            (2, "déjà une valeur"),
            (3, "Aucun indicateur « Inconnu »"),
            (4, "31/02/2026"),
            (5, "pas un nombre"),
            (6, "futur"),
        ] {
            match &plan[i].outcome {
                Outcome::Error(message) => {
                    assert!(message.contains(fragment), "line {i}: {message}")
                }
                other => panic!("line {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn export_then_import_round_trips() {
        let original = indicator(
            "Taux; « spécial »",
            &[(day(2026, 1, 31), 1234.5), (day(2026, 2, 28), -0.25)],
        );
        let bytes = export(std::slice::from_ref(&original)).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        let mut target = original.clone();
        target.measurements.clear();
        let plan = plan(read(&text).unwrap(), &[target], None, day(2026, 11, 30));
        let points: Vec<Point> = plan.iter().map(|p| p.point.unwrap()).collect();
        assert_eq!(points, original.points());
        assert!(
            plan.iter()
                .all(|p| p.outcome == Outcome::New && p.comment == "a; b \"c\"")
        );
    }
}
