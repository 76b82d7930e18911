//! A product's own fields: created, edited (versioned).

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, FieldChange},
    auth::{Viewer, model::Role},
    error::{AppError, AppResult, ResultExt},
    state::AppState,
    web::render,
    web::{
        Choice, FieldErrors, Flash, Form, Layout,
        conflict::Conflict,
        version::{Stale, Version},
    },
};

use super::{
    db,
    extract::{EditSheet, ProductSheet},
    model::{PhaseChangeInput, ProductForm, ProductInput, RefItem, Rgaa, Typology},
    views::*,
};
use crate::web::filters::today;

/// The first entry of every product's phase history.
pub const REGISTERED: &str = "Produit enregistré dans Boussole.";
const SLUG_TAKEN: &str =
    "Cet identifiant d’adresse est déjà utilisé par un autre produit : choisissez-en un autre.";

#[allow(clippy::too_many_arguments)]
fn form_page(
    layout: Layout,
    title: String,
    action: String,
    cancel: String,
    form: ProductForm,
    errors: FieldErrors,
    directions: &[RefItem],
    phases: Option<&[RefItem]>,
    conflict: Option<Conflict>,
) -> ProductFormPage {
    ProductFormPage {
        directions: Choice::list(
            directions
                .iter()
                .map(|d| (d.id.to_string(), d.name.clone())),
            &form.direction_id,
        ),
        typologies: Choice::list(Typology::options(), &form.typology),
        rgaa: Choice::list(Rgaa::options(), &form.rgaa),
        phases: phases.map(|phases| {
            Choice::list(
                phases.iter().map(|p| {
                    (
                        p.id.to_string(),
                        if p.optional {
                            format!("{} (facultative)", p.name)
                        } else {
                            p.name.clone()
                        },
                    )
                }),
                &form.phase_id,
            )
        }),
        layout,
        title,
        action,
        cancel,
        form,
        errors,
        conflict,
        similar: Vec::new(),
    }
}

fn require_creator(viewer: &Viewer) -> AppResult<()> {
    if viewer.user.role == Role::Reader {
        Err(AppError::Forbidden)
    } else {
        Ok(())
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> AppResult<impl IntoResponse> {
    require_creator(&viewer)?;
    let directions = db::directions(&state.db).await?;
    let phases = db::phases(&state.db).await?;
    let form = ProductForm {
        rgaa: Rgaa::Non.code().into(),
        phase_id: phases.first().map(|p| p.id.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    let page = form_page(
        viewer.layout.in_section("produits"),
        "Créer un produit".into(),
        "/produits".into(),
        "/produits".into(),
        form,
        FieldErrors::new(),
        &directions,
        Some(&phases),
        None,
    );
    Ok(page)
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ProductForm>,
) -> AppResult<Response> {
    require_creator(&viewer)?;
    let directions = db::directions(&state.db).await?;
    let phases = db::phases(&state.db).await?;
    let parsed = form.parse(&directions, today());
    let phase = Uuid::parse_str(form.phase_id.trim())
        .ok()
        .and_then(|id| phases.iter().find(|p| p.id == id));
    let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
    if phase.is_none() {
        errors.insert(
            "phase_id",
            "Choisissez la phase actuelle du produit.".into(),
        );
    }
    let mut similar = Vec::new();
    if let (Ok(input), Some(phase)) = (&parsed, phase) {
        if form.distinct.is_none() {
            similar = db::similar_names(&state.db, &input.name).await?;
        }
        if !similar.is_empty() {
            errors.insert(
                "name",
                "Un produit au nom proche existe déjà : vérifiez qu’il ne s’agit pas du même, ou confirmez qu’il s’agit d’un autre produit.".into(),
            );
        } else if db::slug_taken(&state.db, &input.slug, None).await? {
            errors.insert("slug", SLUG_TAKEN.into());
        } else {
            match insert_product(&state, &viewer, input, phase, &directions)
                .await
                .unless_violates("products_slug_key")?
            {
                Some(()) => {
                    viewer
                        .flash(Flash::success(format!(
                            "Le produit « {} » a été créé.",
                            input.name
                        )))
                        .await?;
                    return Ok(Redirect::to(&format!("/produits/{}", input.slug)).into_response());
                }
                None => {
                    errors.insert("slug", SLUG_TAKEN.into());
                }
            }
        }
    }
    let mut page = form_page(
        viewer.layout.in_section("produits"),
        "Créer un produit".into(),
        "/produits".into(),
        "/produits".into(),
        form,
        errors,
        &directions,
        Some(&phases),
        None,
    );
    page.similar = similar;
    render(StatusCode::UNPROCESSABLE_ENTITY, page)
}

async fn insert_product(
    state: &AppState,
    viewer: &Viewer,
    input: &ProductInput,
    phase: &RefItem,
    directions: &[RefItem],
) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let id = db::insert(&mut tx, input, phase.id, today(), viewer.user.id).await?;
    let first = PhaseChangeInput {
        phase_id: phase.id,
        changed_on: today(),
        comment: REGISTERED.into(),
        decision: None,
    };
    db::record_phase_change(&mut tx, id, None, &first, viewer.user.id).await?;
    if viewer.user.role == Role::Editor {
        // Whoever creates a product can edit it.
        db::add_member(&mut tx, id, viewer.user.id).await?;
    }
    let mut changes = audit::model::created(&input.fields(directions));
    changes.push(FieldChange {
        field: "phase".into(),
        label: "Phase".into(),
        before: String::new(),
        after: phase.name.clone(),
    });
    audit::db::record(
        &mut tx,
        &viewer.user,
        id,
        Entity::Product,
        id,
        Action::Create,
        &changes,
    )
    .await?;
    crate::portfolio::health::refresh(&mut tx, Some(&[id]), today()).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn edit_form(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
) -> AppResult<impl IntoResponse> {
    let directions = db::directions(&state.db).await?;
    let form = ProductForm::from_input(&sheet.product.input, sheet.product.version);
    let (action, cancel) = (sheet.url("/modifier"), sheet.url(""));
    let page = form_page(
        sheet.viewer.layout.in_section("produits"),
        format!("Modifier « {} »", sheet.product.input.name),
        action,
        cancel,
        form,
        FieldErrors::new(),
        &directions,
        None,
        None,
    );
    Ok(page)
}

pub async fn update(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(mut form): Form<ProductForm>,
) -> AppResult<Response> {
    let directions = db::directions(&state.db).await?;
    let before = &sheet.product;
    let title = format!("Modifier « {} »", before.input.name);
    let mut errors = FieldErrors::new();
    match Version::with(form.parse(&directions, today()), &form.version) {
        Err(e) => errors = e,
        Ok((input, _))
            if input.slug != before.input.slug
                && db::slug_taken(&state.db, &input.slug, Some(before.id)).await? =>
        {
            errors.insert("slug", SLUG_TAKEN.into());
        }
        Ok((input, version)) => {
            let changes = audit::model::diff(
                &before.input.fields(&directions),
                &input.fields(&directions),
            );
            if changes.is_empty() && version.number() == before.version {
                sheet
                    .flash(Flash::info("Aucune modification à enregistrer."))
                    .await?;
                return Ok(Redirect::to(&sheet.url("")).into_response());
            }
            let mut edit = sheet.begin(&state).await?;
            let updated = db::update(edit.tx(), before.id, version, &input)
                .await
                .unless_violates("products_slug_key")?;
            match updated {
                None => {
                    errors.insert("slug", SLUG_TAKEN.into());
                }
                Some(Err(Stale)) => {
                    drop(edit);
                    return conflict_page(&state, sheet, form, input, &directions).await;
                }
                Some(Ok(())) => {
                    if input.slug != before.input.slug {
                        db::remember_old_slug(
                            edit.tx(),
                            before.id,
                            &before.input.slug,
                            &input.slug,
                        )
                        .await?;
                    }
                    edit.record(Entity::Product, before.id, Action::Update, &changes)
                        .await?;
                    edit.commit().await?;
                    sheet
                        .flash(Flash::success("Les modifications ont été enregistrées."))
                        .await?;
                    return Ok(Redirect::to(&format!("/produits/{}", input.slug)).into_response());
                }
            }
        }
    }
    form.version = form.version.trim().to_owned();
    let (action, cancel) = (sheet.url("/modifier"), sheet.url(""));
    let page = form_page(
        sheet.viewer.layout.in_section("produits"),
        title,
        action,
        cancel,
        form,
        errors,
        &directions,
        None,
        None,
    );
    render(StatusCode::UNPROCESSABLE_ENTITY, page)
}

/// Someone saved first: show what they saved beside what this person typed, and offer the
/// form again, filled with this person's input, on the fresh version.
async fn conflict_page(
    state: &AppState,
    sheet: ProductSheet,
    mut form: ProductForm,
    yours: ProductInput,
    directions: &[RefItem],
) -> AppResult<Response> {
    let fresh = db::find_by_slug(&state.db, &sheet.product.input.slug, None).await?;
    let fresh = match fresh {
        Some(fresh) => fresh,
        // Renamed meanwhile: find it through its old slug.
        None => {
            let slug = db::renamed_to(&state.db, &sheet.product.input.slug)
                .await?
                .ok_or(AppError::NotFound)?;
            db::find_by_slug(&state.db, &slug, None)
                .await?
                .ok_or(AppError::NotFound)?
        }
    };
    let conflict = Conflict::load(
        &state.db,
        Entity::Product,
        fresh.id,
        &fresh.input.fields(directions),
        &yours.fields(directions),
    )
    .await?;
    form.version = fresh.version.to_string();
    let page = form_page(
        sheet.viewer.layout.in_section("produits"),
        format!("Modifier « {} »", fresh.input.name),
        format!("/produits/{}/modifier", fresh.input.slug),
        format!("/produits/{}", fresh.input.slug),
        form,
        FieldErrors::new(),
        directions,
        None,
        Some(conflict),
    );
    render(StatusCode::CONFLICT, page)
}
