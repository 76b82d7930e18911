//! A product's roadmaps: the list, creation, the roadmap page and its own fields (window,
//! margin, priority objectives), versioned.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, model::subject},
    auth::extract::session_error,
    error::{AppError, AppResult},
    indicators::{self, db::Objective},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{
        Choice, FieldErrors, Flash, Form, Path, Query,
        conflict::Conflict,
        filters,
        version::{Stale, Version},
    },
};

use super::share::{NEW_LINK_KEY, link_shows};
use super::{
    db::LinkContent,
    db::{self, Roadmap},
    form::{RoadmapForm, month_value, window_fields},
    model::{DEFAULT_SHARE_DAYS, Scale, current, standing},
    views::*,
};
use crate::web::filters::today;

pub(crate) async fn roadmap(
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

/// The roadmap `id` among the product's roadmaps as `planned` read them, or 404.
pub(crate) fn find(planned: &[db::Planned], id: Uuid) -> AppResult<&db::Planned> {
    planned
        .iter()
        .find(|p| p.roadmap.id == id)
        .ok_or(AppError::NotFound)
}

/// The roadmap's view; `all` are the product's roadmaps (for its standing among them).
pub(crate) fn view(
    all: &[Roadmap],
    planned: &db::Planned,
    objectives: &[Objective],
    scale: Scale,
) -> RoadmapView {
    let roadmap = &planned.roadmap;
    let standing = standing(all, |r| r.window, today());
    let is_current = standing.current().map(|r| r.id) == Some(roadmap.id);
    let mut view = RoadmapView::build(
        roadmap,
        objectives,
        &planned.initiatives,
        &planned.risks,
        scale,
        today(),
        is_current,
    );
    // The roadmap the product's pages show when none is in progress says why, in their words.
    if standing.roadmap().map(|r| r.id) == Some(roadmap.id) {
        view.standing_note = standing.note(|r| r.window);
    }
    view
}

pub(crate) fn scale(query: &ViewQuery) -> Scale {
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
    // The link just created is shown once.
    let new_link: Option<String> =
        crate::web::flash::take_once(&sheet.viewer.session, NEW_LINK_KEY)
            .await
            .map_err(session_error)?;
    let page = roadmap_page(&state, sheet, id, scale(&query), new_link, None).await?;
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

pub(crate) async fn roadmap_page(
    state: &AppState,
    sheet: ProductSheet,
    id: Uuid,
    scale: Scale,
    new_link: Option<String>,
    refused: Option<ShareInput>,
) -> AppResult<RoadmapPage> {
    let (planned, objectives) = db::planned(&state.db, sheet.product.id).await?;
    let all: Vec<Roadmap> = planned.iter().map(|p| p.roadmap.clone()).collect();
    let shown = find(&planned, id)?;
    let roadmap_view = view(&all, shown, &objectives, scale);
    let r = &shown.roadmap;
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
                    views: l.views + state.traffic.pending(l.id),
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
