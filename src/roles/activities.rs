//! The activities (rows) of the RACI matrix: added, renamed, reordered, deleted.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use uuid::Uuid;

use crate::{
    audit::{Action, Entity, FieldChange, model::subject},
    error::{AppError, AppResult},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{
        Flash, Form, Path,
        version::{self, Counter},
    },
};

use super::{
    db::{self, Activity},
    views::*,
};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ActivityForm {
    name: String,
}

fn activity_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        Err("Nommez l’activité.".into())
    } else if name.chars().count() > 120 {
        Err("120 caractères au plus.".into())
    } else {
        Ok(name.to_owned())
    }
}

/// The page adding an activity: apart from the matrix, so that letters typed there and not
/// yet saved are never dropped by it.
pub async fn new_activity_form(EditSheet(sheet): EditSheet) -> AppResult<impl IntoResponse> {
    let (slug, name) = sheet.names();
    Ok(ActivityFormPage {
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        id: None,
        activity: String::new(),
        error: None,
    })
}

pub async fn add_activity(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<ActivityForm>,
) -> AppResult<Response> {
    let name = match activity_name(&form.name) {
        Ok(name) => name,
        Err(message) => {
            let (slug, product) = sheet.names();
            let page = ActivityFormPage {
                layout: sheet.viewer.layout.in_section("produits"),
                slug,
                name: product,
                id: None,
                activity: form.name,
                error: Some(message),
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let mut edit = sheet.begin(&state).await?;
    let id = db::add_activity(edit.tx(), sheet.product.id, &name).await?;
    edit.record(
        Entity::Activity,
        id,
        Action::ActivitySave,
        &[subject("Activité", &name)],
    )
    .await?;
    edit.finish(
        Flash::success(format!("Activité « {name} » ajoutée.")),
        "/roles#matrice",
    )
    .await
}

async fn activity(
    state: &AppState,
    sheet: &ProductSheet,
    id: Uuid,
) -> AppResult<(Vec<Activity>, Activity)> {
    let all = db::activities(&state.db, sheet.product.id).await?;
    let found = all
        .iter()
        .find(|a| a.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((all, found))
}

pub async fn edit_activity(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (_, a) = activity(&state, &sheet, id).await?;
    let (slug, name) = sheet.names();
    Ok(ActivityFormPage {
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        id: Some(id.to_string()),
        activity: a.name,
        error: None,
    })
}

pub async fn rename_activity(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<ActivityForm>,
) -> AppResult<Response> {
    let (_, before) = activity(&state, &sheet, id).await?;
    let name = match activity_name(&form.name) {
        Ok(name) => name,
        Err(message) => {
            let (slug, product) = sheet.names();
            let page = ActivityFormPage {
                layout: sheet.viewer.layout.in_section("produits"),
                slug,
                name: product,
                id: Some(id.to_string()),
                activity: form.name,
                error: Some(message),
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let mut edit = sheet.begin(&state).await?;
    db::rename_activity(edit.tx(), sheet.product.id, id, &name).await?;
    let changes = [
        subject("Activité", &name),
        FieldChange {
            field: "name".into(),
            label: "Nom".into(),
            before: before.name,
            after: name.clone(),
        },
    ];
    edit.record(Entity::Activity, id, Action::ActivitySave, &changes)
        .await?;
    edit.finish(Flash::success("Activité renommée."), "/roles#matrice")
        .await
}

async fn move_activity(
    state: &AppState,
    sheet: &ProductSheet,
    id: Uuid,
    up: bool,
) -> AppResult<Response> {
    let (all, _) = activity(state, sheet, id).await?;
    let mut ids: Vec<Uuid> = all.iter().map(|a| a.id).collect();
    if crate::web::shift(&mut ids, id, up) {
        let mut edit = sheet.begin(state).await?;
        db::reorder_activities(edit.tx(), &ids).await?;
        edit.commit().await?;
    }
    Ok(Redirect::to(&sheet.url(&format!("/roles#activite-{id}"))).into_response())
}

pub async fn activity_up(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    move_activity(&state, &sheet, id, true).await
}

pub async fn activity_down(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    move_activity(&state, &sheet, id, false).await
}

pub async fn confirm_delete_activity(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (_, a) = activity(&state, &sheet, id).await?;
    sheet.confirm(
        "Supprimer l’activité",
        format!(
            "L’activité « {} » et ses lettres seront supprimées de la matrice.",
            a.name
        ),
        &format!("/roles/activites/{id}/supprimer"),
        "/roles",
    )
}

pub async fn delete_activity(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    let (_, a) = activity(&state, &sheet, id).await?;
    let mut edit = sheet.begin(&state).await?;
    db::delete_activity(edit.tx(), sheet.product.id, id).await?;
    version::touch(edit.tx(), Counter::Raci(sheet.product.id)).await?;
    edit.record(
        Entity::Activity,
        id,
        Action::ActivityDelete,
        &[subject("Activité", &a.name)],
    )
    .await?;
    edit.finish(
        Flash::success(format!("Activité « {} » supprimée.", a.name)),
        "/roles#matrice",
    )
    .await
}
