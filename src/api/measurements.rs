//! Measurements pushed by data pipelines: a batch of up to 1,000 for one indicator, idempotent
//! per (indicator, date). Written through the same unit of work as the pages (audit trail,
//! health refresh), in one transaction: all or nothing.

use std::collections::HashSet;

use axum::{Json as JsonBody, extract::State};
use chrono::NaiveDate;

use super::{
    keys::Caller,
    model::{BatchOutcome, MeasurementBatch, MeasurementInput},
    problem::{ApiResult, InvalidField, Json, Problem},
};
use crate::{
    audit::{Action, Entity, FieldChange, model::subject},
    indicators::{
        db,
        model::{Point, format_value},
    },
    products::edit::Change,
    state::AppState,
    web::{Path, extract::is_allowed_char, filters, filters::today, form::year_in_range},
};

pub const BATCH_MAX: usize = 1000;
const COMMENT_MAX: usize = 500;

/// The batch's measurements, checked: each refused one named by its JSON pointer.
fn check(
    batch: MeasurementBatch,
    today: NaiveDate,
) -> Result<Vec<(Point, String)>, Vec<InvalidField>> {
    let mut errors = Vec::new();
    let count = batch.measurements.len();
    if count == 0 || count > BATCH_MAX {
        errors.push(InvalidField::new(
            "/measurements",
            format!("Envoyez de 1 à {BATCH_MAX} mesures par appel ({count} reçues)."),
        ));
    }
    let mut seen = HashSet::new();
    let mut points = Vec::with_capacity(count);
    for (
        n,
        MeasurementInput {
            date,
            value,
            comment,
        },
    ) in batch.measurements.into_iter().enumerate()
    {
        let at = |field: &str| format!("/measurements/{n}/{field}");
        if !year_in_range(date) {
            errors.push(InvalidField::new(
                at("date"),
                "L’année doit être comprise entre 1900 et 2200.",
            ));
        } else if date > today {
            errors.push(InvalidField::new(
                at("date"),
                "Une mesure ne peut pas être datée après aujourd’hui.",
            ));
        } else if !seen.insert(date) {
            errors.push(InvalidField::new(
                at("date"),
                "Cette date figure déjà plus haut dans le lot : une seule valeur par date.",
            ));
        }
        if !value.is_finite() || value.abs() > 1e15 {
            errors.push(InvalidField::new(
                at("value"),
                "La valeur doit être un nombre fini (au plus 10^15 en valeur absolue).",
            ));
        }
        let comment = comment.trim().to_owned();
        if comment.chars().count() > COMMENT_MAX {
            errors.push(InvalidField::new(
                at("comment"),
                format!("Le commentaire ne doit pas dépasser {COMMENT_MAX} caractères."),
            ));
        } else if !comment.chars().all(is_allowed_char) {
            errors.push(InvalidField::new(
                at("comment"),
                "Le commentaire contient des caractères non permis (caractères de contrôle).",
            ));
        }
        points.push((Point { date, value }, comment));
    }
    if errors.is_empty() {
        // In date order, as the upsert answers: each answer pairs with its measurement.
        points.sort_by_key(|(point, _)| point.date);
        Ok(points)
    } else {
        Err(errors)
    }
}

/// Adds the measurements of an indicator, or replaces the value of dates already measured.
/// Sending the same batch again changes nothing (and writes nothing to the audit trail).
#[utoipa::path(
    post,
    path = "/indicateurs/{id}/mesures",
    tag = "Indicateurs",
    params(("id" = Uuid, Path, description = "L’identifiant de l’indicateur (voir /produits/{slug}/indicateurs)")),
    request_body(content = MeasurementBatch, content_type = "application/json"),
    responses(
        (status = 200, description = "Ce que le lot a changé", body = BatchOutcome),
        (status = 400, description = "JSON mal formé", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Clé en lecture seule, ou d’un autre produit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Indicateur inconnu", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Corps de plus de 1 Mio", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Corps qui n’est pas du JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Mesures invalides, chacune désignée par son pointeur JSON", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<JsonBody<BatchOutcome>> {
    let (id, product, name, unit) = super::read::indicator_of(&state, &caller, &id).await?;
    caller.writes(product)?;
    let batch = read_batch(body).map_err(Problem::invalid)?;
    let points = check(batch, today()).map_err(Problem::invalid)?;
    let mut change = Change::begin(&state.db, product, caller.actor.clone()).await?;
    let stored = db::upsert_measurements(change.tx(), id, &points).await?;
    let mut outcome = BatchOutcome {
        added: 0,
        replaced: 0,
        unchanged: 0,
    };
    let mut changes = vec![subject("Indicateur", &name)];
    for (s, (point, comment)) in stored.iter().zip(&points) {
        match (s.changed, s.inserted) {
            (false, _) => outcome.unchanged += 1,
            (true, true) => outcome.added += 1,
            (true, false) => outcome.replaced += 1,
        }
        if s.changed {
            let before = s
                .before
                .as_ref()
                .map(|(v, c)| describe(*v, c, &unit))
                .unwrap_or_default();
            changes.push(FieldChange {
                field: format!("measurement-{}", s.date),
                label: format!("Mesure du {}", filters::date_short(s.date)),
                before,
                after: describe(point.value, comment, &unit),
            });
        }
    }
    if outcome.added + outcome.replaced == 0 {
        // Nothing changed: nothing to record, the health stays as it is.
        return Ok(JsonBody(outcome));
    }
    change
        .record(Entity::Measurement, id, Action::MeasurementsApi, &changes)
        .await?;
    change.commit().await?;
    Ok(JsonBody(outcome))
}

/// The body as a batch, each measurement read on its own: every one that does not read is named.
fn read_batch(body: serde_json::Value) -> Result<MeasurementBatch, Vec<InvalidField>> {
    let shape = || {
        vec![InvalidField::new(
            "",
            "Envoyez un objet de la forme {\"measurements\": [{\"date\": \"AAAA-MM-JJ\", \"value\": 12}]}.",
        )]
    };
    let serde_json::Value::Object(mut fields) = body else {
        return Err(shape());
    };
    let mut errors: Vec<InvalidField> = fields
        .keys()
        .filter(|k| *k != "measurements")
        .map(|k| {
            InvalidField::new(
                format!("/{k}"),
                "Valeur refusée : champ inconnu : retirez-le.",
            )
        })
        .collect();
    let items = match fields.remove("measurements") {
        Some(serde_json::Value::Array(items)) => items,
        Some(_) => {
            errors.push(InvalidField::new(
                "/measurements",
                "Valeur refusée : une liste est attendue.",
            ));
            return Err(errors);
        }
        None => return Err(shape()),
    };
    let mut measurements = Vec::with_capacity(items.len());
    for (n, value) in items.into_iter().enumerate() {
        match super::problem::item::<MeasurementInput>(value, &format!("/measurements/{n}")) {
            Ok(measurement) => measurements.push(measurement),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(MeasurementBatch { measurements })
    } else {
        Err(errors)
    }
}

fn describe(value: f64, comment: &str, unit: &str) -> String {
    let value = format_value(value, unit);
    if comment.is_empty() {
        value
    } else {
        format!("{value} ({comment})")
    }
}
