//! An indicator's measurements: added, corrected, deleted.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::{
    audit::{Action, Entity, FieldChange, model::subject},
    error::{AppError, AppResult, ResultExt},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{FieldErrors, Flash, Form, Path, filters, form::Warnings},
};

use super::indicator::{indicator, indicator_page};
use super::{
    db::{self, Indicator},
    form::MeasurementForm,
    model::format_value,
    views::*,
};
use crate::web::filters::today;

fn measurement_changes(
    name: &str,
    unit: &str,
    date: NaiveDate,
    before: Option<(f64, &str)>,
    after: Option<(f64, &str)>,
) -> Vec<FieldChange> {
    let value = |v: Option<(f64, &str)>| v.map(|(v, _)| format_value(v, unit)).unwrap_or_default();
    let comment = |v: Option<(f64, &str)>| v.map(|(_, c)| c.to_owned()).unwrap_or_default();
    vec![
        subject("Indicateur", name),
        FieldChange {
            field: "date".into(),
            label: "Date".into(),
            before: String::new(),
            after: filters::date_short(date),
        },
        FieldChange {
            field: "value".into(),
            label: "Valeur".into(),
            before: value(before),
            after: value(after),
        },
        FieldChange {
            field: "comment".into(),
            label: "Commentaire".into(),
            before: comment(before),
            after: comment(after),
        },
    ]
}

pub async fn add_measurement(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<MeasurementForm>,
) -> AppResult<Response> {
    let i = indicator(&state, &sheet, id).await?;
    let (point, comment) = match form.parse(today()) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                indicator_page(&state, sheet, i, form, errors, None).await?,
            );
        }
    };
    let warnings = MeasurementForm::warnings(point.date, i.baseline.date);
    if warnings.unconfirmed(&form.confirmer) {
        let mut page = indicator_page(&state, sheet, i, form, FieldErrors::new(), None).await?;
        page.warnings = warnings;
        return render(StatusCode::UNPROCESSABLE_ENTITY, page);
    }
    let existing = i.measurements.iter().find(|m| m.date == point.date);
    if let (Some(existing), false) = (existing, form.replace == "oui") {
        // One value per date: ask before replacing.
        let replace = Replace {
            date: filters::date_short(point.date),
            existing: format_value(existing.value, &i.unit),
        };
        return render(
            StatusCode::CONFLICT,
            indicator_page(&state, sheet, i, form, FieldErrors::new(), Some(replace)).await?,
        );
    }
    let mut edit = sheet.begin(&state).await?;
    let previous = db::upsert_measurement(edit.tx(), id, point, &comment).await?;
    let action = if previous.is_some() {
        Action::MeasurementUpdate
    } else {
        Action::MeasurementAdd
    };
    let changes = measurement_changes(
        &i.name,
        &i.unit,
        point.date,
        previous.as_ref().map(|(v, c)| (*v, c.as_str())),
        Some((point.value, &comment)),
    );
    edit.record(Entity::Measurement, id, action, &changes)
        .await?;
    edit.finish(
        Flash::success(format!(
            "Mesure du {} enregistrée.",
            filters::date_short(point.date)
        )),
        &format!("/indicateurs/{id}"),
    )
    .await
}

async fn measurement(
    state: &AppState,
    sheet: &ProductSheet,
    id: Uuid,
    mid: Uuid,
) -> AppResult<(Indicator, db::Measurement)> {
    let i = indicator(state, sheet, id).await?;
    let m = i
        .measurements
        .iter()
        .find(|m| m.id == mid)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((i, m))
}

fn measurement_page(
    sheet: ProductSheet,
    i: &Indicator,
    mid: Uuid,
    form: MeasurementForm,
    errors: FieldErrors,
) -> MeasurementFormPage {
    let (slug, name) = sheet.names();
    MeasurementFormPage {
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        indicator_id: i.id.to_string(),
        indicator: i.name.clone(),
        id: mid.to_string(),
        form,
        errors,
        warnings: Warnings::default(),
        today: today().to_string(),
    }
}

pub async fn measurement_form(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, mid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (i, m) = measurement(&state, &sheet, id, mid).await?;
    let form = MeasurementForm {
        date: m.date.to_string(),
        value: format_value(m.value, ""),
        comment: m.comment.clone(),
        ..Default::default()
    };
    Ok(measurement_page(sheet, &i, mid, form, FieldErrors::new()))
}

pub async fn update_measurement(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, mid)): Path<(String, Uuid, Uuid)>,
    Form(form): Form<MeasurementForm>,
) -> AppResult<Response> {
    let (i, m) = measurement(&state, &sheet, id, mid).await?;
    let (point, comment) = match form.parse(today()) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                measurement_page(sheet, &i, mid, form, errors),
            );
        }
    };
    let warnings = MeasurementForm::warnings(point.date, i.baseline.date);
    if warnings.unconfirmed(&form.confirmer) {
        let mut page = measurement_page(sheet, &i, mid, form, FieldErrors::new());
        page.warnings = warnings;
        return render(StatusCode::UNPROCESSABLE_ENTITY, page);
    }
    let mut edit = sheet.begin(&state).await?;
    let updated = db::update_measurement(edit.tx(), id, mid, point, &comment)
        .await
        .unless_violates("measurements_one_per_date")?;
    if updated.is_none() {
        drop(edit);
        let mut errors = FieldErrors::new();
        errors.insert("date", "Une autre mesure existe déjà à cette date : modifiez-la plutôt, ou choisissez une autre date.".into());
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            measurement_page(sheet, &i, mid, form, errors),
        );
    }
    let changes = measurement_changes(
        &i.name,
        &i.unit,
        point.date,
        Some((m.value, &m.comment)),
        Some((point.value, &comment)),
    );
    edit.record(
        Entity::Measurement,
        mid,
        Action::MeasurementUpdate,
        &changes,
    )
    .await?;
    edit.finish(
        Flash::success("Mesure corrigée."),
        &format!("/indicateurs/{id}"),
    )
    .await
}

pub async fn confirm_delete_measurement(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, mid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (i, m) = measurement(&state, &sheet, id, mid).await?;
    sheet.confirm(
        "Supprimer une mesure",
        format!(
            "La mesure du {} ({}) de « {} » sera supprimée. La suppression est inscrite dans l’historique du produit.",
            filters::date_short(m.date),
            format_value(m.value, &i.unit),
            i.name
        ),
        &format!("/indicateurs/{id}/mesures/{mid}/supprimer"),
        &format!("/indicateurs/{id}"),
    )
}

pub async fn delete_measurement(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, mid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<Response> {
    let (i, m) = measurement(&state, &sheet, id, mid).await?;
    let mut edit = sheet.begin(&state).await?;
    db::delete_measurement(edit.tx(), id, mid).await?;
    let changes = measurement_changes(&i.name, &i.unit, m.date, Some((m.value, &m.comment)), None);
    let mut changes = changes;
    if let Some(date) = changes.get_mut(1) {
        // The date is the measurement's, not a change.
        (date.before, date.after) = (date.after.clone(), String::new());
    }
    edit.record(
        Entity::Measurement,
        mid,
        Action::MeasurementDelete,
        &changes,
    )
    .await?;
    edit.finish(
        Flash::success(format!(
            "Mesure du {} supprimée.",
            filters::date_short(m.date)
        )),
        &format!("/indicateurs/{id}"),
    )
    .await
}
