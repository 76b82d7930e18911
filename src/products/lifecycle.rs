//! A product's life cycle: phase changes (with the comité produit's decision), archive and
//! restore.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use crate::{
    audit::{Action, Entity, FieldChange},
    error::AppResult,
    state::AppState,
    web::render,
    web::{Choice, FieldErrors, Flash, Form, filters},
};

use super::{
    db,
    extract::{EditSheet, ProductSheet},
    model::{Decision, PhaseForm},
    views::*,
};
use crate::web::filters::today;

pub async fn archive_confirm(EditSheet(sheet): EditSheet) -> AppResult<Response> {
    if sheet.product.archived {
        return Ok(Redirect::to(&sheet.url("")).into_response());
    }
    let page = ArchivePage {
        slug: sheet.product.input.slug.clone(),
        name: sheet.product.input.name.clone(),
        layout: sheet.viewer.layout.in_section("produits"),
    };
    Ok(page.into_response())
}

async fn set_archived(
    state: &AppState,
    sheet: &ProductSheet,
    archived: bool,
) -> AppResult<Response> {
    let mut edit = sheet.begin(state).await?;
    if db::set_archived(edit.tx(), sheet.product.id, archived).await? == 1 {
        let (action, change) = if archived {
            (Action::Archive, ("Actif", "Archivé"))
        } else {
            (Action::Restore, ("Archivé", "Actif"))
        };
        let changes = [FieldChange {
            field: "status".into(),
            label: "Statut".into(),
            before: change.0.into(),
            after: change.1.into(),
        }];
        edit.record(Entity::Product, sheet.product.id, action, &changes)
            .await?;
    }
    let message = if archived {
        "Le produit est archivé : il n’apparaît plus dans le portefeuille mais reste consultable."
    } else {
        "Le produit est restauré : il apparaît de nouveau dans le portefeuille."
    };
    edit.finish(Flash::success(message), "").await
}

pub async fn archive(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
) -> AppResult<Response> {
    set_archived(&state, &sheet, true).await
}

pub async fn restore(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
) -> AppResult<Response> {
    set_archived(&state, &sheet, false).await
}

async fn phase_page(
    state: &AppState,
    sheet: ProductSheet,
    form: PhaseForm,
    errors: FieldErrors,
) -> AppResult<PhasePage> {
    let phases = db::phases(&state.db).await?;
    Ok(PhasePage {
        slug: sheet.product.input.slug.clone(),
        name: sheet.product.input.name.clone(),
        current_phase: sheet.product.phase_name.clone(),
        since: filters::date_short(sheet.product.phase_since),
        phases: Choice::list(
            phases
                .iter()
                .filter(|p| p.id != sheet.product.phase_id)
                .map(|p| (p.id.to_string(), p.name.clone())),
            &form.phase_id,
        ),
        decisions: Choice::list(
            std::iter::once(("", "Aucune décision du comité")).chain(Decision::options()),
            &form.decision,
        ),
        today: today().to_string(),
        layout: sheet.viewer.layout.in_section("produits"),
        form,
        errors,
    })
}

pub async fn phase_form(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
) -> AppResult<impl IntoResponse> {
    let form = PhaseForm {
        changed_on: today().to_string(),
        ..Default::default()
    };
    phase_page(&state, sheet, form, FieldErrors::new()).await
}

pub async fn change_phase(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<PhaseForm>,
) -> AppResult<Response> {
    let phases = db::phases(&state.db).await?;
    let p = &sheet.product;
    match form.parse(&phases, p.phase_id, p.phase_since, today()) {
        Err(errors) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            phase_page(&state, sheet, form, errors).await?,
        ),
        Ok(change) => {
            let new_name = phases
                .iter()
                .find(|ph| ph.id == change.phase_id)
                .map(|ph| ph.name.clone())
                .unwrap_or_default();
            let mut changes = vec![
                FieldChange {
                    field: "phase".into(),
                    label: "Phase".into(),
                    before: p.phase_name.clone(),
                    after: new_name.clone(),
                },
                FieldChange {
                    field: "phase_since".into(),
                    label: "Date du changement".into(),
                    before: filters::date_short(p.phase_since),
                    after: filters::date_short(change.changed_on),
                },
                FieldChange {
                    field: "comment".into(),
                    label: "Commentaire".into(),
                    before: String::new(),
                    after: change.comment.clone(),
                },
            ];
            if let Some(decision) = change.decision {
                changes.push(FieldChange {
                    field: "decision".into(),
                    label: "Décision du comité produit".into(),
                    before: String::new(),
                    after: decision.label().into(),
                });
            }
            let mut edit = sheet.begin(&state).await?;
            db::record_phase_change(
                edit.tx(),
                p.id,
                Some(p.phase_id),
                &change,
                sheet.viewer.user.id,
            )
            .await?;
            edit.record(Entity::Product, p.id, Action::ChangePhase, &changes)
                .await?;
            edit.finish(
                Flash::success(format!("Le produit est passé en phase {new_name}.")),
                "",
            )
            .await
        }
    }
}
