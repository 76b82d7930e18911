//! Indicators created and updated by the API, checked by the same rules as the indicator form
//! (the JSON is turned into the form's fields and parsed by it), written through the same unit
//! of work. Updates are versioned: `If-Match` with the indicator's `ETag` is required (428),
//! a version that is no longer the current one is refused (412), and a change that lands
//! between the check and the write is a conflict (409).

use axum::{
    Json as JsonBody,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    keys::Caller,
    model::Indicator,
    problem::{ApiResult, InvalidField, Json, Problem},
    read::product_row,
};
use crate::{
    audit::{self, Action, Entity, model::subject},
    error::ResultExt,
    indicators::{
        db,
        form::IndicatorForm,
        indicator::{NAME_KEY, NAME_TAKEN},
        model::{Frequency, Kind, Source, Trend},
    },
    products::edit::Change,
    state::AppState,
    web::{
        FieldErrors, Path, extract::is_allowed_char, filters::today, version::Stale,
        version::Version,
    },
};

/// An indicator as a program sends it, to create it or to replace its definition.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorWrite {
    /// Unique within the product, up to 120 characters.
    pub name: String,
    pub kind: Kind,
    /// One of the product's objectives (see `/produits/{slug}/indicateurs`).
    #[serde(default)]
    pub objective_id: Option<Uuid>,
    pub unit: String,
    pub trend: Trend,
    /// For `plage` only.
    #[serde(default)]
    pub range_low: Option<f64>,
    #[serde(default)]
    pub range_high: Option<f64>,
    pub baseline: PointWrite,
    /// At least one, except for `plage`.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub targets: Vec<PointWrite>,
    pub frequency: Frequency,
    pub source: Source,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointWrite {
    pub date: NaiveDate,
    pub value: f64,
}

/// Targets an indicator may have.
const TARGETS_MAX: usize = 20;

impl IndicatorWrite {
    /// What the form's fields cannot say: no control characters in a text (a page's form
    /// strips them), not more than `TARGETS_MAX` targets.
    fn check(&self) -> ApiResult<()> {
        let mut errors = Vec::new();
        for (field, text) in [
            ("/name", &self.name),
            ("/unit", &self.unit),
            ("/owner", &self.owner),
            ("/description", &self.description),
        ] {
            if !text.chars().all(is_allowed_char) {
                errors.push(InvalidField::new(
                    field,
                    "Ce texte contient des caractères non permis (caractères de contrôle).",
                ));
            }
        }
        if self.targets.len() > TARGETS_MAX {
            errors.push(InvalidField::new(
                "/targets",
                format!("{TARGETS_MAX} cibles au plus."),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::invalid(errors))
        }
    }

    /// The form's fields for this indicator, so that the form's rules check it.
    fn form(&self) -> IndicatorForm {
        IndicatorForm {
            name: self.name.clone(),
            kind: self.kind.code().into(),
            objective_id: self
                .objective_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            unit: self.unit.clone(),
            direction: self.trend.code().into(),
            range_low: self.range_low.map(|v| v.to_string()).unwrap_or_default(),
            range_high: self.range_high.map(|v| v.to_string()).unwrap_or_default(),
            baseline_value: self.baseline.value.to_string(),
            baseline_date: self.baseline.date.to_string(),
            target_value: self.targets.iter().map(|t| t.value.to_string()).collect(),
            target_date: self.targets.iter().map(|t| t.date.to_string()).collect(),
            frequency: self.frequency.code().into(),
            source: self.source.code().into(),
            owner: self.owner.clone(),
            description: self.description.clone(),
            version: String::new(),
        }
    }
}

/// The form's field errors as JSON pointers in the body.
fn pointers(errors: FieldErrors) -> Problem {
    Problem::invalid(
        errors
            .into_iter()
            .map(|(field, message)| {
                let pointer = match field {
                    "direction" => "/trend".to_owned(),
                    "baseline_value" => "/baseline/value".to_owned(),
                    "baseline_date" => "/baseline/date".to_owned(),
                    f if f.starts_with("target") => "/targets".to_owned(),
                    f => format!("/{f}"),
                };
                InvalidField::new(pointer, message)
            })
            .collect(),
    )
}

fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The indicator as the reads show it, with its version as `ETag`.
fn answer(status: StatusCode, indicator: &db::Indicator) -> Response {
    let mut response = (status, JsonBody(Indicator::of(indicator, today()))).into_response();
    response
        .headers_mut()
        .insert(header::ETAG, etag(indicator.version));
    response
}

/// The indicator `id` and its product, if the key may read it.
async fn find(state: &AppState, caller: &Caller, id: &str) -> ApiResult<(Uuid, db::Indicator)> {
    let (id, product, ..) = super::read::indicator_of(state, caller, id).await?;
    let indicator = db::indicators(&state.db, product, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(Problem::not_found)?;
    Ok((product, indicator))
}

/// One indicator, with its version in the `ETag` header (for `If-Match` on update).
#[utoipa::path(
    get,
    path = "/indicateurs/{id}",
    tag = "Indicateurs",
    params(("id" = Uuid, Path, description = "L’identifiant de l’indicateur")),
    responses(
        (status = 200, description = "L’indicateur ; sa version dans l’en-tête ETag", body = Indicator,
         headers(("ETag" = String, description = "La version de l’indicateur"))),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Indicateur inconnu, ou hors de la portée de la clé", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (_, indicator) = find(&state, &caller, &id).await?;
    Ok(answer(StatusCode::OK, &indicator))
}

/// Creates an indicator of the product.
#[utoipa::path(
    post,
    path = "/produits/{slug}/indicateurs",
    tag = "Indicateurs",
    params(("slug" = String, Path, description = "L’identifiant d’adresse du produit")),
    request_body(content = IndicatorWrite, content_type = "application/json"),
    responses(
        (status = 201, description = "L’indicateur créé ; sa version dans l’en-tête ETag", body = Indicator,
         headers(("ETag" = String, description = "La version de l’indicateur"))),
        (status = 400, description = "JSON mal formé", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Clé en lecture seule, ou d’un autre produit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Produit inconnu, ou hors de la portée de la clé", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Corps de plus de 1 Mio", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Corps qui n’est pas du JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Champs invalides, chacun désigné par son pointeur JSON", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    Json(body): Json<IndicatorWrite>,
) -> ApiResult<Response> {
    let row = product_row(&state, &caller, &slug).await?;
    caller.writes(row.id)?;
    body.check()?;
    let objectives = db::objectives(&state.db, row.id).await?;
    let input = body.form().parse(&objectives).map_err(pointers)?;
    let mut change = Change::begin(&state.db, row.id, caller.actor.clone()).await?;
    let id = db::insert_indicator(change.tx(), row.id, &input)
        .await
        .unless_violates(NAME_KEY)?
        .ok_or_else(name_taken)?;
    let mut changes = vec![subject("Indicateur", &input.name)];
    changes.extend(audit::model::created(&input.fields(&objectives)));
    change
        .record(Entity::Indicator, id, Action::IndicatorCreate, &changes)
        .await?;
    change.commit().await?;
    let (_, created) = find(&state, &caller, &id.to_string()).await?;
    let mut response = answer(StatusCode::CREATED, &created);
    if let Ok(location) = HeaderValue::from_str(&format!("{}/indicateurs/{id}", super::PREFIX)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn name_taken() -> Problem {
    Problem::invalid(vec![InvalidField::new("/name", NAME_TAKEN)])
}

/// Replaces an indicator's definition (its measurements stay): `If-Match` must carry the
/// `ETag` of the version the program read.
#[utoipa::path(
    put,
    path = "/indicateurs/{id}",
    tag = "Indicateurs",
    params(
        ("id" = Uuid, Path, description = "L’identifiant de l’indicateur"),
        ("If-Match" = String, Header, description = "L’ETag de la version lue (GET /indicateurs/{id})")
    ),
    request_body(content = IndicatorWrite, content_type = "application/json"),
    responses(
        (status = 200, description = "L’indicateur modifié ; sa nouvelle version dans l’en-tête ETag", body = Indicator,
         headers(("ETag" = String, description = "La version de l’indicateur"))),
        (status = 400, description = "JSON mal formé", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Clé manquante ou non valide", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Clé en lecture seule, ou d’un autre produit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Indicateur inconnu, ou hors de la portée de la clé", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Modifié par quelqu’un d’autre pendant l’enregistrement", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match ne désigne plus la version actuelle", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Corps de plus de 1 Mio", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Corps qui n’est pas du JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Champs invalides, chacun désigné par son pointeur JSON", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "En-tête If-Match manquant", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("cle" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<IndicatorWrite>,
) -> ApiResult<Response> {
    let (product, before) = find(&state, &caller, &id).await?;
    caller.writes(product)?;
    let Some(if_match) = headers.get(header::IF_MATCH) else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "Envoyez l’en-tête If-Match avec l’ETag de la version lue (GET /indicateurs/{id}), pour ne pas écraser la modification de quelqu’un d’autre.",
        ));
    };
    if if_match.as_bytes() != b"*" && if_match.as_bytes() != etag(before.version).as_bytes() {
        return Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "L’indicateur a changé depuis votre lecture : relisez-le (GET /indicateurs/{id}) et renvoyez vos modifications.",
        ));
    }
    body.check()?;
    let objectives = db::objectives(&state.db, product).await?;
    let input = body.form().parse(&objectives).map_err(pointers)?;
    let before_input = IndicatorForm::from_indicator(&before)
        .parse(&objectives)
        .map_err(pointers)?;
    let changes = audit::model::diff(
        &before_input.fields(&objectives),
        &input.fields(&objectives),
    );
    if changes.is_empty() {
        return Ok(answer(StatusCode::OK, &before));
    }
    let mut change = Change::begin(&state.db, product, caller.actor.clone()).await?;
    let saved = db::update_indicator(
        change.tx(),
        product,
        before.id,
        Version::new(before.version),
        &input,
    )
    .await
    .unless_violates(NAME_KEY)?
    .ok_or_else(name_taken)?;
    if let Err(Stale) = saved {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "Quelqu’un a modifié cet indicateur pendant votre envoi : relisez-le et renvoyez vos modifications.",
        ));
    }
    let mut recorded = vec![subject("Indicateur", &input.name)];
    recorded.extend(changes);
    change
        .record(
            Entity::Indicator,
            before.id,
            Action::IndicatorUpdate,
            &recorded,
        )
        .await?;
    change.commit().await?;
    let (_, after) = find(&state, &caller, &id).await?;
    Ok(answer(StatusCode::OK, &after))
}
