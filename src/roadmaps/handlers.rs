//! Roadmap pages and forms (versioned), share links, the public page and the portfolio timeline.

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Duration, Utc};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, FieldChange, model::subject},
    auth::extract::session_error,
    error::{AppError, AppResult},
    indicators::{self, db::Objective},
    products::{
        self,
        extract::{EditSheet, ProductSheet},
    },
    state::AppState,
    web::render,
    web::{
        Choice, FieldErrors, Flash, Form, Layout, Path, Query,
        conflict::Conflict,
        filters,
        form::Warnings,
        security::ClientIp,
        version::{self, Counter, Stale, Version},
    },
};

use super::{
    db::{self, Initiative, Roadmap},
    db::{LinkContent, NewLink},
    form::{
        InitiativeForm, RiskForm, RoadmapForm, initiative_warnings, month_value, window_fields,
    },
    model::{
        DEFAULT_SHARE_DAYS, InitiativeKind, InitiativeStatus, Level, RiskKind, RiskStatus, Scale,
        current, month_label, standing,
    },
    views::*,
};
use crate::web::filters::today;

/// Requests per minute and client address on public links.
pub const PUBLIC_RATE_LIMIT: i32 = 60;
const NEW_LINK_KEY: &str = "share_url";

async fn roadmap(
    state: &AppState,
    sheet: &ProductSheet,
    id: Uuid,
) -> AppResult<(Vec<Roadmap>, Roadmap)> {
    let all = db::roadmaps(&state.db, sheet.product.id).await?;
    let found = all
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((all, found))
}

fn past_list(all: &[Roadmap]) -> Vec<PastRoadmap> {
    let current_id = current(all, |r| r.window, today()).map(|r| r.id);
    all.iter()
        .map(|r| PastRoadmap {
            id: r.id.to_string(),
            window: r.window.label(),
            current: Some(r.id) == current_id,
        })
        .collect()
}

fn priorities_text(roadmap: &Roadmap, objectives: &[Objective]) -> String {
    roadmap
        .priorities
        .iter()
        .filter_map(|id| objectives.iter().find(|o| o.id == *id))
        .map(|o| o.title.as_str())
        .collect::<Vec<_>>()
        .join(" ; ")
}

// ---- List and creation ----

async fn index_page(
    state: &AppState,
    sheet: ProductSheet,
    form: NewRoadmapForm,
    errors: FieldErrors,
) -> AppResult<RoadmapsPage> {
    let all = db::roadmaps(&state.db, sheet.product.id).await?;
    let (slug, name) = sheet.names();
    Ok(RoadmapsPage {
        roadmaps: past_list(&all),
        can_edit: sheet.can_edit,
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        form,
        errors,
    })
}

pub async fn index(
    State(state): State<AppState>,
    sheet: ProductSheet,
) -> AppResult<impl IntoResponse> {
    let start = super::model::first_of_month(today());
    let end = start
        .checked_add_months(chrono::Months::new(2))
        .unwrap_or(start);
    let form = NewRoadmapForm {
        start_month: month_value(start),
        end_month: month_value(end),
        margin: "20".into(),
    };
    index_page(&state, sheet, form, FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = RoadmapForm::from_pairs(&pairs);
    let input = match form.parse(&[]) {
        Ok(input) => input,
        Err(errors) => {
            let typed = NewRoadmapForm {
                start_month: form.start_month,
                end_month: form.end_month,
                margin: form.margin,
            };
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                index_page(&state, sheet, typed, errors).await?,
            );
        }
    };
    let mut edit = sheet.begin(&state).await?;
    let id = db::insert_roadmap(
        edit.tx(),
        sheet.product.id,
        input.window,
        input.margin,
        sheet.viewer.user.id,
    )
    .await?;
    let mut changes = vec![subject("Roadmap", &input.window.label())];
    changes.extend(audit::model::created(&window_fields(
        input.window,
        input.margin,
        "",
    )));
    edit.record(Entity::Roadmap, id, Action::RoadmapCreate, &changes)
        .await?;
    edit.finish(
        Flash::success(format!(
            "Roadmap {} créée : ajoutez ses objectifs prioritaires et ses initiatives.",
            input.window.label()
        )),
        &format!("/roadmaps/{id}"),
    )
    .await
}

// ---- The roadmap page ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ViewQuery {
    vue: String,
}

async fn view(
    state: &AppState,
    product_id: Uuid,
    all: &[Roadmap],
    roadmap: &Roadmap,
    scale: Scale,
) -> AppResult<RoadmapView> {
    let objectives = indicators::db::objectives(&state.db, product_id).await?;
    let initiatives = db::initiatives(&state.db, roadmap.id).await?;
    let risks = db::risks(&state.db, roadmap.id).await?;
    let standing = standing(all, |r| r.window, today());
    let is_current = standing.current().map(|r| r.id) == Some(roadmap.id);
    let mut view = RoadmapView::build(
        roadmap,
        &objectives,
        &initiatives,
        &risks,
        scale,
        today(),
        is_current,
    );
    // The roadmap the product's pages show when none is in progress says why, in their words.
    if standing.roadmap().map(|r| r.id) == Some(roadmap.id) {
        view.standing_note = standing.note(|r| r.window);
    }
    Ok(view)
}

fn scale(query: &ViewQuery) -> Scale {
    if query.vue == "semaines" {
        Scale::Week
    } else {
        Scale::Month
    }
}

pub async fn show(
    State(state): State<AppState>,
    sheet: ProductSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Query(query): Query<ViewQuery>,
) -> AppResult<impl IntoResponse> {
    let (all, r) = roadmap(&state, &sheet, id).await?;
    // The link just created is shown once.
    let new_link: Option<String> =
        crate::web::flash::take_once(&sheet.viewer.session, NEW_LINK_KEY)
            .await
            .map_err(session_error)?;
    let page = roadmap_page(&state, sheet, all, r, scale(&query), new_link, None).await?;
    Ok(page)
}

/// What was typed in the share form, kept when it is refused.
pub struct ShareInput {
    pub label: String,
    pub days: String,
    pub cible: String,
    pub content: LinkContent,
    pub error: String,
}

async fn roadmap_page(
    state: &AppState,
    sheet: ProductSheet,
    all: Vec<Roadmap>,
    r: Roadmap,
    scale: Scale,
    new_link: Option<String>,
    refused: Option<ShareInput>,
) -> AppResult<RoadmapPage> {
    let roadmap_view = view(state, sheet.product.id, &all, &r, scale).await?;
    let links = if sheet.can_edit {
        db::links(&state.db, sheet.product.id).await?
    } else {
        Vec::new()
    };
    let max_days = db::share_max_days(&state.db).await?;
    let now = Utc::now();
    let (slug, name) = sheet.names();
    let (share_label, share_days, share_current, share_content, share_error) = match refused {
        Some(input) => (
            input.label,
            input.days,
            input.cible == "courante",
            input.content,
            Some(input.error),
        ),
        None => (
            String::new(),
            DEFAULT_SHARE_DAYS.min(max_days).to_string(),
            false,
            LinkContent {
                show_vision: true,
                show_indicators: true,
                contact_id: None,
            },
            None,
        ),
    };
    let contacts = if sheet.can_edit {
        let people = crate::roles::db::people(&state.db, sheet.product.id).await?;
        let selected = share_content
            .contact_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        Choice::list(
            people.iter().map(|p| {
                let label = if p.role_title.is_empty() {
                    p.name.clone()
                } else {
                    format!("{} — {}", p.name, p.role_title)
                };
                (p.id.to_string(), label)
            }),
            &selected,
        )
    } else {
        Vec::new()
    };
    Ok(RoadmapPage {
        roadmaps: past_list(&all),
        version: r.version,
        links: links
            .into_iter()
            .map(|l| {
                let active = l.revoked_at.is_none() && l.expires_at > now;
                LinkRow {
                    id: l.id.to_string(),
                    label: if l.label.is_empty() {
                        "(sans libellé)".into()
                    } else {
                        l.label
                    },
                    target: match l.roadmap_id.and_then(|id| all.iter().find(|r| r.id == id)) {
                        Some(r) => format!("Roadmap {}", r.window.label()),
                        None => "Roadmap courante".into(),
                    },
                    creator: l.created_by.unwrap_or_default(),
                    created: filters::date_short(filters::paris_day(l.created_at)),
                    expires: filters::date_short(filters::paris_day(l.expires_at)),
                    views: l.views,
                    last_view: l
                        .last_viewed_at
                        .map(filters::datetime_short)
                        .unwrap_or_else(|| "—".into()),
                    status: if l.revoked_at.is_some() {
                        "Révoqué"
                    } else if active {
                        "Actif"
                    } else {
                        "Expiré"
                    },
                    shows: link_shows(l.show_vision, l.show_indicators, l.contact_id.is_some()),
                    active,
                }
            })
            .collect(),
        new_link,
        share_days,
        share_max_days: max_days,
        share_label,
        share_current,
        share_vision: share_content.show_vision,
        share_indicators: share_content.show_indicators,
        contacts,
        share_error,
        base: format!("/produits/{}/roadmaps/{}", sheet.product.input.slug, r.id),
        days_hint: format!("Entre 1 et {max_days} jours."),
        can_edit: sheet.can_edit,
        roadmap: roadmap_view,
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
    })
}

/// The product sheet's roadmap section: the current roadmap, if any.
pub async fn summary(
    state: &AppState,
    product_id: Uuid,
    objectives: &[Objective],
) -> AppResult<Option<RoadmapView>> {
    let all = db::roadmaps(&state.db, product_id).await?;
    let standing = standing(&all, |r| r.window, today());
    let Some(r) = standing.roadmap() else {
        return Ok(None);
    };
    let initiatives = db::initiatives(&state.db, r.id).await?;
    let risks = db::risks(&state.db, r.id).await?;
    let mut view = RoadmapView::build(
        r,
        objectives,
        &initiatives,
        &risks,
        Scale::Month,
        today(),
        standing.current().is_some(),
    );
    view.standing_note = standing.note(|r| r.window);
    Ok(Some(view))
}

// ---- The roadmap's own fields ----

fn roadmap_form_page(
    sheet: ProductSheet,
    r: &Roadmap,
    objectives: &[Objective],
    form: &RoadmapForm,
    errors: FieldErrors,
    conflict: Option<Conflict>,
) -> RoadmapFormPage {
    let (slug, name) = sheet.names();
    RoadmapFormPage {
        layout: sheet.viewer.layout.in_section("produits"),
        slug,
        name,
        id: r.id.to_string(),
        start_month: form.start_month.clone(),
        end_month: form.end_month.clone(),
        margin: form.margin.clone(),
        version: form.version.clone(),
        priorities: objectives
            .iter()
            .map(|o| PriorityChoice {
                id: o.id.to_string(),
                title: o.title.clone(),
                rank: form.rank_of(o.id),
            })
            .collect(),
        errors,
        conflict,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let (_, r) = roadmap(&state, &sheet, id).await?;
    let objectives = indicators::db::objectives(&state.db, sheet.product.id).await?;
    let form = RoadmapForm {
        start_month: month_value(r.window.start),
        end_month: month_value(r.window.end),
        margin: r.margin.to_string(),
        version: r.version.to_string(),
        ranks: r
            .priorities
            .iter()
            .enumerate()
            .map(|(n, id)| (id.to_string(), (n + 1).to_string()))
            .collect(),
    };
    Ok(roadmap_form_page(
        sheet,
        &r,
        &objectives,
        &form,
        FieldErrors::new(),
        None,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (_, before) = roadmap(&state, &sheet, id).await?;
    let objectives = indicators::db::objectives(&state.db, sheet.product.id).await?;
    let mut form = RoadmapForm::from_pairs(&pairs);
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    let (input, sent) = match Version::with(form.parse(&ids), &form.version) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                roadmap_form_page(sheet, &before, &objectives, &form, errors, None),
            );
        }
    };
    let titles = |p: &[Uuid]| {
        p.iter()
            .filter_map(|id| objectives.iter().find(|o| o.id == *id))
            .map(|o| o.title.as_str())
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    let yours = window_fields(input.window, input.margin, &titles(&input.priorities));
    let mut edit = sheet.begin(&state).await?;
    if let Err(Stale) = db::update_roadmap(
        edit.tx(),
        id,
        sent,
        input.window,
        input.margin,
        &input.priorities,
    )
    .await?
    {
        drop(edit);
        let (_, fresh) = roadmap(&state, &sheet, id).await?;
        let conflict = Conflict::load(
            &state.db,
            Entity::Roadmap,
            id,
            &window_fields(
                fresh.window,
                fresh.margin,
                &priorities_text(&fresh, &objectives),
            ),
            &yours,
        )
        .await?;
        form.version = fresh.version.to_string();
        return render(
            StatusCode::CONFLICT,
            roadmap_form_page(
                sheet,
                &fresh,
                &objectives,
                &form,
                FieldErrors::new(),
                Some(conflict),
            ),
        );
    }
    let mut changes = vec![subject("Roadmap", &input.window.label())];
    changes.extend(audit::model::diff(
        &window_fields(
            before.window,
            before.margin,
            &priorities_text(&before, &objectives),
        ),
        &yours,
    ));
    edit.record(Entity::Roadmap, id, Action::RoadmapUpdate, &changes)
        .await?;
    edit.finish(
        Flash::success("Roadmap enregistrée."),
        &format!("/roadmaps/{id}"),
    )
    .await
}

// ---- Initiatives and risks: both take the roadmap's version ----

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
            db::initiatives(&state.db, id)
                .await?
                .into_iter()
                .find(|i| i.id == iid)
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
            Some(iid) => db::initiatives(&state.db, id)
                .await?
                .into_iter()
                .find(|i| i.id == iid),
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
    let i = db::initiatives(&state.db, id)
        .await?
        .into_iter()
        .find(|i| i.id == iid)
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
            db::risks(&state.db, id)
                .await?
                .into_iter()
                .find(|x| x.id == rid)
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
            Some(rid) => db::risks(&state.db, id)
                .await?
                .into_iter()
                .find(|x| x.id == rid)
                .map(|x| x.fields()),
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
    let risk = db::risks(&state.db, id)
        .await?
        .into_iter()
        .find(|x| x.id == rid)
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
    let i = db::initiatives(&state.db, roadmap(&state, &sheet, id).await?.1.id)
        .await?
        .into_iter()
        .find(|i| i.id == iid)
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
    let i = db::initiatives(&state.db, r.id)
        .await?
        .into_iter()
        .find(|i| i.id == iid)
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
    let x = db::risks(&state.db, roadmap(&state, &sheet, id).await?.1.id)
        .await?
        .into_iter()
        .find(|x| x.id == rid)
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
    let x = db::risks(&state.db, r.id)
        .await?
        .into_iter()
        .find(|x| x.id == rid)
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

// ---- Share links ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShareForm {
    label: String,
    days: String,
    /// A roadmap id, or `courante`.
    cible: String,
    /// Checkboxes: include the vision statement, the indicators.
    vision: Option<String>,
    indicateurs: Option<String>,
    /// A person of the product, or empty.
    contact: String,
}

impl ShareForm {
    fn content(&self) -> LinkContent {
        LinkContent {
            show_vision: self.vision.is_some(),
            show_indicators: self.indicateurs.is_some(),
            contact_id: Uuid::parse_str(self.contact.trim()).ok(),
        }
    }
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// "Vision, indicateurs, contact": what a link shows besides the roadmap.
fn link_shows(vision: bool, indicators: bool, contact: bool) -> String {
    let parts: Vec<&str> = [
        (vision, "vision"),
        (indicators, "indicateurs"),
        (contact, "contact"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if parts.is_empty() {
        "roadmap seule".into()
    } else {
        format!("roadmap, {}", parts.join(", "))
    }
}

pub async fn create_link(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<ShareForm>,
) -> AppResult<Response> {
    let (all, r) = roadmap(&state, &sheet, id).await?;
    let max = db::share_max_days(&state.db).await?;
    let days = match form.days.trim().parse::<i64>() {
        Ok(d) if (1..=max).contains(&d) => d,
        _ => {
            let error = format!(
                "Saisissez une validité du lien entre 1 et {max} jours (maximum fixé par l’administration)."
            );
            let content = form.content();
            let input = ShareInput {
                label: form.label,
                days: form.days,
                cible: form.cible,
                content,
                error,
            };
            let page = roadmap_page(&state, sheet, all, r, Scale::Month, None, Some(input)).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let target = if form.cible == "courante" {
        None
    } else {
        Some(r.id)
    };
    let label: String = form.label.trim().chars().take(120).collect();
    let what = link_target(&r, target);
    issue_link(
        &state,
        &sheet,
        &r,
        what,
        &label,
        target,
        days,
        form.content(),
    )
    .await
}

/// A new link with the settings of an earlier one (whose address, shown once, may be lost).
pub async fn renew_link(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, lid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<Response> {
    let (all, r) = roadmap(&state, &sheet, id).await?;
    let link = db::links(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .find(|l| l.id == lid)
        .ok_or(AppError::NotFound)?;
    // The audit names the roadmap the link shows, which may not be the page's.
    let shown = link
        .roadmap_id
        .and_then(|target| all.iter().find(|x| x.id == target))
        .unwrap_or(&r);
    let what = link_target(shown, link.roadmap_id);
    let max = db::share_max_days(&state.db).await?;
    let days = (link.expires_at - link.created_at).num_days().clamp(1, max);
    let content = LinkContent {
        show_vision: link.show_vision,
        show_indicators: link.show_indicators,
        contact_id: link.contact_id,
    };
    issue_link(
        &state,
        &sheet,
        &r,
        what,
        &link.label,
        link.roadmap_id,
        days,
        content,
    )
    .await
}

/// How the audit trail names what a link shows.
fn link_target(r: &Roadmap, target: Option<Uuid>) -> String {
    match target {
        Some(_) => format!("roadmap {}", r.window.label()),
        None => "roadmap courante".into(),
    }
}

/// Creates a link, records it, and shows its address once on the roadmap page `r`.
#[allow(clippy::too_many_arguments)]
async fn issue_link(
    state: &AppState,
    sheet: &ProductSheet,
    r: &Roadmap,
    what: String,
    label: &str,
    target: Option<Uuid>,
    days: i64,
    mut content: LinkContent,
) -> AppResult<Response> {
    // A contact is one of the product's people (a stale or forged id: no contact).
    if let Some(contact) = content.contact_id {
        let people = crate::roles::db::people(&state.db, sheet.product.id).await?;
        content.contact_id = people.iter().any(|p| p.id == contact).then_some(contact);
    }
    // 256 random bits, shown once; only the hash is kept.
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut edit = sheet.begin(state).await?;
    let expires = Utc::now() + Duration::days(days);
    let hash = token_hash(&token);
    let link = db::create_link(
        edit.tx(),
        &NewLink {
            product_id: sheet.product.id,
            roadmap_id: target,
            token_hash: &hash,
            label,
            created_by: sheet.viewer.user.id,
            expires_at: expires,
            content,
        },
    )
    .await?;
    let changes = [
        subject(
            "Lien",
            &if label.is_empty() {
                what.clone()
            } else {
                format!("{label}, {what}")
            },
        ),
        FieldChange {
            field: "shows".into(),
            label: "Contenu".into(),
            before: String::new(),
            after: link_shows(
                content.show_vision,
                content.show_indicators,
                content.contact_id.is_some(),
            ),
        },
        FieldChange {
            field: "expires".into(),
            label: "Expire le".into(),
            before: String::new(),
            after: filters::date_short(filters::paris_day(expires)),
        },
    ];
    edit.record(Entity::ShareLink, link, Action::ShareCreate, &changes)
        .await?;
    edit.commit().await?;
    let url = format!("{}/r/{token}", state.config.base_url);
    sheet
        .viewer
        .session
        .insert(NEW_LINK_KEY, url)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to(&sheet.url(&format!("/roadmaps/{}#partage", r.id))).into_response())
}

pub async fn confirm_revoke(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, lid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<impl IntoResponse> {
    let link = db::links(&state.db, sheet.product.id)
        .await?
        .into_iter()
        .find(|l| l.id == lid)
        .ok_or(AppError::NotFound)?;
    let base = format!("/roadmaps/{id}");
    let label = if link.label.is_empty() {
        "sans libellé".to_owned()
    } else {
        link.label
    };
    sheet.confirm_as(
        "Révoquer le lien",
        "Révoquer le lien de partage",
        format!(
            "Le lien « {label} » cessera immédiatement de fonctionner pour tous ceux qui l’ont reçu. Cette action est définitive."
        ),
        &format!("{base}/partages/{lid}/revoquer"),
        &base,
    )
}

pub async fn revoke(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id, lid)): Path<(String, Uuid, Uuid)>,
) -> AppResult<Response> {
    let mut edit = sheet.begin(&state).await?;
    let label = db::revoke_link(edit.tx(), sheet.product.id, lid)
        .await?
        .ok_or(AppError::NotFound)?;
    edit.record(
        Entity::ShareLink,
        lid,
        Action::ShareRevoke,
        &[subject(
            "Lien",
            if label.is_empty() {
                "sans libellé"
            } else {
                &label
            },
        )],
    )
    .await?;
    edit.finish(
        Flash::success("Lien révoqué : il ne fonctionne plus."),
        &format!("/roadmaps/{id}#partage"),
    )
    .await
}

// ---- The public page ----

fn public_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `/r/{token}`: the roadmap, read-only, for anyone holding a valid link.
pub async fn public(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    Query(query): Query<ViewQuery>,
) -> AppResult<Response> {
    if db::hit(&state.db, &ip).await? > f64::from(PUBLIC_RATE_LIMIT) {
        return Err(AppError::TooManyRequests {
            message: "Trop de consultations depuis votre adresse : réessayez dans une minute."
                .into(),
            retry_after: 60,
        });
    }
    let layout = Layout::public(&state.assets);
    // Any malformed token is simply unknown: the same page as a revoked or expired one.
    let well_formed = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let link = if well_formed {
        db::open_link(&state.db, &token_hash(&token)).await?
    } else {
        None
    };
    let Some(db::OpenLink {
        product_id,
        roadmap_id,
        content,
    }) = link
    else {
        let page = GonePage { layout };
        return Ok(public_headers(
            (StatusCode::NOT_FOUND, page).into_response(),
        ));
    };
    let (name, updated) = products::db::name_and_last_change(&state.db, product_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all = db::roadmaps(&state.db, product_id).await?;
    let chosen = match roadmap_id {
        Some(id) => all.iter().find(|r| r.id == id),
        // "The current roadmap": the one the product's pages show (current, else next, else last).
        None => standing(&all, |r| r.window, today()).roadmap(),
    };
    let roadmap = match chosen {
        Some(r) => Some(view(&state, product_id, &all, r, scale(&query)).await?),
        None => None,
    };
    let statement = if content.show_vision {
        crate::vision::handlers::summary(&state, product_id)
            .await?
            .statement
    } else {
        String::new()
    };
    let indicators = if content.show_indicators {
        indicators::db::indicators(&state.db, product_id, None)
            .await?
            .iter()
            .map(|i| indicators::views::IndicatorSummary::new(i, today()))
            .collect()
    } else {
        Vec::new()
    };
    let contact = match content.contact_id {
        Some(id) => crate::roles::db::people(&state.db, product_id)
            .await?
            .into_iter()
            .find(|p| p.id == id),
        None => None,
    };
    let page = PublicPage {
        layout,
        name,
        updated: filters::datetime_short(updated),
        statement,
        indicators,
        contact,
        roadmap,
        view_base: format!("/r/{token}"),
    };
    Ok(public_headers(page.into_response()))
}

// ---- Portfolio timeline ----

pub async fn timeline(
    State(state): State<AppState>,
    viewer: crate::auth::Viewer,
    Query(query): Query<crate::portfolio::model::DashboardQuery>,
) -> AppResult<impl IntoResponse> {
    let filters = crate::portfolio::model::Filters::parse(&query);
    let rows = crate::portfolio::rows(&state).await?;
    let selection = crate::portfolio::model::select(rows, &filters);
    let today = today();
    let summaries = db::all_roadmaps(&state.db).await?;
    let mut with = Vec::new();
    let mut without = Vec::new();
    for row in &selection.rows {
        let mine: Vec<&db::RoadmapSummary> = summaries
            .iter()
            .filter(|s| s.product_id == row.id)
            .collect();
        match current(&mine, |s| s.window, today) {
            Some(s) => with.push((row, *s)),
            None => without.push(format!(
                "{} — {}",
                row.name,
                standing(&mine, |s| s.window, today)
                    .note(|s| s.window)
                    .unwrap_or_default()
            )),
        }
    }
    let start = with
        .iter()
        .map(|(_, s)| s.window.start)
        .min()
        .unwrap_or(super::model::first_of_month(today));
    let end = with
        .iter()
        .map(|(_, s)| s.window.end)
        .max()
        .unwrap_or(start)
        .min(
            start
                .checked_add_months(chrono::Months::new(11))
                .unwrap_or(start),
        );
    let span = super::model::Window { start, end };
    let months = span.months();
    let columns = months
        .iter()
        .map(|m| CalendarColumn {
            label: month_label(*m),
            current: *m == super::model::first_of_month(today),
        })
        .collect();
    let count = months.len();
    let rows = with
        .into_iter()
        .filter_map(|(row, s)| {
            let p = super::model::place(&span, Scale::Month, s.window.start, s.window.last_day())?;
            let counted = s.initiatives - s.dropped;
            Some(TimelineRow {
                slug: row.slug.clone(),
                name: row.name.clone(),
                before: p.first,
                span: p.span,
                after: count.saturating_sub(p.first + p.span),
                window: s.window.label(),
                done: if counted > 0 {
                    format!("{} % des initiatives terminées", s.done * 100 / counted)
                } else {
                    "aucune initiative".into()
                },
            })
        })
        .collect();
    let page = TimelinePage {
        layout: viewer.layout.in_section("portefeuille"),
        columns,
        rows,
        without,
        query: filters.query(None),
    };
    Ok(page)
}
