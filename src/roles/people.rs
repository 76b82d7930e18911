//! The people of a product: added, edited, removed.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, Field, model::subject},
    error::{AppError, AppResult, ResultExt},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{
        Choice, FieldErrors, Flash, Form, Path,
        version::{self, Counter},
    },
};

use super::{
    db::{self, Person},
    form::PersonForm,
    model::{ROLE_TITLES, Team},
    views::*,
};

fn person_page(
    sheet: ProductSheet,
    accounts: &[db::LinkableAccount],
    id: Option<Uuid>,
    form: PersonForm,
    errors: FieldErrors,
) -> PersonFormPage {
    let (slug, name) = sheet.names();
    PersonFormPage {
        title: if id.is_some() {
            "Modifier une personne".into()
        } else {
            "Ajouter une personne".into()
        },
        action: match id {
            Some(id) => format!("/produits/{slug}/roles/personnes/{id}/modifier"),
            None => format!("/produits/{slug}/roles/personnes"),
        },
        teams: Choice::list(Team::options(), &form.team),
        accounts: Choice::list(
            accounts.iter().map(|a| (a.id.to_string(), a.name.clone())),
            &form.user_id,
        ),
        role_titles: &ROLE_TITLES,
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        form,
        errors,
    }
}

pub async fn new_person(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
) -> AppResult<impl IntoResponse> {
    let accounts = db::linkable_accounts(&state.db).await?;
    Ok(person_page(
        sheet,
        &accounts,
        None,
        PersonForm::default(),
        FieldErrors::new(),
    ))
}

fn person_fields(p: &Person, accounts: &[db::LinkableAccount]) -> Vec<Field> {
    let account = p
        .user_id
        .map(|id| {
            accounts
                .iter()
                .find(|a| a.id == id)
                .map_or_else(|| "Oui".to_owned(), |a| a.name.clone())
        })
        .unwrap_or_else(|| "Non".to_owned());
    vec![
        Field::new("name", "Nom", &p.name),
        Field::new("organisation", "Organisation", &p.organisation),
        Field::new("team", "Groupe", p.team.label()),
        Field::new("role_title", "Rôle", &p.role_title),
        Field::new(
            "allocation",
            "Temps consacré",
            p.allocation.map(|a| format!("{a} %")).unwrap_or_default(),
        ),
        Field::new("expectations", "Attentes", &p.expectations),
        Field::new("email", "Adresse électronique", &p.email),
        Field::new("account", "Compte Boussole", account),
        Field::new(
            "can_edit",
            "Peut modifier la fiche",
            if p.can_edit { "Oui" } else { "Non" },
        ),
    ]
}

async fn save_person(
    state: &AppState,
    sheet: ProductSheet,
    id: Option<Uuid>,
    form: PersonForm,
) -> AppResult<Response> {
    let existing = match id {
        Some(id) => Some(
            db::people(&state.db, sheet.product.id)
                .await?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let accounts = db::linkable_accounts(&state.db).await?;
    let known: Vec<(Uuid, bool)> = accounts.iter().map(|a| (a.id, a.can_edit)).collect();
    let person = match form.parse(&known) {
        Ok(person) => person,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                person_page(sheet, &accounts, id, form, errors),
            );
        }
    };
    let mut edit = sheet.begin(state).await?;
    let saved = db::save_person(edit.tx(), sheet.product.id, id, &person)
        .await
        .unless_violates("people_product_user_key")?;
    let Some(saved) = saved else {
        {
            drop(edit);
            let mut errors = FieldErrors::new();
            errors.insert(
                "user_id",
                "Ce compte est déjà relié à une autre personne du produit : modifiez plutôt celle-ci.".into(),
            );
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                person_page(sheet, &accounts, id, form, errors),
            );
        }
    };
    let mut changes = vec![subject("Personne", &person.name)];
    changes.extend(audit::model::diff(
        &existing
            .map(|e| person_fields(&e, &accounts))
            .unwrap_or_default(),
        &person_fields(&person, &accounts),
    ));
    edit.record(Entity::Person, saved, Action::PersonSave, &changes)
        .await?;
    edit.finish(
        Flash::success(format!("{} enregistré·e.", person.name)),
        "/roles",
    )
    .await
}

pub async fn create_person(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<PersonForm>,
) -> AppResult<Response> {
    save_person(&state, sheet, None, form).await
}

pub async fn edit_person(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let p = db::people(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)?;
    let accounts = db::linkable_accounts(&state.db).await?;
    Ok(person_page(
        sheet,
        &accounts,
        Some(id),
        PersonForm::from_person(&p),
        FieldErrors::new(),
    ))
}

pub async fn update_person(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<PersonForm>,
) -> AppResult<Response> {
    save_person(&state, sheet, Some(id), form).await
}

pub async fn confirm_delete_person(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let p = db::people(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)?;
    sheet.confirm(
        "Retirer une personne",
        format!(
            "{} sera retiré·e des personnes du produit, avec ses lettres dans la matrice RACI{}.",
            p.name,
            if p.can_edit {
                " ; son compte ne pourra plus modifier la fiche"
            } else {
                ""
            }
        ),
        &format!("/roles/personnes/{id}/supprimer"),
        "/roles",
    )
}

pub async fn delete_person(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    let p = db::people(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)?;
    let mut edit = sheet.begin(&state).await?;
    db::delete_person(edit.tx(), sheet.product.id, id).await?;
    version::touch(edit.tx(), Counter::Raci(sheet.product.id)).await?;
    edit.record(
        Entity::Person,
        id,
        Action::PersonDelete,
        &[subject("Personne", &p.name)],
    )
    .await?;
    edit.finish(
        Flash::success(format!("{} a été retiré·e.", p.name)),
        "/roles",
    )
    .await
}
