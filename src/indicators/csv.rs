//! Measurements as CSV: export per product or indicator, the example file, and the import in two
//! steps (preview, then confirm).

use axum::{
    extract::{Multipart, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::{Action, Entity, FieldChange},
    error::{AppError, AppResult},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{Flash, Form, Path, Query, csv::CsvWriter},
};

use super::indicator::indicator;
use super::{
    csv_io::{self, Outcome},
    db::{self, Indicator},
    model::format_value,
    views::*,
};
use crate::web::filters::today;

pub async fn export_product(
    State(state): State<AppState>,
    sheet: ProductSheet,
) -> AppResult<Response> {
    let indicators = db::indicators(&state.db, sheet.product.id, None).await?;
    let bytes = csv_io::export(&indicators)?;
    Ok(crate::web::csv::download(
        bytes,
        &format!(
            "mesures-{}-{}.csv",
            sheet.product.input.slug,
            today().format("%Y-%m-%d")
        ),
    ))
}

pub async fn export_indicator(
    State(state): State<AppState>,
    sheet: ProductSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    let i = indicator(&state, &sheet, id).await?;
    let bytes = csv_io::export(std::slice::from_ref(&i))?;
    let slug = crate::products::model::slugify(&i.name);
    Ok(crate::web::csv::download(
        bytes,
        &format!("mesures-{slug}-{}.csv", today().format("%Y-%m-%d")),
    ))
}

pub async fn example(State(state): State<AppState>, sheet: ProductSheet) -> AppResult<Response> {
    let indicators = db::indicators(&state.db, sheet.product.id, None).await?;
    let name = indicators
        .first()
        .map(|i| i.name.clone())
        .unwrap_or_else(|| "Satisfaction des utilisateurs".into());
    let mut writer = CsvWriter::new();
    writer.row(csv_io::HEADER)?;
    writer.row([
        name.as_str(),
        "31/01/2026",
        "7,4",
        "Enquête JDMA de janvier",
    ])?;
    writer.row([name.as_str(), "28/02/2026", "7,6", ""])?;
    let bytes = writer.into_bytes()?;
    Ok(crate::web::csv::download(bytes, "exemple-mesures.csv"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ImportQuery {
    indicateur: String,
}

async fn only(
    state: &AppState,
    sheet: &ProductSheet,
    query: &ImportQuery,
) -> AppResult<Option<Indicator>> {
    match query.indicateur.trim() {
        "" => Ok(None),
        raw => {
            let id = Uuid::parse_str(raw).map_err(|_| AppError::NotFound)?;
            Ok(Some(indicator(state, sheet, id).await?))
        }
    }
}

async fn import_page(
    state: &AppState,
    sheet: ProductSheet,
    only: Option<&Indicator>,
    error: Option<String>,
) -> AppResult<ImportPage> {
    let names_list = db::indicators(&state.db, sheet.product.id, None)
        .await?
        .into_iter()
        .map(|i| i.name)
        .collect();
    let (slug, name) = sheet.names();
    Ok(ImportPage {
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        only: only.map(|i| (i.id.to_string(), i.name.clone())),
        error,
        indicator_names: names_list,
    })
}

pub async fn import_form(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Query(query): Query<ImportQuery>,
) -> AppResult<impl IntoResponse> {
    let only = only(&state, &sheet, &query).await?;
    import_page(&state, sheet, only.as_ref(), None).await
}

/// Reads the uploaded file. A body over the limit is refused with the 413 page (before we get
/// here when the browser announced its size, while reading otherwise).
async fn uploaded(mut multipart: Multipart) -> AppResult<Result<Option<String>, String>> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest("Le fichier n’a pas pu être lu.".into())
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() == Some("fichier") {
            // A browser sends the field with no file name when no file was chosen.
            let chosen = field.file_name().is_some_and(|name| !name.is_empty());
            let bytes = field.bytes().await.map_err(unreadable)?;
            if bytes.is_empty() {
                return Ok(if chosen {
                    Err("Le fichier est vide.".into())
                } else {
                    Ok(None)
                });
            }
            return Ok(String::from_utf8(bytes.to_vec())
                .map(Some)
                .map_err(|_| "Le fichier n’est pas encodé en UTF-8 : enregistrez-le en « CSV UTF-8 » depuis votre tableur.".into()));
        }
    }
    Ok(Ok(None))
}

pub async fn import_preview(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Query(query): Query<ImportQuery>,
    multipart: Multipart,
) -> AppResult<Response> {
    let only = only(&state, &sheet, &query).await?;
    let content = match uploaded(multipart).await? {
        Ok(Some(content)) => content,
        Ok(None) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                import_page(
                    &state,
                    sheet,
                    only.as_ref(),
                    Some("Choisissez un fichier CSV.".into()),
                )
                .await?,
            );
        }
        Err(message) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                import_page(&state, sheet, only.as_ref(), Some(message)).await?,
            );
        }
    };
    let lines = match csv_io::read(&content) {
        Ok(lines) if !lines.is_empty() => lines,
        Ok(_) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                import_page(
                    &state,
                    sheet,
                    only.as_ref(),
                    Some("Le fichier ne contient aucune ligne de mesure.".into()),
                )
                .await?,
            );
        }
        Err(message) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                import_page(&state, sheet, only.as_ref(), Some(message)).await?,
            );
        }
    };
    let indicators = db::indicators(&state.db, sheet.product.id, None).await?;
    let planned = csv_io::plan(lines, &indicators, only.as_ref().map(|i| i.id), today());
    let count = |f: fn(&Outcome) -> bool| planned.iter().filter(|p| f(&p.outcome)).count();
    let (slug, name) = sheet.names();
    let page = PreviewPage {
        new_count: count(|o| matches!(o, Outcome::New)),
        replace_count: count(|o| matches!(o, Outcome::Replaces(_))),
        error_count: count(|o| matches!(o, Outcome::Error(_))),
        lines: planned
            .iter()
            .map(|p| {
                let unit = p
                    .indicator_id
                    .and_then(|id| indicators.iter().find(|i| i.id == id))
                    .map(|i| i.unit.as_str())
                    .unwrap_or("");
                let (outcome, message) = match &p.outcome {
                    Outcome::New => ("new", String::new()),
                    Outcome::Replaces(old) => (
                        "replace",
                        format!("la valeur actuelle {}", format_value(*old, unit)),
                    ),
                    Outcome::Error(message) => ("error", message.clone()),
                };
                PreviewLine {
                    line: p.source.line,
                    indicator: p.source.indicator.clone(),
                    date: p.source.date.clone(),
                    value: p.source.value.clone(),
                    comment: p.source.comment.clone(),
                    outcome,
                    message,
                }
            })
            .collect(),
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        only: only.map(|i| (i.id.to_string(), i.name)),
        content,
    };
    render(StatusCode::OK, page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    content: String,
}

/// Imports the valid lines, all in one transaction: if any fails, none is saved.
pub async fn import_commit(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Query(query): Query<ImportQuery>,
    Form(form): Form<ConfirmForm>,
) -> AppResult<Response> {
    let only = only(&state, &sheet, &query).await?;
    let lines = csv_io::read(&form.content).map_err(AppError::BadRequest)?;
    let indicators = db::indicators(&state.db, sheet.product.id, None).await?;
    let planned = csv_io::plan(lines, &indicators, only.as_ref().map(|i| i.id), today());
    let mut edit = sheet.begin(&state).await?;
    let mut count = 0;
    for p in &planned {
        if let (Some(id), Some(point), false) = (
            p.indicator_id,
            p.point,
            matches!(p.outcome, Outcome::Error(_)),
        ) {
            db::upsert_measurement(edit.tx(), id, point, &p.comment).await?;
            count += 1;
        }
    }
    if count == 0 {
        drop(edit);
        sheet
            .flash(Flash::error("Aucune ligne valide : rien n’a été importé."))
            .await?;
        return Ok(Redirect::to(&sheet.url("/indicateurs/import")).into_response());
    }
    let changes = [FieldChange {
        field: "count".into(),
        label: "Mesures importées".into(),
        before: String::new(),
        after: count.to_string(),
    }];
    edit.record(
        Entity::Measurement,
        sheet.product.id,
        Action::MeasurementsImport,
        &changes,
    )
    .await?;
    let back = match only {
        Some(i) => format!("/indicateurs/{}", i.id),
        None => "/indicateurs".into(),
    };
    edit.finish(
        Flash::success(format!("{count} mesure(s) importée(s).")),
        &back,
    )
    .await
}
