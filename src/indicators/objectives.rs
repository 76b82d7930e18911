//! The indicators page and its objectives: added, renamed, reordered, deleted.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, FieldChange, model::subject},
    error::{AppError, AppResult},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{FieldErrors, Flash, Form, Path},
};

use super::{
    db::{self, Objective},
    form::ObjectiveForm,
    views::*,
};
use crate::web::filters::today;

async fn index_page(
    state: &AppState,
    sheet: ProductSheet,
    objective_form: ObjectiveForm,
    errors: FieldErrors,
) -> AppResult<IndexPage> {
    let (objectives, indicators) =
        db::objectives_and_indicators(&state.db, sheet.product.id, None).await?;
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
