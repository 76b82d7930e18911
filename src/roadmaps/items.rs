//! A roadmap's initiatives and risks: both take the roadmap's version.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, model::subject},
    error::{AppError, AppResult},
    indicators::{self, db::Objective},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{
        Choice, FieldErrors, Flash, Form, Path,
        conflict::Conflict,
        form::Warnings,
        version::{self, Counter, Stale, Version},
    },
};

use super::roadmap::roadmap;
use super::{
    db::{self, Initiative, Roadmap},
    form::{InitiativeForm, RiskForm, initiative_warnings},
    model::{InitiativeKind, InitiativeStatus, Level, RiskKind, RiskStatus},
    views::*,
};
use crate::web::filters::today;

fn objective_choices(objectives: &[Objective], selected: &str) -> Vec<Choice> {
    Choice::list(
        objectives
            .iter()
            .map(|o| (o.id.to_string(), o.title.clone())),
        selected,
    )
}

fn initiative_page(
    sheet: ProductSheet,
    r: &Roadmap,
    objectives: &[Objective],
    item: Option<Uuid>,
    form: InitiativeForm,
    errors: FieldErrors,
    conflict: Option<Conflict>,
) -> InitiativeFormPage {
    let (slug, name) = sheet.names();
    let base = format!("/produits/{slug}/roadmaps/{}", r.id);
    InitiativeFormPage {
        layout: sheet.viewer.layout.in_section("produits"),
        title: if item.is_some() {
            "Modifier l’initiative".into()
        } else {
            "Ajouter une initiative".into()
        },
        action: match item {
            Some(iid) => format!("{base}/initiatives/{iid}/modifier"),
            None => format!("{base}/initiatives"),
        },
        cancel: base,
        kinds: Choice::list(InitiativeKind::options(), &form.kind),
        statuses: Choice::list(InitiativeStatus::options(), &form.status),
        objectives: objective_choices(objectives, &form.objective_id),
        window_hint: format!("Fenêtre de la roadmap : {}", r.window.label()),
        slug,
        name,
        form,
        errors,
        warnings: Warnings::default(),
        conflict,
    }
}

pub async fn new_initiative(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (_, r) = roadmap(&state, &sheet, id).await?;
    let objectives = indicators::db::objectives(&state.db, sheet.product.id).await?;
    let form = InitiativeForm {
        kind: InitiativeKind::Feature.code().into(),
        status: InitiativeStatus::Planned.code().into(),
        // Not in the past: a planned initiative starting before today asks for confirmation.
        starts_on: r
            .window
            .start
            .max(today().min(r.window.last_day()))
            .to_string(),
        ends_on: r.window.last_day().to_string(),
        version: r.version.to_string(),
        ..Default::default()
    };
    Ok(initiative_page(
        sheet,
        &r,
        &objectives,
        None,
        form,
        FieldErrors::new(),
        None,
    ))
}

async fn save_initiative(
    state: &AppState,
    sheet: ProductSheet,
    id: Uuid,
    item: Option<Uuid>,
    mut form: InitiativeForm,
) -> AppResult<Response> {
    let (_, r) = roadmap(state, &sheet, id).await?;
    let objectives = indicators::db::objectives(&state.db, sheet.product.id).await?;
    let existing = match item {
        Some(iid) => Some(
            db::initiative(&state.db, id, iid)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    let (input, sent) = match Version::with(form.parse(&ids), &form.version) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                initiative_page(sheet, &r, &objectives, item, form, errors, None),
            );
        }
    };
    let warnings = initiative_warnings(&input, today());
    if warnings.unconfirmed(&form.confirmer) {
        let mut page =
            initiative_page(sheet, &r, &objectives, item, form, FieldErrors::new(), None);
        page.warnings = warnings;
        return render(StatusCode::UNPROCESSABLE_ENTITY, page);
    }
    let title_of = |o: Option<Uuid>| {
        o.and_then(|id| objectives.iter().find(|x| x.id == id))
            .map(|x| x.title.clone())
            .unwrap_or_default()
    };
    let mut edit = sheet.begin(state).await?;
    if let Err(Stale) = version::bump(edit.tx(), Counter::Roadmap(id), sent).await? {
        drop(edit);
        let (_, fresh) = roadmap(state, &sheet, id).await?;
        let theirs = match item {
            Some(iid) => db::initiative(&state.db, id, iid).await?,
            None => None,
        };
        let theirs_fields = theirs
            .map(|t| t.fields(&title_of(t.objective_id)))
            .unwrap_or_else(|| {
                Initiative {
                    id: Uuid::nil(),
                    ..input.clone()
                }
                .fields("")
                .into_iter()
                .map(|f| crate::audit::Field::new(f.key, f.label, ""))
                .collect()
            });
        let conflict = Conflict::load(
            &state.db,
            Entity::Roadmap,
            id,
            &theirs_fields,
            &input.fields(&title_of(input.objective_id)),
        )
        .await?;
        form.version = fresh.version.to_string();
        return render(
            StatusCode::CONFLICT,
            initiative_page(
                sheet,
                &fresh,
                &objectives,
                item,
                form,
                FieldErrors::new(),
                Some(conflict),
            ),
        );
    }
    let saved = db::save_initiative(edit.tx(), id, item, &input).await?;
    let mut changes = vec![subject("Initiative", &input.title)];
    let before = existing
        .map(|e| e.fields(&title_of(e.objective_id)))
        .unwrap_or_default();
    changes.extend(audit::model::diff(
        &before,
        &input.fields(&title_of(input.objective_id)),
    ));
    edit.record(Entity::Initiative, saved, Action::InitiativeSave, &changes)
        .await?;
    let overflow = !r.window.contains(input.starts_on) || !r.window.contains(input.ends_on);
    let message = if overflow {
        Flash::info(format!(
            "Initiative « {} » enregistrée. Attention : elle déborde de la fenêtre de la roadmap ({}).",
            input.title,
            r.window.label()
        ))
    } else {
        Flash::success(format!("Initiative « {} » enregistrée.", input.title))
    };
    edit.finish(message, &format!("/roadmaps/{id}#initiatives"))
        .await
}

pub async fn create_initiative(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<InitiativeForm>,
) -> AppResult<Response> {
    save_initiative(&state, sheet, id, None, form).await
}

pub async fn edit_initiative(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, iid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (_, r) = roadmap(&state, &sheet, id).await?;
    let objectives = indicators::db::objectives(&state.db, sheet.product.id).await?;
    let i = db::initiative(&state.db, id, iid)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = InitiativeForm::from_initiative(&i, r.version);
    Ok(initiative_page(
        sheet,
        &r,
        &objectives,
        Some(iid),
        form,
        FieldErrors::new(),
        None,
    ))
}

pub async fn update_initiative(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, iid)): Path<(String, Uuid, Uuid)>,
    Form(form): Form<InitiativeForm>,
) -> AppResult<Response> {
    save_initiative(&state, sheet, id, Some(iid), form).await
}

async fn people(state: &AppState, product_id: Uuid) -> AppResult<Vec<String>> {
    Ok(crate::roles::db::people(&state.db, product_id)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect())
}

fn risk_page(
    people: Vec<String>,
    sheet: ProductSheet,
    r: &Roadmap,
    item: Option<Uuid>,
    form: RiskForm,
    errors: FieldErrors,
    conflict: Option<Conflict>,
) -> RiskFormPage {
    let (slug, name) = sheet.names();
    let base = format!("/produits/{slug}/roadmaps/{}", r.id);
    RiskFormPage {
        layout: sheet.viewer.layout.in_section("produits"),
        title: if item.is_some() {
            "Modifier une dépendance ou un risque".into()
        } else {
            "Ajouter une dépendance ou un risque".into()
        },
        action: match item {
            Some(rid) => format!("{base}/risques/{rid}/modifier"),
            None => format!("{base}/risques"),
        },
        cancel: base,
        kinds: Choice::list(RiskKind::options(), &form.kind),
        likelihoods: Choice::list(Level::options(), &form.likelihood),
        impacts: Choice::list(Level::options(), &form.impact),
        statuses: Choice::list(RiskStatus::options(), &form.status),
        slug,
        name,
        form,
        errors,
        conflict,
        people,
    }
}

pub async fn new_risk(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (_, r) = roadmap(&state, &sheet, id).await?;
    let form = RiskForm {
        kind: RiskKind::Risk.code().into(),
        likelihood: Level::Medium.code().into(),
        impact: Level::Medium.code().into(),
        status: RiskStatus::Open.code().into(),
        version: r.version.to_string(),
        ..Default::default()
    };
    Ok(risk_page(
        people(&state, sheet.product.id).await?,
        sheet,
        &r,
        None,
        form,
        FieldErrors::new(),
        None,
    ))
}

fn short_description(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

async fn save_risk(
    state: &AppState,
    sheet: ProductSheet,
    id: Uuid,
    item: Option<Uuid>,
    mut form: RiskForm,
) -> AppResult<Response> {
    let (_, r) = roadmap(state, &sheet, id).await?;
    let existing = match item {
        Some(rid) => Some(
            db::risk(&state.db, id, rid)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let (input, sent) = match Version::with(form.parse(), &form.version) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                risk_page(
                    people(state, sheet.product.id).await?,
                    sheet,
                    &r,
                    item,
                    form,
                    errors,
                    None,
                ),
            );
        }
    };
    let mut edit = sheet.begin(state).await?;
    if let Err(Stale) = version::bump(edit.tx(), Counter::Roadmap(id), sent).await? {
        drop(edit);
        let (_, fresh) = roadmap(state, &sheet, id).await?;
        let theirs = match item {
            Some(rid) => db::risk(&state.db, id, rid).await?.map(|x| x.fields()),
            None => None,
        };
        let theirs = theirs.unwrap_or_else(|| {
            input
                .fields()
                .into_iter()
                .map(|f| crate::audit::Field::new(f.key, f.label, ""))
                .collect()
        });
        let conflict =
            Conflict::load(&state.db, Entity::Roadmap, id, &theirs, &input.fields()).await?;
        form.version = fresh.version.to_string();
        return render(
            StatusCode::CONFLICT,
            risk_page(
                people(state, sheet.product.id).await?,
                sheet,
                &fresh,
                item,
                form,
                FieldErrors::new(),
                Some(conflict),
            ),
        );
    }
    let saved = db::save_risk(edit.tx(), id, item, &input).await?;
    let mut changes = vec![subject("Risque", &short_description(&input.description))];
    changes.extend(audit::model::diff(
        &existing.map(|e| e.fields()).unwrap_or_default(),
        &input.fields(),
    ));
    edit.record(Entity::Risk, saved, Action::RiskSave, &changes)
        .await?;
    edit.finish(
        Flash::success(match input.kind {
            RiskKind::Dependency => "Dépendance enregistrée.",
            RiskKind::Risk => "Risque enregistré.",
        }),
        &format!("/roadmaps/{id}#risques"),
    )
    .await
}

pub async fn create_risk(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<RiskForm>,
) -> AppResult<Response> {
    save_risk(&state, sheet, id, None, form).await
}

pub async fn edit_risk(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, rid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (_, r) = roadmap(&state, &sheet, id).await?;
    let risk = db::risk(&state.db, id, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(risk_page(
        people(&state, sheet.product.id).await?,
        sheet,
        &r,
        Some(rid),
        RiskForm::from_risk(&risk, r.version),
        FieldErrors::new(),
        None,
    ))
}

pub async fn update_risk(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, rid)): Path<(String, Uuid, Uuid)>,
    Form(form): Form<RiskForm>,
) -> AppResult<Response> {
    save_risk(&state, sheet, id, Some(rid), form).await
}

pub async fn confirm_delete_initiative(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, iid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let i = db::initiative(&state.db, roadmap(&state, &sheet, id).await?.1.id, iid)
        .await?
        .ok_or(AppError::NotFound)?;
    let base = format!("/roadmaps/{id}");
    sheet.confirm(
        "Supprimer l’initiative",
        format!(
            "L’initiative « {} » sera supprimée de la roadmap. La suppression est inscrite dans l’historique du produit.",
            i.title
        ),
        &format!("{base}/initiatives/{iid}/supprimer"),
        &base,
    )
}

pub async fn delete_initiative(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, iid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<Response> {
    let (_, r) = roadmap(&state, &sheet, id).await?;
    let i = db::initiative(&state.db, r.id, iid)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut edit = sheet.begin(&state).await?;
    db::delete_initiative(edit.tx(), id, iid).await?;
    version::touch(edit.tx(), Counter::Roadmap(id)).await?;
    edit.record(
        Entity::Initiative,
        iid,
        Action::InitiativeDelete,
        &[subject("Initiative", &i.title)],
    )
    .await?;
    edit.finish(
        Flash::success(format!("Initiative « {} » supprimée.", i.title)),
        &format!("/roadmaps/{id}#initiatives"),
    )
    .await
}

pub async fn confirm_delete_risk(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, rid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let x = db::risk(&state.db, roadmap(&state, &sheet, id).await?.1.id, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let base = format!("/roadmaps/{id}");
    sheet.confirm(
        "Supprimer une dépendance ou un risque",
        format!(
            "« {} » sera supprimé. La suppression est inscrite dans l’historique du produit.",
            short_description(&x.description)
        ),
        &format!("{base}/risques/{rid}/supprimer"),
        &base,
    )
}

pub async fn delete_risk(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, rid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<Response> {
    let (_, r) = roadmap(&state, &sheet, id).await?;
    let x = db::risk(&state.db, r.id, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut edit = sheet.begin(&state).await?;
    db::delete_risk(edit.tx(), id, rid).await?;
    version::touch(edit.tx(), Counter::Roadmap(id)).await?;
    edit.record(
        Entity::Risk,
        rid,
        Action::RiskDelete,
        &[subject("Risque", &short_description(&x.description))],
    )
    .await?;
    edit.finish(
        Flash::success("Supprimé des dépendances et risques."),
        &format!("/roadmaps/{id}#risques"),
    )
    .await
}
