//! The dashboard's table as the exports hold it: the columns shown, and each health cell in
//! words that a committee reads without opening the product (the late indicators named with
//! their reason, the RACI activities with their problem, the vision's missing elements).

use std::collections::HashMap;

use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};
use sqlx::PgPool;

use super::{
    lists::{self, Item, Value},
    model::{Column, Row},
};
use crate::{
    error::{AppError, AppResult},
    web::{csv::CsvWriter, filters},
};

/// Each product's items of a list, keyed by the product's page.
fn by_product(items: Vec<Item>) -> HashMap<String, Vec<Item>> {
    let mut map: HashMap<String, Vec<Item>> = HashMap::new();
    for item in items {
        if let Some(Value::Link { url, .. }) = item.cells.first() {
            map.entry(url.clone()).or_default().push(item);
        }
    }
    map
}

fn cell_text(item: &Item, column: usize) -> String {
    item.cells.get(column).map(Value::text).unwrap_or_default()
}

/// "En retard : Délai de traitement (42 j, cible 30 j) ; En bonne voie : Satisfaction".
fn indicators_words(items: &[Item]) -> String {
    let mut items: Vec<&Item> = items.iter().collect();
    items.sort_by_key(|i| match i.cells.get(2) {
        Some(Value::Status { rank, .. }) => -rank,
        _ => 0,
    });
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for item in items {
        let (status, detail) = match item.cells.get(2) {
            Some(Value::Status { text, detail, .. }) => (text.clone(), detail.clone()),
            _ => continue,
        };
        let name = cell_text(item, 1);
        let detail = detail.trim_end_matches('.');
        let named = if detail.is_empty() {
            name
        } else {
            format!("{name} ({detail})")
        };
        match groups.last_mut() {
            Some((last, names)) if *last == status => names.push(named),
            _ => groups.push((status, vec![named])),
        }
    }
    groups
        .into_iter()
        .map(|(status, names)| format!("{status} : {}", names.join(", ")))
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// "Mise en production : aucun A ; Recette : aucun R".
fn raci_words(items: &[Item]) -> String {
    items
        .iter()
        .map(|i| {
            let problem = cell_text(i, 2);
            let mut chars = problem.chars();
            let problem: String = match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            };
            format!("{} : {problem}", cell_text(i, 1))
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// The header and the rows of the dashboard's export for `rows` (already filtered and sorted).
pub async fn table(
    db: &PgPool,
    rows: &[Row],
    columns: &[Column],
    today: NaiveDate,
) -> AppResult<(Vec<&'static str>, Vec<Vec<Value>>)> {
    let refs: Vec<&Row> = rows.iter().collect();
    let indicators = if columns.contains(&Column::Indicators) {
        by_product(lists::indicators::items(db, &refs, today).await?)
    } else {
        HashMap::new()
    };
    let raci = if columns.contains(&Column::Raci) {
        by_product(lists::raci::items(db, &refs).await?)
    } else {
        HashMap::new()
    };
    let visions = if columns.contains(&Column::Vision) {
        by_product(lists::visions::items(db, &refs).await?)
    } else {
        HashMap::new()
    };
    let lines = rows
        .iter()
        .map(|row| {
            let page = format!("/produits/{}", row.slug);
            columns
                .iter()
                .map(|column| {
                    let Some(health) = column.health(row, today) else {
                        return match column {
                            Column::DaysInPhase => {
                                let days = row.days_in_phase(today);
                                Value::Number {
                                    value: Some(days as f64),
                                    text: days.to_string(),
                                }
                            }
                            Column::Updated => {
                                Value::Date(Some(filters::paris_day(row.updated_at)))
                            }
                            other => Value::Text(other.text(row, today)),
                        };
                    };
                    let items = |map: &HashMap<String, Vec<Item>>| {
                        map.get(&page)
                            .map(Vec::as_slice)
                            .unwrap_or_default()
                            .to_vec()
                    };
                    let words = match column {
                        Column::Indicators if row.indicators.total() > 0 => {
                            indicators_words(&items(&indicators))
                        }
                        Column::Raci if row.raci_problems.is_some_and(|n| n > 0) => {
                            format!("{} : {}", health.word, raci_words(&items(&raci)))
                        }
                        Column::Vision => {
                            let missing = items(&visions)
                                .first()
                                .map(|i| cell_text(i, 2))
                                .filter(|m| m != "Aucun")
                                .map(|m| format!(" ; manquent : {m}"))
                                .unwrap_or_default();
                            format!("{}{missing}", health.text())
                        }
                        _ => health.text(),
                    };
                    Value::Status {
                        text: words,
                        kind: health.kind,
                        rank: 0,
                        detail: String::new(),
                    }
                })
                .collect()
        })
        .collect();
    Ok((columns.iter().map(|c| c.label()).collect(), lines))
}

/// The CSV download of a table: dates as ISO 8601, which every spreadsheet reads as a date.
pub fn csv(headers: &[&str], rows: &[Vec<Value>], filename: &str) -> AppResult<Response> {
    let mut writer = CsvWriter::new();
    writer.row(headers)?;
    for row in rows {
        writer.row(row.iter().map(|c| match c {
            Value::Date(date) => date.map(|d| d.to_string()).unwrap_or_default(),
            other => other.text(),
        }))?;
    }
    writer.into_download(filename)
}

/// Excel's longest text in a cell.
const XLSX_MAX_TEXT: usize = 32_767;

/// The text and background of a status cell, from the DSFR's colours.
fn status_colours(kind: &str) -> (u32, u32) {
    match kind {
        "success" => (0x18753C, 0xDFFEE6),
        "warning" => (0xB34000, 0xFFF4F3),
        "error" => (0xCE0500, 0xFEF4F4),
        "info" => (0x0063CB, 0xE8EDFF),
        _ => (0x3A3A3A, 0xFFFFFF),
    }
}

/// The XLSX download of a table: one sheet named `sheet`, its header row bold and frozen with
/// filters, columns as wide as their content (within reason), dates as dates, numbers as
/// numbers, statuses coloured.
pub fn xlsx(
    headers: &[&str],
    rows: &[Vec<Value>],
    sheet: &str,
    filename: &str,
) -> AppResult<Response> {
    let bytes = xlsx_bytes(headers, rows, sheet)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn xlsx_bytes(headers: &[&str], rows: &[Vec<Value>], name: &str) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    let bold = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xE3E3FD))
        .set_border_bottom(FormatBorder::Thin);
    let date = Format::new()
        .set_num_format("dd/mm/yyyy")
        .set_align(FormatAlign::Left);
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *header, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (col, cell) in row.iter().enumerate() {
            let c = col as u16;
            let shown = match cell {
                Value::Date(Some(day)) => {
                    let when = ExcelDateTime::from_ymd(
                        u16::try_from(day.year()).unwrap_or(1900),
                        day.month() as u8,
                        day.day() as u8,
                    );
                    match when {
                        Ok(when) => {
                            sheet.write_datetime_with_format(r, c, &when, &date)?;
                        }
                        // Before 1900, which Excel cannot hold as a date: as text.
                        Err(_) => {
                            sheet.write_string(r, c, day.to_string())?;
                        }
                    }
                    10
                }
                Value::Number {
                    value: Some(n),
                    text,
                } if n.is_finite() => {
                    sheet.write_number(r, c, *n)?;
                    text.chars().count()
                }
                Value::Status { kind, .. } => {
                    let text = truncated(cell.text());
                    let (ink, paper) = status_colours(kind);
                    let format = Format::new()
                        .set_font_color(Color::RGB(ink))
                        .set_background_color(Color::RGB(paper));
                    sheet.write_string_with_format(r, c, &text, &format)?;
                    text.chars().count()
                }
                other => {
                    let text = truncated(other.text());
                    sheet.write_string(r, c, &text)?;
                    text.chars().count()
                }
            };
            if let Some(width) = widths.get_mut(col) {
                *width = (*width).max(shown);
            }
        }
    }
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, (*width).clamp(8, 60) as f64 + 2.0)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(
        0,
        0,
        rows.len() as u32,
        headers.len().saturating_sub(1) as u16,
    )?;
    workbook.save_to_buffer()
}

fn truncated(text: String) -> String {
    if text.chars().count() <= XLSX_MAX_TEXT {
        text
    } else {
        text.chars().take(XLSX_MAX_TEXT - 1).chain(['…']).collect()
    }
}
