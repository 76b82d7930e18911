//! Product sheet handlers: create, show, edit (versioned), archive / restore, phase changes,
//! members and history. Every write is audited in its own transaction.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, FieldChange},
    auth::{Viewer, model::Role},
    error::{AppError, AppResult, ResultExt},
    state::AppState,
    web::render,
    web::{
        Choice, FieldErrors, Flash, Form, Layout, Query,
        conflict::Conflict,
        filters,
        version::{Stale, Version},
    },
};

use super::{
    db,
    extract::{EditSheet, ProductSheet},
    model::{
        Decision, PhaseChangeInput, PhaseForm, ProductForm, ProductInput, RefItem, Rgaa, Typology,
    },
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

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<impl IntoResponse> {
    let products = db::list(&state.db)
        .await?
        .into_iter()
        .map(|p| ListRow {
            slug: p.slug,
            name: p.name,
            description: p.description,
            archived: p.archived,
        })
        .collect();
    let can_create = viewer.user.role != Role::Reader;
    Ok(ListPage {
        layout: viewer.layout.in_section("produits"),
        products,
        can_create,
    })
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
    tx.commit().await?;
    Ok(())
}

pub async fn show(
    State(state): State<AppState>,
    sheet: ProductSheet,
) -> AppResult<impl IntoResponse> {
    let history = db::phase_history(&state.db, sheet.product.id).await?;
    let members = db::members(&state.db, sheet.product.id).await?;
    let vision = crate::vision::handlers::summary(&state, sheet.product.id).await?;
    let indicators = crate::indicators::db::indicators(&state.db, sheet.product.id, None).await?;
    let objectives = crate::indicators::db::objectives(&state.db, sheet.product.id).await?;
    let objective_count = objectives.len();
    let roadmap = crate::roadmaps::section::summary(&state, sheet.product.id, &objectives).await?;
    let roles = crate::roles::handlers::summary(&state, sheet.product.id).await?;

    let p = sheet.product;
    let input = &p.input;
    let mut links = Vec::new();
    for (label, url) in [
        ("Site du produit", &input.public_url),
        ("Dépôt de code", &input.repository_url),
        ("Statistiques", &input.stats_url),
    ] {
        if let Some(url) = url {
            links.push(Link {
                label,
                url: url.clone(),
            });
        }
    }
    let page = SheetPage {
        layout: sheet.viewer.layout.in_section("produits"),
        slug: input.slug.clone(),
        name: input.name.clone(),
        description: input.description.clone(),
        direction: p.direction_name.clone(),
        typology: input.typology.label().into(),
        phase: p.phase_name.clone(),
        phase_since: filters::date_short(p.phase_since),
        days_in_phase: (today() - p.phase_since).num_days(),
        archived: p.archived,
        links,
        compliance: compliance_badges(input),
        updated: filters::datetime_short(p.updated_at),
        can_edit: sheet.can_edit,
        phase_history: history
            .into_iter()
            .map(|c| PhaseRow {
                date: filters::date_short(c.changed_on),
                from: c.from_phase,
                to: c.phase,
                decision: c
                    .decision
                    .as_deref()
                    .and_then(Decision::parse)
                    .map(|d| d.label().to_owned()),
                comment: c.comment,
                by: c.changed_by.unwrap_or_else(|| "—".into()),
            })
            .collect(),
        members: members.into_iter().map(|m| m.name).collect(),
        vision,
        indicators: indicators
            .iter()
            .map(|i| crate::indicators::views::IndicatorSummary::new(i, today()))
            .collect(),
        objective_count,
        roadmap,
        roles,
    };
    Ok(page)
}

pub fn compliance_badges(input: &ProductInput) -> Vec<Badge> {
    let rgaa_kind = match input.rgaa {
        Rgaa::Total => "success",
        Rgaa::Partiel => "warning",
        Rgaa::Non => "error",
    };
    vec![
        Badge {
            label: format!("RGAA : {}", input.rgaa.label().to_lowercase()),
            kind: rgaa_kind,
        },
        Badge {
            label: if input.dsfr {
                "DSFR".into()
            } else {
                "Sans DSFR".into()
            },
            kind: if input.dsfr { "success" } else { "warning" },
        },
        Badge {
            label: match input.homologation_date {
                Some(date) if input.homologated => {
                    format!("Homologué le {}", filters::date_short(date))
                }
                _ if input.homologated => "Homologué".into(),
                _ => "Non homologué".into(),
            },
            kind: if input.homologated {
                "success"
            } else {
                "error"
            },
        },
        Badge {
            label: if input.rgpd_register {
                "Registre RGPD".into()
            } else {
                "Hors registre RGPD".into()
            },
            kind: if input.rgpd_register {
                "success"
            } else {
                "error"
            },
        },
    ]
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
    let fresh = db::find_by_slug(&state.db, &sheet.product.input.slug).await?;
    let fresh = match fresh {
        Some(fresh) => fresh,
        // Renamed meanwhile: find it through its old slug.
        None => {
            let slug = db::renamed_to(&state.db, &sheet.product.input.slug)
                .await?
                .ok_or(AppError::NotFound)?;
            db::find_by_slug(&state.db, &slug)
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

async fn members_page(
    state: &AppState,
    sheet: ProductSheet,
    error: Option<String>,
) -> AppResult<MembersPage> {
    let members = db::members(&state.db, sheet.product.id).await?;
    let candidates = if sheet.can_edit {
        db::member_candidates(&state.db, sheet.product.id).await?
    } else {
        Vec::new()
    };
    Ok(MembersPage {
        slug: sheet.product.input.slug.clone(),
        name: sheet.product.input.name.clone(),
        members: members
            .into_iter()
            .map(|m| MemberRow {
                user_id: m.user_id.to_string(),
                name: m.name,
                email: m.email,
                active: m.active,
            })
            .collect(),
        candidates: Choice::list(
            candidates
                .into_iter()
                .map(|c| (c.user_id.to_string(), format!("{} ({})", c.name, c.email))),
            "",
        ),
        can_edit: sheet.can_edit,
        error,
        layout: sheet.viewer.layout.in_section("produits"),
    })
}

pub async fn members(
    State(state): State<AppState>,
    sheet: ProductSheet,
) -> AppResult<impl IntoResponse> {
    members_page(&state, sheet, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MemberForm {
    user_id: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<MemberForm>,
) -> AppResult<Response> {
    let user_id = Uuid::parse_str(form.user_id.trim()).ok();
    let mut edit = sheet.begin(&state).await?;
    let added = match user_id {
        Some(id) => db::add_member(edit.tx(), sheet.product.id, id).await?,
        None => None,
    };
    let Some(name) = added else {
        drop(edit);
        let page = members_page(
            &state,
            sheet,
            Some("Choisissez un éditeur actif qui ne peut pas encore modifier la fiche.".into()),
        )
        .await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, page);
    };
    let changes = [FieldChange {
        field: "member".into(),
        label: "Membre".into(),
        before: String::new(),
        after: name.clone(),
    }];
    edit.record(
        Entity::Member,
        user_id.unwrap_or_default(),
        Action::AddMember,
        &changes,
    )
    .await?;
    edit.finish(
        Flash::success(format!("{name} peut désormais modifier ce produit.")),
        "/membres",
    )
    .await
}

pub async fn remove_member(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<MemberForm>,
) -> AppResult<Response> {
    let user_id = Uuid::parse_str(form.user_id.trim()).map_err(|_| AppError::NotFound)?;
    let mut edit = sheet.begin(&state).await?;
    let name = db::remove_member(edit.tx(), sheet.product.id, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let changes = [FieldChange {
        field: "member".into(),
        label: "Membre".into(),
        before: name.clone(),
        after: String::new(),
    }];
    edit.record(Entity::Member, user_id, Action::RemoveMember, &changes)
        .await?;
    edit.finish(Flash::success(format!(
            "{name} ne peut plus modifier ce produit (la personne reste dans la liste des personnes du produit)."
        )), "/membres").await
}

pub const HISTORY_PAGE_SIZE: i64 = 30;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HistoryQuery {
    page: Option<String>,
}

pub async fn history(
    State(state): State<AppState>,
    sheet: ProductSheet,
    Query(query): Query<HistoryQuery>,
) -> AppResult<impl IntoResponse> {
    let page = query
        .page
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let mut events = audit::db::product_history(
        &state.db,
        sheet.product.id,
        HISTORY_PAGE_SIZE + 1,
        (page - 1) * HISTORY_PAGE_SIZE,
    )
    .await?;
    let has_next = events.len() as i64 > HISTORY_PAGE_SIZE;
    events.truncate(HISTORY_PAGE_SIZE as usize);
    let page = HistoryPage {
        slug: sheet.product.input.slug.clone(),
        name: sheet.product.input.name.clone(),
        events: events
            .into_iter()
            .map(|e| HistoryRow {
                when: filters::datetime_short(e.at),
                sentence: audit::model::sentence(&e.actor_name, &e.action, &e.changes),
                changes: e.changes,
            })
            .collect(),
        page,
        has_next,
        layout: sheet.viewer.layout.in_section("produits"),
    };
    Ok(page)
}
