//! People, activities and the RACI matrix (versioned, validated in place), and its CSV export.

use std::collections::HashMap;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, Field, FieldChange, model::subject},
    error::{AppError, AppResult, ResultExt},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{
        Choice, FieldErrors, Flash, Form, Path,
        conflict::Conflict,
        csv::CsvWriter,
        version::{self, Counter, Stale, Version},
    },
};

use super::{
    db::{self, Activity, Person},
    form::{MatrixForm, PersonForm},
    model::{Letter, ROLE_TITLES, Team, validate},
    views::*,
};

/// What the page shows in each cell: what was typed (after an error) or what is saved.
enum Shown<'a> {
    Saved(&'a HashMap<(Uuid, Uuid), Letter>),
    Typed(&'a HashMap<(Uuid, Uuid), String>),
}

struct PageState<'a> {
    shown: Shown<'a>,
    version: String,
    form_error: Option<String>,
    conflict: Option<Conflict>,
}

async fn roles_page(
    state: &AppState,
    sheet: ProductSheet,
    s: PageState<'_>,
) -> AppResult<RolesPage> {
    let product_id = sheet.product.id;
    let people = db::people(&state.db, product_id).await?;
    let activities = db::activities(&state.db, product_id).await?;
    let saved = db::cells(&state.db, product_id).await?;
    let accounts = db::linkable_accounts(&state.db).await?;
    let facts: Vec<_> = people.iter().map(Person::facts).collect();
    let rows_for_validation: Vec<(Uuid, String)> =
        activities.iter().map(|a| (a.id, a.name.clone())).collect();
    // Validation always describes what is saved: the matrix in place.
    let report = validate(&rows_for_validation, &facts, &saved);
    let issue_for_person = |p: &Person| {
        report
            .warnings
            .iter()
            .filter(|w| w.person == Some(p.id) && w.activity.is_none())
            .map(|w| w.message.clone())
            .collect::<Vec<_>>()
    };
    let groups = Team::ALL
        .iter()
        .map(|team| TeamGroup {
            label: team.label(),
            people: people
                .iter()
                .filter(|p| p.team == *team)
                .map(|p| PersonRow {
                    id: p.id.to_string(),
                    name: p.name.clone(),
                    organisation: p.organisation.clone(),
                    role_title: p.role_title.clone(),
                    allocation: p
                        .allocation
                        .map(|a| format!("{a} %"))
                        .unwrap_or_else(|| "—".into()),
                    expectations: p.expectations.clone(),
                    email: p.email.clone(),
                    account: p
                        .user_id
                        .and_then(|id| accounts.iter().find(|a| a.id == id))
                        .map(|a| a.name.clone()),
                    can_edit: p.can_edit,
                    warnings: issue_for_person(p),
                })
                .collect(),
        })
        .collect();
    let count = activities.len();
    let rows = activities
        .iter()
        .enumerate()
        .map(|(i, a)| MatrixRow {
            id: a.id.to_string(),
            name: a.name.clone(),
            cells: people
                .iter()
                .map(|p| MatrixCell {
                    name: format!("cell-{}-{}", a.id, p.id),
                    value: match &s.shown {
                        Shown::Saved(cells) => cells
                            .get(&(a.id, p.id))
                            .map(|l| l.code().to_owned())
                            .unwrap_or_default(),
                        Shown::Typed(typed) => {
                            typed.get(&(a.id, p.id)).cloned().unwrap_or_default()
                        }
                    },
                    label: format!("{} pour « {} »", p.name, a.name),
                })
                .collect(),
            errors: report
                .errors
                .iter()
                .filter(|e| e.activity == Some(a.id))
                .map(|e| e.message.clone())
                .collect(),
            warnings: report
                .warnings
                .iter()
                .filter(|w| w.activity == Some(a.id))
                .map(|w| w.message.clone())
                .collect(),
            first: i == 0,
            last: i + 1 == count,
        })
        .collect();
    let summary = |issues: &[super::model::Issue]| {
        issues
            .iter()
            .map(|i| SummaryIssue {
                anchor: i
                    .activity
                    .map(|a| format!("activite-{a}"))
                    .or(i.person.map(|p| format!("personne-{p}"))),
                message: i.message.clone(),
            })
            .collect()
    };
    let (slug, name) = sheet.names();
    Ok(RolesPage {
        columns: people
            .iter()
            .map(|p| MatrixColumn {
                name: p.name.clone(),
                team: p.team.label(),
                warning: report.warnings.iter().any(|w| w.person == Some(p.id)),
            })
            .collect(),
        people_count: people.len(),
        started: !saved.is_empty(),
        groups,
        rows,
        errors: summary(&report.errors),
        warnings: summary(&report.warnings),
        version: s.version,
        form_error: s.form_error,
        conflict: s.conflict,
        can_edit: sheet.can_edit,
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
    })
}

pub async fn index(
    State(state): State<AppState>,
    sheet: ProductSheet,
) -> AppResult<impl IntoResponse> {
    let saved = db::cells(&state.db, sheet.product.id).await?;
    let version = db::raci_version(&state.db, sheet.product.id)
        .await?
        .to_string();
    let page = roles_page(
        &state,
        sheet,
        PageState {
            shown: Shown::Saved(&saved),
            version,
            form_error: None,
            conflict: None,
        },
    )
    .await?;
    Ok(page)
}

/// The matrix as rows of "person = letter", for the audit trail and the conflict page.
fn matrix_fields(
    activities: &[Activity],
    people: &[Person],
    cells: &HashMap<(Uuid, Uuid), Letter>,
) -> Vec<Field> {
    activities
        .iter()
        .map(|a| {
            let letters = people
                .iter()
                .filter_map(|p| {
                    cells
                        .get(&(a.id, p.id))
                        .map(|l| format!("{} : {}", p.name, l.code()))
                })
                .collect::<Vec<_>>()
                .join(", ");
            Field {
                key: "activity",
                label: "Activité",
                value: format!(
                    "{} — {}",
                    a.name,
                    if letters.is_empty() {
                        "(aucune lettre)".into()
                    } else {
                        letters
                    }
                ),
            }
        })
        .collect()
}

pub async fn save_matrix(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let product_id = sheet.product.id;
    let people = db::people(&state.db, product_id).await?;
    let activities = db::activities(&state.db, product_id).await?;
    let form = MatrixForm::from_pairs(
        &pairs,
        &activities.iter().map(|a| a.id).collect::<Vec<_>>(),
        &people.iter().map(|p| p.id).collect::<Vec<_>>(),
    );
    let parsed = form.parse().and_then(|cells| {
        Version::parse(&form.version)
            .map(|sent| (cells, sent))
            .ok_or_else(|| version::MALFORMED.to_owned())
    });
    let (cells, sent) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            let page = roles_page(
                &state,
                sheet,
                PageState {
                    shown: Shown::Typed(&form.typed),
                    version: form.version.clone(),
                    form_error: Some(message),
                    conflict: None,
                },
            )
            .await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let before = db::cells(&state.db, product_id).await?;
    let mut edit = sheet.begin(&state).await?;
    if let Err(Stale) = version::bump(edit.tx(), Counter::Raci(product_id), sent).await? {
        drop(edit);
        let fresh = db::raci_version(&state.db, product_id).await?;
        let conflict = Conflict::load(
            &state.db,
            Entity::Raci,
            product_id,
            &matrix_fields(&activities, &people, &before),
            &matrix_fields(&activities, &people, &cells),
        )
        .await?;
        let page = roles_page(
            &state,
            sheet,
            PageState {
                shown: Shown::Typed(&form.typed),
                version: fresh.to_string(),
                form_error: None,
                conflict: Some(conflict),
            },
        )
        .await?;
        return render(StatusCode::CONFLICT, page);
    }
    db::replace_cells(edit.tx(), product_id, &cells).await?;
    let mut changes = vec![subject("Matrice", "RACI")];
    for a in &activities {
        for p in &people {
            let (old, new) = (before.get(&(a.id, p.id)), cells.get(&(a.id, p.id)));
            if old != new {
                changes.push(FieldChange {
                    field: format!("{}:{}", a.id, p.id),
                    label: format!("{} — {}", a.name, p.name),
                    before: old.map(|l| l.code().to_owned()).unwrap_or_default(),
                    after: new.map(|l| l.code().to_owned()).unwrap_or_default(),
                });
            }
        }
    }
    edit.record(Entity::Raci, product_id, Action::RaciUpdate, &changes)
        .await?;
    edit.finish(
        Flash::success("Matrice RACI enregistrée."),
        "/roles#matrice",
    )
    .await
}

// ---- People ----

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

// ---- Activities ----

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

/// The matrix as CSV: one row per activity, one column per person.
pub async fn export(State(state): State<AppState>, sheet: ProductSheet) -> AppResult<Response> {
    let people = db::people(&state.db, sheet.product.id).await?;
    let activities = db::activities(&state.db, sheet.product.id).await?;
    let cells = db::cells(&state.db, sheet.product.id).await?;
    let mut writer = CsvWriter::new();
    let mut header = vec!["Activité".to_owned()];
    header.extend(
        people
            .iter()
            .map(|p| format!("{} ({})", p.name, p.team.label())),
    );
    writer.row(&header)?;
    for a in &activities {
        let mut row = vec![a.name.clone()];
        row.extend(people.iter().map(|p| {
            cells
                .get(&(a.id, p.id))
                .map(|l| l.code().to_owned())
                .unwrap_or_default()
        }));
        writer.row(&row)?;
    }
    writer.into_download(&format!("raci-{}.csv", sheet.product.input.slug))
}

/// The product sheet's roles section.
pub async fn summary(state: &AppState, product_id: Uuid) -> AppResult<RolesSummary> {
    let people = db::people(&state.db, product_id).await?;
    let activities = db::activities(&state.db, product_id).await?;
    let cells = db::cells(&state.db, product_id).await?;
    let facts: Vec<_> = people.iter().map(Person::facts).collect();
    let report = validate(
        &activities
            .iter()
            .map(|a| (a.id, a.name.clone()))
            .collect::<Vec<_>>(),
        &facts,
        &cells,
    );
    Ok(RolesSummary {
        business_owner: facts
            .iter()
            .find(|p| p.is_business_owner())
            .map(|p| p.name.clone()),
        product_owner: facts
            .iter()
            .find(|p| p.is_product_owner())
            .map(|p| p.name.clone()),
        teams: Team::ALL
            .iter()
            .map(|t| (t.label(), people.iter().filter(|p| p.team == *t).count()))
            .collect(),
        people: people.len(),
        started: !cells.is_empty(),
        problems: report.errors.len(),
    })
}
