//! The one CSV writer of every export: semicolon-separated (what French spreadsheets expect),
//! UTF-8 with a byte-order mark, and cells that a spreadsheet would run as a formula turned
//! into text.

use std::borrow::Cow;

use axum::{
    http::header,
    response::{IntoResponse, Response},
};

use crate::error::{AppError, AppResult};

pub struct CsvWriter {
    inner: csv::Writer<Vec<u8>>,
}

impl Default for CsvWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvWriter {
    pub fn new() -> Self {
        Self {
            inner: csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(Vec::new()),
        }
    }

    /// Writes one line, each cell neutralised.
    pub fn row<I, S>(&mut self, cells: I) -> AppResult<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<Cow<'_, str>> = cells
            .into_iter()
            .map(|cell| Cow::Owned(neutralise(cell.as_ref()).into_owned()))
            .collect();
        self.inner
            .write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// The file's bytes, with the byte-order mark that makes spreadsheets read UTF-8.
    pub fn into_bytes(self) -> AppResult<Vec<u8>> {
        let body = self
            .inner
            .into_inner()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
        let mut bytes = "\u{feff}".as_bytes().to_vec();
        bytes.extend(body);
        Ok(bytes)
    }

    /// The file as a download named `filename`.
    pub fn into_download(self, filename: &str) -> AppResult<Response> {
        Ok(download(self.into_bytes()?, filename))
    }
}

/// CSV bytes as a download.
pub fn download(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A cell that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return) is prefixed
/// with an apostrophe so that spreadsheets show it as text; a number (`-12,5`) stays a number.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// What `neutralise` wrote, read back: an apostrophe before a formula-like start is dropped,
/// so that an export re-imports as it was.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

fn is_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    !digits.is_empty()
        && digits.chars().any(|c| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        && digits.chars().filter(|c| *c == ',' || *c == '.').count() <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_negative_numbers_stay_numbers() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("=1+cmd|' /C calc'!A0"), "'=1+cmd|' /C calc'!A0");
        assert_eq!(neutralise("+33 1 00"), "'+33 1 00");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("-"), "'-");
        assert_eq!(neutralise("-12,5"), "-12,5");
        assert_eq!(neutralise("-3"), "-3");
        assert_eq!(neutralise("Démarches"), "Démarches");
        assert_eq!(neutralise("12,5"), "12,5");
        for cell in ["=HYPERLINK(\"x\")", "-", "@a", "Démarches", "'quoted", "-3"] {
            assert_eq!(unneutralise(&neutralise(cell)), cell);
        }
    }

    #[test]
    fn the_file_starts_with_a_byte_order_mark_and_uses_semicolons() {
        let mut writer = CsvWriter::new();
        writer.row(["a", "=b"]).unwrap();
        let bytes = writer.into_bytes().unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), "\u{feff}a;'=b\n");
    }
}
