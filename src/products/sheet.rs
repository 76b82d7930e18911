//! The product list and the product sheet.

use std::sync::Arc;

use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{
    auth::{Viewer, model::Role},
    error::AppResult,
    state::AppState,
    web::{etag::ETag, filters},
};

use super::{
    db,
    extract::ProductSheet,
    model::{Decision, ProductInput, Rgaa},
    views::*,
};
use crate::web::filters::today;

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

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    sheet: ProductSheet,
) -> AppResult<Response> {
    // What the sheet shows follows from who looks at it, the product's revision (moved by every
    // change to any section) and the day (statuses that fall due).
    let product = &sheet.product;
    let etag = ETag::for_viewer(
        &sheet.viewer,
        &[
            &sheet.can_edit.to_string(),
            &product.id.to_string(),
            &product.version.to_string(),
            &product.updated_at.to_rfc3339(),
            &product.revision.to_string(),
            &today().to_string(),
        ],
    );
    if let Some(not_modified) = ETag::fresh(etag.as_ref(), &headers) {
        return Ok(not_modified);
    }
    if let Some(page) = state.pages.hit(etag.as_ref()) {
        return Ok(page);
    }
    let Sections {
        vision,
        indicators,
        objective_count,
        roadmap,
        roles,
    } = (*sections(&state, product.id, product.revision).await?).clone();

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
        phase_history: p
            .phase_history
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
        members: p.member_names,
        vision,
        indicators,
        objective_count,
        roadmap,
        roles,
    };
    state.pages.keep(etag, &page)
}

/// The sheet's sections for this revision of the product, today: read (four statements) only
/// when the product changed since the last view on this instance, or the day did.
async fn sections(state: &AppState, product: Uuid, revision: i64) -> AppResult<Arc<Sections>> {
    let day = today();
    if let Some(kept) = state.sheets.get(product, revision, day) {
        return Ok(kept);
    }
    let vision = crate::vision::section::summary(state, product).await?;
    let (objectives, indicators) =
        crate::indicators::db::objectives_and_indicators(&state.db, product, None).await?;
    let sections = Arc::new(Sections {
        vision,
        indicators: indicators
            .iter()
            .map(|i| crate::indicators::views::IndicatorSummary::new(i, today()))
            .collect(),
        objective_count: objectives.len(),
        roadmap: crate::roadmaps::section::summary(state, product).await?,
        roles: crate::roles::section::summary(state, product).await?,
    });
    // Kept under the revision read with the product, before the sections: if a change came in
    // between, the next view reads a newer revision and reads the sections again.
    state
        .sheets
        .put(product, revision, day, Arc::clone(&sections));
    Ok(sections)
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
