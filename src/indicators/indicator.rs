//! One indicator (versioned): created (by hand or from the library), its page with chart and
//! status, edited.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, model::subject},
    error::{AppError, AppResult, ResultExt},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{
        Choice, FieldErrors, Flash, Form, Path, Query,
        conflict::Conflict,
        filters,
        form::Warnings,
        version::{Stale, Version},
    },
};

use super::{
    chart::{ChartInput, chart},
    db::{self, Indicator, Objective},
    form::{IndicatorForm, MeasurementForm},
    library,
    model::{ON_TRACK_MARGIN, Point, WATCH_MARGIN, assess, format_value},
    views::*,
};
use crate::web::filters::today;

pub(crate) async fn indicator(
    state: &AppState,
    sheet: &ProductSheet,
    id: Uuid,
) -> AppResult<Indicator> {
    db::indicators(&state.db, sheet.product.id, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)
}

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

pub(crate) const NAME_KEY: &str = "indicators_product_name_key";

pub(crate) const NAME_TAKEN: &str = "Un autre indicateur de ce produit porte déjà ce nom.";

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

pub(crate) async fn indicator_page(
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
