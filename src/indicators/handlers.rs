//! Objectives, indicators (versioned), measurements, the library, and CSV import / export.

use axum::{
    extract::{Multipart, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, FieldChange, model::subject},
    error::{AppError, AppResult, ResultExt},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{
        Choice, FieldErrors, Flash, Form, Path, Query,
        conflict::Conflict,
        csv::CsvWriter,
        filters,
        form::Warnings,
        version::{Stale, Version},
    },
};

use super::{
    chart::{ChartInput, chart},
    csv_io::{self, Outcome},
    db::{self, Indicator, Objective},
    form::{IndicatorForm, MeasurementForm, ObjectiveForm},
    library,
    model::{ON_TRACK_MARGIN, Point, WATCH_MARGIN, assess, format_value},
    views::*,
};
use crate::web::filters::today;

async fn indicator(state: &AppState, sheet: &ProductSheet, id: Uuid) -> AppResult<Indicator> {
    db::indicators(&state.db, sheet.product.id, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)
}

// ---- Objectives and the index page ----

async fn index_page(
    state: &AppState,
    sheet: ProductSheet,
    objective_form: ObjectiveForm,
    errors: FieldErrors,
) -> AppResult<IndexPage> {
    let objectives = db::objectives(&state.db, sheet.product.id).await?;
    let indicators = db::indicators(&state.db, sheet.product.id, None).await?;
    let today = today();
    let count = objectives.len();
    let (slug, name) = sheet.names();
    Ok(IndexPage {
        objectives: objectives
            .iter()
            .enumerate()
            .map(|(i, o)| ObjectiveGroup {
                id: o.id.to_string(),
                title: o.title.clone(),
                description: o.description.clone(),
                indicators: indicators
                    .iter()
                    .filter(|ind| ind.objective_id == Some(o.id))
                    .map(|ind| IndicatorSummary::new(ind, today))
                    .collect(),
                first: i == 0,
                last: i + 1 == count,
            })
            .collect(),
        unassigned: indicators
            .iter()
            .filter(|ind| ind.objective_id.is_none())
            .map(|ind| IndicatorSummary::new(ind, today))
            .collect(),
        can_edit: sheet.can_edit,
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        objective_form,
        errors,
    })
}

pub async fn index(
    State(state): State<AppState>,
    sheet: ProductSheet,
) -> AppResult<impl IntoResponse> {
    index_page(&state, sheet, ObjectiveForm::default(), FieldErrors::new()).await
}

pub async fn add_objective(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<ObjectiveForm>,
) -> AppResult<Response> {
    let (title, description) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                index_page(&state, sheet, form, errors).await?,
            );
        }
    };
    let mut edit = sheet.begin(&state).await?;
    let id = db::add_objective(edit.tx(), sheet.product.id, &title, &description).await?;
    let changes = [
        subject("Objectif", &title),
        FieldChange {
            field: "description".into(),
            label: "Précisions".into(),
            before: String::new(),
            after: description,
        },
    ];
    edit.record(Entity::Objective, id, Action::ObjectiveCreate, &changes)
        .await?;
    edit.finish(
        Flash::success(format!("Objectif « {title} » ajouté.")),
        "/indicateurs",
    )
    .await
}

async fn objective(
    state: &AppState,
    sheet: &ProductSheet,
    id: Uuid,
) -> AppResult<(Vec<Objective>, Objective)> {
    let all = db::objectives(&state.db, sheet.product.id).await?;
    let found = all
        .iter()
        .find(|o| o.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((all, found))
}

pub async fn objective_form(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (_, o) = objective(&state, &sheet, id).await?;
    let (slug, name) = sheet.names();
    let page = ObjectiveFormPage {
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        id: id.to_string(),
        form: ObjectiveForm {
            title: o.title,
            description: o.description,
        },
        errors: FieldErrors::new(),
    };
    Ok(page)
}

pub async fn update_objective(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<ObjectiveForm>,
) -> AppResult<Response> {
    let (_, before) = objective(&state, &sheet, id).await?;
    let (title, description) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => {
            let (slug, name) = sheet.names();
            let page = ObjectiveFormPage {
                layout: sheet.viewer.layout.in_section("produits"),
                slug,
                name,
                id: id.to_string(),
                form,
                errors,
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let fields = |t: &str, d: &str| {
        vec![
            audit::Field::new("title", "Objectif", t),
            audit::Field::new("description", "Précisions", d),
        ]
    };
    let mut changes = vec![subject("Objectif", &title)];
    changes.extend(audit::model::diff(
        &fields(&before.title, &before.description),
        &fields(&title, &description),
    ));
    let mut edit = sheet.begin(&state).await?;
    if db::update_objective(edit.tx(), sheet.product.id, id, &title, &description).await? == 0 {
        return Err(AppError::NotFound);
    }
    edit.record(Entity::Objective, id, Action::ObjectiveUpdate, &changes)
        .await?;
    edit.finish(Flash::success("Objectif enregistré."), "/indicateurs")
        .await
}

pub async fn confirm_delete_objective(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (_, o) = objective(&state, &sheet, id).await?;
    sheet.confirm(
        "Supprimer l’objectif",
        format!(
            "L’objectif « {} » sera supprimé. Ses indicateurs sont conservés, sans objectif ; ce qui est supprimé reste dans l’historique.",
            o.title
        ),
        &format!("/objectifs/{id}/supprimer"),
        "/indicateurs",
    )
}

pub async fn delete_objective(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    let (_, o) = objective(&state, &sheet, id).await?;
    let mut edit = sheet.begin(&state).await?;
    db::delete_objective(edit.tx(), sheet.product.id, id).await?;
    let changes = [
        subject("Objectif", &o.title),
        FieldChange {
            field: "description".into(),
            label: "Précisions".into(),
            before: o.description.clone(),
            after: String::new(),
        },
    ];
    edit.record(Entity::Objective, id, Action::ObjectiveDelete, &changes)
        .await?;
    edit.finish(
        Flash::success(format!("Objectif « {} » supprimé.", o.title)),
        "/indicateurs",
    )
    .await
}

async fn move_objective(
    state: &AppState,
    sheet: &ProductSheet,
    id: Uuid,
    up: bool,
) -> AppResult<Response> {
    let (all, _) = objective(state, sheet, id).await?;
    let mut ids: Vec<Uuid> = all.iter().map(|o| o.id).collect();
    if crate::web::shift(&mut ids, id, up) {
        let mut edit = sheet.begin(state).await?;
        db::reorder_objectives(edit.tx(), &ids).await?;
        edit.commit().await?;
    }
    Ok(Redirect::to(&sheet.url("/indicateurs")).into_response())
}

pub async fn objective_up(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    move_objective(&state, &sheet, id, true).await
}

pub async fn objective_down(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    move_objective(&state, &sheet, id, false).await
}

// ---- Indicators ----

fn objective_choices(objectives: &[Objective], selected: &str) -> Vec<Choice> {
    Choice::list(
        objectives
            .iter()
            .map(|o| (o.id.to_string(), o.title.clone())),
        selected,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    modele: String,
}

pub async fn new_form(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Query(query): Query<NewQuery>,
) -> AppResult<impl IntoResponse> {
    let objectives = db::objectives(&state.db, sheet.product.id).await?;
    let template = library::find(query.modele.trim());
    let mut form = IndicatorForm {
        baseline_date: today().to_string(),
        ..Default::default()
    };
    if let Some(t) = template {
        form.name = t.name.into();
        form.kind = t.kind.code().into();
        form.unit = t.unit.into();
        form.direction = t.trend.code().into();
        form.frequency = t.frequency.code().into();
        form.source = t.source.code().into();
        form.description = t.description.into();
        if let Some((low, high)) = t.range {
            form.range_low = format_value(low, "");
            form.range_high = format_value(high, "");
        }
        if let Some(target) = t.suggested_target {
            form.target_value = vec![format_value(target, "")];
        }
    }
    let selected = form.objective_id.clone();
    let mut page = IndicatorFormPage::new(
        sheet.viewer.layout.clone().in_section("produits"),
        sheet.names(),
        "Ajouter un indicateur".into(),
        sheet.url("/indicateurs"),
        sheet.url("/indicateurs"),
        form,
        objective_choices(&objectives, &selected),
        FieldErrors::new(),
        None,
    );
    page.people = crate::roles::db::people(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    page.from_template = template.map(|t| t.name);
    Ok(page)
}

const NAME_KEY: &str = "indicators_product_name_key";

const NAME_TAKEN: &str = "Un autre indicateur de ce produit porte déjà ce nom.";

pub async fn create(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<IndicatorForm>,
) -> AppResult<Response> {
    let objectives = db::objectives(&state.db, sheet.product.id).await?;
    let mut errors = FieldErrors::new();
    match form.parse(&objectives) {
        Err(e) => errors = e,
        Ok(input) => {
            let mut edit = sheet.begin(&state).await?;
            match db::insert_indicator(edit.tx(), sheet.product.id, &input)
                .await
                .unless_violates(NAME_KEY)?
            {
                Some(id) => {
                    let mut changes = vec![subject("Indicateur", &input.name)];
                    changes.extend(audit::model::created(&input.fields(&objectives)));
                    edit.record(Entity::Indicator, id, Action::IndicatorCreate, &changes)
                        .await?;
                    return edit
                        .finish(
                            Flash::success(format!(
                                "Indicateur « {} » créé : saisissez ses mesures.",
                                input.name
                            )),
                            &format!("/indicateurs/{id}"),
                        )
                        .await;
                }
                None => {
                    errors.insert("name", NAME_TAKEN.into());
                }
            }
        }
    }
    let selected = form.objective_id.clone();
    let mut page = IndicatorFormPage::new(
        sheet.viewer.layout.clone().in_section("produits"),
        sheet.names(),
        "Ajouter un indicateur".into(),
        sheet.url("/indicateurs"),
        sheet.url("/indicateurs"),
        form,
        objective_choices(&objectives, &selected),
        errors,
        None,
    );
    page.people = crate::roles::db::people(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    render(StatusCode::UNPROCESSABLE_ENTITY, page)
}

pub async fn show(
    State(state): State<AppState>,
    sheet: ProductSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let i = indicator(&state, &sheet, id).await?;
    let form = MeasurementForm {
        date: today().to_string(),
        ..Default::default()
    };
    indicator_page(&state, sheet, i, form, FieldErrors::new(), None).await
}

async fn indicator_page(
    state: &AppState,
    sheet: ProductSheet,
    i: Indicator,
    form: MeasurementForm,
    errors: FieldErrors,
    replace: Option<Replace>,
) -> AppResult<IndicatorPage> {
    let objectives = db::objectives(&state.db, sheet.product.id).await?;
    let points = i.points();
    let assessment = assess(&i.spec(), &points, today());
    let unit = i.unit.clone();
    let value = |p: Option<&Point>| {
        p.map(|p| format_value(p.value, &unit))
            .unwrap_or_else(|| "—".into())
    };
    let (latest, previous) = (
        points.last(),
        points.len().checked_sub(2).and_then(|n| points.get(n)),
    );
    let change = match (latest, previous) {
        (Some(l), Some(p)) => {
            let delta = l.value - p.value;
            let sign = if delta > 0.0 { "+" } else { "" };
            format!("{sign}{}", format_value(delta, &unit))
        }
        _ => "—".into(),
    };
    let chart = chart(&ChartInput {
        name: &i.name,
        unit: &i.unit,
        trend: i.trend,
        range: i.range,
        baseline: i.baseline,
        targets: &i.targets,
        measurements: &points,
    });
    let mut rows: Vec<MeasurementRow> = Vec::new();
    for (n, m) in i.measurements.iter().enumerate() {
        let change = n
            .checked_sub(1)
            .and_then(|p| i.measurements.get(p))
            .map(|p| {
                let delta = m.value - p.value;
                format!(
                    "{}{}",
                    if delta > 0.0 { "+" } else { "" },
                    format_value(delta, &unit)
                )
            })
            .unwrap_or_else(|| "—".into());
        rows.push(MeasurementRow {
            id: m.id.to_string(),
            date: filters::date_short(m.date),
            value: format_value(m.value, &unit),
            change,
            comment: m.comment.clone(),
        });
    }
    rows.reverse();
    let (slug, name) = sheet.names();
    Ok(IndicatorPage {
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        can_edit: sheet.can_edit,
        id: i.id.to_string(),
        kind: i.kind.title(),
        kind_explanation: i.kind.explanation(),
        objective: i
            .objective_id
            .and_then(|id| objectives.iter().find(|o| o.id == id))
            .map(|o| o.title.clone()),
        unit: i.unit.clone(),
        direction: i.trend.label(),
        frequency: i.frequency.label(),
        source: i.source.label(),
        owner: i.owner.clone(),
        description: i.description.clone(),
        baseline: format!(
            "{} au {}",
            format_value(i.baseline.value, &unit),
            filters::date_short(i.baseline.date)
        ),
        targets: match i.range {
            Some((l, h)) => vec![format!(
                "rester entre {} et {}",
                format_value(l, &unit),
                format_value(h, &unit)
            )],
            None => i
                .targets
                .iter()
                .map(|t| {
                    format!(
                        "{} au {}",
                        format_value(t.value, &unit),
                        filters::date_short(t.date)
                    )
                })
                .collect(),
        },
        status: assessment.status,
        reason: assessment.reason,
        latest: value(latest),
        previous: value(previous),
        change,
        chart,
        measurements: rows,
        indicator: i.name,
        form,
        errors,
        warnings: Warnings::default(),
        replace,
        today: today().to_string(),
        on_track_margin: (ON_TRACK_MARGIN * 100.0).round() as u32,
        watch_margin: (WATCH_MARGIN * 100.0).round() as u32,
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let i = indicator(&state, &sheet, id).await?;
    let objectives = db::objectives(&state.db, sheet.product.id).await?;
    let form = IndicatorForm::from_indicator(&i);
    let selected = form.objective_id.clone();
    let mut page = IndicatorFormPage::new(
        sheet.viewer.layout.clone().in_section("produits"),
        sheet.names(),
        format!("Modifier « {} »", i.name),
        sheet.url(&format!("/indicateurs/{id}/modifier")),
        sheet.url(&format!("/indicateurs/{id}")),
        form,
        objective_choices(&objectives, &selected),
        FieldErrors::new(),
        None,
    );
    page.people = crate::roles::db::people(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    Ok(page)
}

fn input_of(i: &Indicator) -> db::IndicatorInput {
    db::IndicatorInput {
        objective_id: i.objective_id,
        name: i.name.clone(),
        kind: i.kind,
        unit: i.unit.clone(),
        trend: i.trend,
        range: i.range,
        baseline: i.baseline,
        targets: i.targets.clone(),
        frequency: i.frequency,
        source: i.source,
        owner: i.owner.clone(),
        description: i.description.clone(),
    }
}

pub async fn update(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Form(mut form): Form<IndicatorForm>,
) -> AppResult<Response> {
    let before = indicator(&state, &sheet, id).await?;
    let objectives = db::objectives(&state.db, sheet.product.id).await?;
    let mut errors = FieldErrors::new();
    let mut conflict = None;
    match Version::with(form.parse(&objectives), &form.version) {
        Err(e) => errors = e,
        Ok((input, version)) => {
            let changes = audit::model::diff(
                &input_of(&before).fields(&objectives),
                &input.fields(&objectives),
            );
            if changes.is_empty() && version.number() == before.version {
                sheet
                    .flash(Flash::info("Aucune modification à enregistrer."))
                    .await?;
                return Ok(Redirect::to(&sheet.url(&format!("/indicateurs/{id}"))).into_response());
            }
            let mut edit = sheet.begin(&state).await?;
            match db::update_indicator(edit.tx(), sheet.product.id, id, version, &input)
                .await
                .unless_violates(NAME_KEY)?
            {
                Some(Err(Stale)) => {
                    drop(edit);
                    let fresh = indicator(&state, &sheet, id).await?;
                    conflict = Some(
                        Conflict::load(
                            &state.db,
                            Entity::Indicator,
                            id,
                            &input_of(&fresh).fields(&objectives),
                            &input.fields(&objectives),
                        )
                        .await?,
                    );
                    form.version = fresh.version.to_string();
                }
                Some(Ok(())) => {
                    let mut all = vec![subject("Indicateur", &input.name)];
                    all.extend(changes);
                    edit.record(Entity::Indicator, id, Action::IndicatorUpdate, &all)
                        .await?;
                    return edit
                        .finish(
                            Flash::success("Indicateur enregistré."),
                            &format!("/indicateurs/{id}"),
                        )
                        .await;
                }
                None => {
                    errors.insert("name", NAME_TAKEN.into());
                }
            }
        }
    }
    let status = if conflict.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let selected = form.objective_id.clone();
    let mut page = IndicatorFormPage::new(
        sheet.viewer.layout.clone().in_section("produits"),
        sheet.names(),
        format!("Modifier « {} »", before.name),
        sheet.url(&format!("/indicateurs/{id}/modifier")),
        sheet.url(&format!("/indicateurs/{id}")),
        form,
        objective_choices(&objectives, &selected),
        errors,
        conflict,
    );
    page.people = crate::roles::db::people(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    render(status, page)
}

// ---- Measurements ----

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

// ---- Library ----

pub async fn library_page(EditSheet(sheet): EditSheet) -> AppResult<impl IntoResponse> {
    let typology = sheet.product.input.typology;
    let (slug, name) = sheet.names();
    let page = LibraryPage {
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        groups: library::grouped(typology)
            .into_iter()
            .map(|(t, templates)| LibraryGroup {
                typology: t.label(),
                own: t == typology,
                templates,
            })
            .collect(),
    };
    Ok(page)
}

// ---- CSV ----

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
