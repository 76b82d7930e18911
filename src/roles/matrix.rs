//! The roles page: the RACI matrix (versioned, validated in place) and its CSV export.

use std::collections::HashMap;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{
    audit::{Action, Entity, Field, FieldChange, model::subject},
    error::AppResult,
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{
        Flash, Form,
        conflict::Conflict,
        csv::CsvWriter,
        version::{self, Counter, Stale, Version},
    },
};

use super::{
    db::{self, Activity, Person},
    form::MatrixForm,
    model::{Letter, Team, validate},
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
    matrix: &db::Matrix,
    s: PageState<'_>,
) -> AppResult<RolesPage> {
    let (people, activities, saved) = (&matrix.people, &matrix.activities, &matrix.cells);
    let accounts = db::linkable_accounts(&state.db).await?;
    let facts: Vec<_> = people.iter().map(Person::facts).collect();
    let rows_for_validation: Vec<(Uuid, String)> =
        activities.iter().map(|a| (a.id, a.name.clone())).collect();
    // Validation always describes what is saved: the matrix in place.
    let report = validate(&rows_for_validation, &facts, saved);
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
    let matrix = db::matrix(&state.db, sheet.product.id).await?;
    let page = roles_page(
        &state,
        sheet,
        &matrix,
        PageState {
            shown: Shown::Saved(&matrix.cells),
            version: matrix.version.to_string(),
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
    let saved = db::matrix(&state.db, product_id).await?;
    let (people, activities, before) = (&saved.people, &saved.activities, &saved.cells);
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
                &saved,
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
    let mut edit = sheet.begin(&state).await?;
    if let Err(Stale) = version::bump(edit.tx(), Counter::Raci(product_id), sent).await? {
        drop(edit);
        // Someone saved meanwhile: the page shows their matrix's version and checks.
        let fresh = db::matrix(&state.db, product_id).await?;
        let conflict = Conflict::load(
            &state.db,
            Entity::Raci,
            product_id,
            &matrix_fields(activities, people, before),
            &matrix_fields(activities, people, &cells),
        )
        .await?;
        let page = roles_page(
            &state,
            sheet,
            &fresh,
            PageState {
                shown: Shown::Typed(&form.typed),
                version: fresh.version.to_string(),
                form_error: None,
                conflict: Some(conflict),
            },
        )
        .await?;
        return render(StatusCode::CONFLICT, page);
    }
    db::replace_cells(edit.tx(), product_id, &cells).await?;
    let mut changes = vec![subject("Matrice", "RACI")];
    for a in activities {
        for p in people {
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

/// The matrix as CSV: one row per activity, one column per person.
pub async fn export(State(state): State<AppState>, sheet: ProductSheet) -> AppResult<Response> {
    let db::Matrix {
        people,
        activities,
        cells,
        ..
    } = db::matrix(&state.db, sheet.product.id).await?;
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
