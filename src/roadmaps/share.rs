//! Share links (created, renewed, revoked by editors) and the public read-only page they open.

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Duration, Utc};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    audit::{Action, Entity, FieldChange, model::subject},
    auth::extract::session_error,
    error::{AppError, AppResult},
    indicators::{self},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::render,
    web::{Flash, Form, Layout, Path, Query, etag::ETag, filters, security::ClientIp},
};

use super::roadmap::{ShareInput, ViewQuery, roadmap, roadmap_page, scale, view};
use super::{
    db::{self, Roadmap},
    db::{LinkContent, NewLink},
    model::{Scale, standing},
    views::*,
};
use crate::web::filters::today;

/// Requests per minute and client address on public links.
pub const PUBLIC_RATE_LIMIT: i32 = 60;
pub(crate) const NEW_LINK_KEY: &str = "share_url";

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
pub(crate) fn link_shows(vision: bool, indicators: bool, contact: bool) -> String {
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
    let (_, r) = roadmap(&state, &sheet, id).await?;
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
            let page = roadmap_page(&state, sheet, r.id, Scale::Month, None, Some(input)).await?;
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
    let link = db::link(&state.db, sheet.product.id, lid)
        .await?
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
    let link = db::link(&state.db, sheet.product.id, lid)
        .await?
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
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// `/r/{token}`: the roadmap, read-only, for anyone holding a valid link.
fn too_many_requests() -> AppError {
    AppError::TooManyRequests {
        message: "Trop de consultations depuis votre adresse : réessayez dans une minute.".into(),
        retry_after: 60,
    }
}

pub async fn public(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    Query(query): Query<ViewQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let now = Utc::now();
    if state.traffic.hit(&ip, now) > f64::from(PUBLIC_RATE_LIMIT) {
        return Err(too_many_requests());
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
        id,
        product_id,
        roadmap_id,
        content,
        name,
        updated,
        revision,
    }) = link
    else {
        // A guess, or a link that ended: limited where every instance counts it.
        if db::hit(&state.db, &ip).await? > f64::from(PUBLIC_RATE_LIMIT) {
            return Err(too_many_requests());
        }
        let page = GonePage { layout };
        return Ok(public_headers(
            (StatusCode::NOT_FOUND, page).into_response(),
        ));
    };
    state.traffic.view(id, now);
    // Everything the page shows follows from these: a client holding this version gets a 304
    // without anything else read or rendered.
    let etag = ETag::of(&[
        &layout.assets,
        &id.to_string(),
        &format!("{roadmap_id:?} {content:?} {:?}", scale(&query)),
        &updated.to_rfc3339(),
        &revision.to_string(),
        &today().to_string(),
    ]);
    if etag.matches(&headers) {
        return Ok(public_headers(etag.not_modified()));
    }
    // Rendered before for this validator (by anyone: the page is the same for every visitor).
    if let Some(page) = state.pages.hit(Some(&etag)) {
        return Ok(public_headers(page));
    }
    let shared = db::shared(&state.db, product_id, &content).await?;
    let all: Vec<Roadmap> = shared.roadmaps.iter().map(|p| p.roadmap.clone()).collect();
    let chosen = match roadmap_id {
        Some(id) => shared.roadmaps.iter().find(|p| p.roadmap.id == id),
        // "The current roadmap": the one the product's pages show (current, else next, else last).
        None => standing(&all, |r| r.window, today())
            .roadmap()
            .and_then(|r| shared.roadmaps.iter().find(|p| p.roadmap.id == r.id)),
    };
    let roadmap = chosen.map(|p| view(&all, p, &shared.objectives, scale(&query)));
    let indicators = shared
        .indicators
        .iter()
        .map(|i| indicators::views::IndicatorSummary::new(i, today()))
        .collect();
    let page = PublicPage {
        layout,
        name,
        updated: filters::datetime_short(updated),
        statement: shared.statement,
        indicators,
        contact: shared.contact,
        roadmap,
        view_base: format!("/r/{token}"),
    };
    Ok(public_headers(state.pages.keep(Some(etag), &page)?))
}
