//! Editing the vision (versioned), marking it reviewed, its history, comparison and restore.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, FieldChange},
    error::{AppError, AppResult},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::{
        FieldErrors, Flash, Form, Query,
        conflict::Conflict,
        filters,
        version::{self, Version},
    },
};

use super::{
    db::{self, NewVersion},
    model::{self, Part, VisionForm, VisionText, word_diff},
    views::*,
};

fn part_input(part: Part, text: &VisionText, errors: &FieldErrors) -> PartInput {
    let value = text.get(part).to_owned();
    PartInput {
        key: part.key(),
        label: part.label(),
        hint: part.hint(),
        max: part.max(),
        count: value.trim().chars().count(),
        error: errors.get(part.key()).cloned(),
        value,
    }
}

async fn form_page(
    state: &AppState,
    sheet: ProductSheet,
    text: &VisionText,
    checked: &[Uuid],
    version: String,
    errors: FieldErrors,
    conflict: Option<Conflict>,
) -> AppResult<VisionFormPage> {
    let accounts = db::people(&state.db, sheet.product.id).await?;
    Ok(VisionFormPage {
        slug: sheet.product.input.slug.clone(),
        name: sheet.product.input.name.clone(),
        statement: part_input(Part::Statement, text, &errors),
        elements: Part::ELEMENTS
            .iter()
            .map(|p| part_input(*p, text, &errors))
            .collect(),
        alignment: part_input(Part::Alignment, text, &errors),
        accounts: accounts
            .into_iter()
            .map(|a| AccountChoice {
                checked: checked.contains(&a.id),
                id: a.id.to_string(),
                name: a.name,
            })
            .collect(),
        version,
        errors,
        warnings: Default::default(),
        conflict,
        layout: sheet.viewer.layout.in_section("produits"),
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
) -> AppResult<impl IntoResponse> {
    let vision = db::find(&state.db, sheet.product.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let contributors: Vec<Uuid> = db::contributors(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let page = form_page(
        &state,
        sheet,
        &vision.text,
        &contributors,
        vision.version.to_string(),
        FieldErrors::new(),
        None,
    )
    .await?;
    Ok(page)
}

fn names(ids: &[Uuid], accounts: &[db::Contributor]) -> String {
    accounts
        .iter()
        .filter(|a| ids.contains(&a.id))
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn save(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<VisionForm>,
) -> AppResult<Response> {
    let accounts = db::people(&state.db, sheet.product.id).await?;
    let known: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
    let ids = form.contributor_ids(&known);
    let (text, version) = match Version::with(form.text.parse(), &form.version) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let page = form_page(
                &state,
                sheet,
                &form.text,
                &ids,
                form.version.clone(),
                errors,
                None,
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let warnings = model::warnings(&text);
    if warnings.unconfirmed(&form.confirmer) {
        let mut page = form_page(
            &state,
            sheet,
            &text,
            &ids,
            form.version.clone(),
            FieldErrors::new(),
            None,
        )
        .await?;
        page.warnings = warnings;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let product_id = sheet.product.id;
    let current = db::find(&state.db, product_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let current_ids: Vec<Uuid> = db::contributors(&state.db, product_id)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let (before_names, after_names) = (names(&current_ids, &accounts), names(&ids, &accounts));
    let changes = audit::model::diff(
        &current.text.fields(&before_names),
        &text.fields(&after_names),
    );
    if changes.is_empty() && version.number() == current.version {
        sheet
            .flash(Flash::info("Aucune modification à enregistrer."))
            .await?;
        return Ok(Redirect::to(&sheet.url("#vision")).into_response());
    }

    let mut edit = sheet.begin(&state).await?;
    let Ok(version) = db::save(edit.tx(), product_id, version, &text, sheet.viewer.user.id).await?
    else {
        drop(edit);
        // Someone saved first: show both, keep what this person typed, offer the fresh version.
        let fresh = db::find(&state.db, product_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let fresh_ids: Vec<Uuid> = db::contributors(&state.db, product_id)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let conflict = Conflict::load(
            &state.db,
            Entity::Vision,
            product_id,
            &fresh.text.fields(&names(&fresh_ids, &accounts)),
            &text.fields(&after_names),
        )
        .await?;
        let page = form_page(
            &state,
            sheet,
            &text,
            &ids,
            fresh.version.to_string(),
            FieldErrors::new(),
            Some(conflict),
        )
        .await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    };
    db::set_contributors(edit.tx(), product_id, &ids).await?;
    let user = &sheet.viewer.user;
    let new_version = NewVersion {
        product_id,
        number: version,
        text: &text,
        contributors: &after_names,
        restored_from: None,
        saved_by: user.id,
        saved_by_name: &user.display_name,
    };
    db::insert_version(edit.tx(), &new_version).await?;
    edit.record(Entity::Vision, product_id, Action::VisionUpdate, &changes)
        .await?;
    edit.finish(Flash::success("La vision a été enregistrée."), "#vision")
        .await
}

pub async fn review(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
) -> AppResult<Response> {
    let vision = db::find(&state.db, sheet.product.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if vision.text.is_empty() {
        sheet
            .flash(Flash::error(
                "La vision n’est pas encore rédigée : il n’y a rien à confirmer.",
            ))
            .await?;
        return Ok(Redirect::to(&sheet.url("#vision")).into_response());
    }
    let mut edit = sheet.begin(&state).await?;
    db::mark_reviewed(edit.tx(), sheet.product.id, sheet.viewer.user.id).await?;
    let today = filters::date_short(filters::today());
    let changes = [FieldChange {
        field: "reviewed".into(),
        label: "Relue".into(),
        before: String::new(),
        after: today,
    }];
    edit.record(
        Entity::Vision,
        sheet.product.id,
        Action::VisionReview,
        &changes,
    )
    .await?;
    edit.finish(
        Flash::success("Vision confirmée : la date de dernière relecture est mise à jour."),
        "#vision",
    )
    .await
}

fn version_row(v: &db::SavedVersion, current: i32) -> VersionRow {
    VersionRow {
        number: v.number,
        when: filters::datetime_short(v.saved_at),
        by: v.saved_by_name.clone(),
        restored_from: v.restored_from,
        score: v.text.completeness().score(),
        current: v.number == current,
    }
}

pub async fn history(
    State(state): State<AppState>,
    sheet: ProductSheet,
) -> AppResult<impl IntoResponse> {
    let vision = db::find(&state.db, sheet.product.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let versions = db::versions(&state.db, sheet.product.id).await?;
    let page = VisionHistoryPage {
        slug: sheet.product.input.slug.clone(),
        name: sheet.product.input.name.clone(),
        versions: versions
            .iter()
            .map(|v| version_row(v, vision.version))
            .collect(),
        can_edit: sheet.can_edit,
        current_version: vision.version,
        layout: sheet.viewer.layout.in_section("produits"),
    };
    Ok(page)
}

/// The version numbered `raw`, or when it is empty the `default_index`-th newest.
fn pick<'a>(
    versions: &'a [db::SavedVersion],
    raw: &str,
    default_index: usize,
) -> AppResult<&'a db::SavedVersion> {
    let found = match raw.trim() {
        "" => versions.get(default_index),
        raw => raw
            .parse::<i32>()
            .ok()
            .and_then(|n| versions.iter().find(|v| v.number == n)),
    };
    found.ok_or(AppError::NotFound)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CompareQuery {
    de: String,
    a: String,
}

pub async fn compare(
    State(state): State<AppState>,
    sheet: ProductSheet,
    Query(query): Query<CompareQuery>,
) -> AppResult<impl IntoResponse> {
    let vision = db::find(&state.db, sheet.product.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let versions = db::versions(&state.db, sheet.product.id).await?;
    // By default: the latest version against the one before it.
    let to = pick(&versions, &query.a, 0)?;
    let from = pick(&versions, &query.de, 1).or_else(|_| pick(&versions, &query.de, 0))?;
    let mut rows: Vec<DiffRow> = Part::EDITED
        .iter()
        .map(|part| {
            let (old, new) = (from.text.get(*part), to.text.get(*part));
            DiffRow {
                label: part.label(),
                segments: word_diff(old, new),
                changed: old != new,
            }
        })
        .collect();
    rows.push(DiffRow {
        label: "Co-construite avec",
        segments: word_diff(&from.contributors, &to.contributors),
        changed: from.contributors != to.contributors,
    });
    let page = ComparePage {
        slug: sheet.product.input.slug.clone(),
        name: sheet.product.input.name.clone(),
        from: version_row(from, vision.version),
        to: version_row(to, vision.version),
        rows,
        numbers: versions.iter().map(|v| v.number).collect(),
        layout: sheet.viewer.layout.in_section("produits"),
    };
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RestoreForm {
    number: String,
    version: String,
}

pub async fn restore(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<RestoreForm>,
) -> AppResult<Response> {
    let product_id = sheet.product.id;
    let number = form
        .number
        .trim()
        .parse::<i32>()
        .map_err(|_| AppError::NotFound)?;
    let versions = db::versions(&state.db, product_id).await?;
    let old = versions
        .iter()
        .find(|v| v.number == number)
        .ok_or(AppError::NotFound)?;
    let current = db::find(&state.db, product_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(sent) = Version::parse(&form.version) else {
        sheet.flash(Flash::error(version::MALFORMED)).await?;
        return Ok(Redirect::to(&sheet.url("/vision/historique")).into_response());
    };
    let contributors = db::contributors(&state.db, product_id).await?;
    let names = contributors
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");

    let mut edit = sheet.begin(&state).await?;
    let Ok(version) =
        db::save(edit.tx(), product_id, sent, &old.text, sheet.viewer.user.id).await?
    else {
        drop(edit);
        sheet.flash(Flash::error("La vision a été modifiée entre-temps : rien n’a été restauré. Vérifiez la version actuelle avant de recommencer.")).await?;
        return Ok(Redirect::to(&sheet.url("/vision/historique")).into_response());
    };
    let user = &sheet.viewer.user;
    let new_version = NewVersion {
        product_id,
        number: version,
        text: &old.text,
        contributors: &names,
        restored_from: Some(number),
        saved_by: user.id,
        saved_by_name: &user.display_name,
    };
    db::insert_version(edit.tx(), &new_version).await?;
    let mut changes = vec![FieldChange {
        field: "restored".into(),
        label: "Version restaurée".into(),
        before: current.version.to_string(),
        after: number.to_string(),
    }];
    changes.extend(audit::model::diff(
        &current.text.fields(&names),
        &old.text.fields(&names),
    ));
    edit.record(Entity::Vision, product_id, Action::VisionRestore, &changes)
        .await?;
    edit.finish(
        Flash::success(format!(
            "La version {number} a été restaurée ; elle devient la version {version}."
        )),
        "#vision",
    )
    .await
}
