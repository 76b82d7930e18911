//! Who may edit the sheet: the people of the product linked to an account.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::{Action, Entity, FieldChange},
    error::{AppError, AppResult},
    state::AppState,
    web::render,
    web::{Choice, Flash, Form},
};

use super::{
    db,
    extract::{EditSheet, ProductSheet},
    views::*,
};

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
