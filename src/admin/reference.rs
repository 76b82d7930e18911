//! The reference lists an administrator maintains: directions and life-cycle phases. Items are
//! renamed, reordered and added; never deleted, since products point to them.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    auth::{AdminOnly, Viewer, extract::session_error},
    error::{AppError, AppResult, ResultExt},
    products::{db as products_db, model::RefItem},
    state::AppState,
    web::{Flash, Form, Layout, Path},
};

pub const NAME_MAX: usize = 60;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RefList {
    Directions,
    Phases,
}

impl RefList {
    fn parse(segment: &str) -> AppResult<Self> {
        match segment {
            "directions" => Ok(Self::Directions),
            "phases" => Ok(Self::Phases),
            _ => Err(AppError::NotFound),
        }
    }

    pub fn segment(self) -> &'static str {
        match self {
            Self::Directions => "directions",
            Self::Phases => "phases",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Directions => "Directions",
            Self::Phases => "Phases du cycle de vie",
        }
    }

    pub fn item(self) -> &'static str {
        match self {
            Self::Directions => "direction",
            Self::Phases => "phase",
        }
    }

    async fn items(self, db: &sqlx::PgPool) -> sqlx::Result<Vec<RefItem>> {
        match self {
            Self::Directions => products_db::directions(db).await,
            Self::Phases => products_db::phases(db).await,
        }
    }

    /// Adds an item at the end; fails on the list's unique-name constraint.
    async fn add(self, tx: &mut PgConnection, name: &str, optional: bool) -> sqlx::Result<()> {
        match self {
            Self::Directions => {
                sqlx::query!(
                    "insert into directions (name, position) select $1, coalesce(max(position), 0) + 1 from directions",
                    name
                )
                .execute(tx)
                .await?;
            }
            Self::Phases => {
                sqlx::query!(
                    "insert into phases (name, position, optional) select $1, coalesce(max(position), 0) + 1, $2 from phases",
                    name,
                    optional
                )
                .execute(tx)
                .await?;
            }
        }
        Ok(())
    }

    async fn rename(
        self,
        tx: &mut PgConnection,
        id: Uuid,
        name: &str,
        optional: bool,
    ) -> sqlx::Result<u64> {
        let done =
            match self {
                Self::Directions => {
                    sqlx::query!(
                        "update directions set name = $2, updated_at = now() where id = $1",
                        id,
                        name
                    )
                    .execute(tx)
                    .await?
                }
                Self::Phases => sqlx::query!(
                    "update phases set name = $2, optional = $3, updated_at = now() where id = $1",
                    id,
                    name,
                    optional
                )
                .execute(tx)
                .await?,
            };
        Ok(done.rows_affected())
    }

    /// Stores `ids` as the new order.
    async fn reorder(self, tx: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<()> {
        match self {
            Self::Directions => {
                sqlx::query!(
                    "update directions d set position = x.position::int, updated_at = now()
                     from unnest($1::uuid[]) with ordinality as x(id, position) where d.id = x.id",
                    ids
                )
                .execute(tx)
                .await?;
            }
            Self::Phases => {
                sqlx::query!(
                    "update phases p set position = x.position::int, updated_at = now()
                     from unnest($1::uuid[]) with ordinality as x(id, position) where p.id = x.id",
                    ids
                )
                .execute(tx)
                .await?;
            }
        }
        Ok(())
    }

    fn unique_constraint(self) -> &'static str {
        match self {
            Self::Directions => "directions_name_key",
            Self::Phases => "phases_name_key",
        }
    }
}

/// A form's error, shown next to the field it concerns, with what was typed.
pub struct RowError {
    /// The item's id, or "nouveau" for the add form.
    pub target: String,
    pub message: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "admin/reference.html")]
pub struct ReferencePage {
    pub layout: Layout,
    pub list: RefList,
    pub items: Vec<RefItem>,
    pub error: Option<RowError>,
}

impl ReferencePage {
    /// The value to show in the field of `target`: what was typed if it was refused.
    pub fn value_for(&self, target: &str, saved: &str) -> String {
        match &self.error {
            Some(e) if e.target == target => e.value.clone(),
            _ => saved.to_owned(),
        }
    }

    pub fn error_for(&self, target: &str) -> Option<&String> {
        self.error
            .as_ref()
            .filter(|e| e.target == target)
            .map(|e| &e.message)
    }
}

async fn page(
    state: &AppState,
    viewer: Viewer,
    list: RefList,
    error: Option<RowError>,
) -> AppResult<Response> {
    let items = list.items(&state.db).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ReferencePage {
        layout: viewer.layout.in_section("admin"),
        list,
        items,
        error,
    };
    Ok((status, page).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path(segment): Path<String>,
) -> AppResult<Response> {
    page(&state, viewer, RefList::parse(&segment)?, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    name: String,
    optional: Option<String>,
}

fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        Err("Saisissez un nom.".into())
    } else if name.chars().count() > NAME_MAX {
        Err(format!(
            "Le nom doit compter au plus {NAME_MAX} caractères."
        ))
    } else {
        Ok(name.to_owned())
    }
}

async fn done(viewer: &Viewer, list: RefList, message: String) -> AppResult<Response> {
    Flash::success(message)
        .push(&viewer.session)
        .await
        .map_err(session_error)?;
    Ok(Redirect::to(&format!("/admin/{}", list.segment())).into_response())
}

/// Runs a write, turning the unique-name violation into a message next to the field.
async fn save(
    state: &AppState,
    viewer: Viewer,
    list: RefList,
    target: String,
    form: NameForm,
    write: impl AsyncFnOnce(&mut PgConnection, &str) -> sqlx::Result<u64>,
    success: impl FnOnce(&str) -> String,
) -> AppResult<Response> {
    let name = match check_name(&form.name) {
        Ok(name) => name,
        Err(message) => {
            return page(
                state,
                viewer,
                list,
                Some(RowError {
                    target,
                    message,
                    value: form.name,
                }),
            )
            .await;
        }
    };
    let mut tx = state.db.begin().await?;
    match write(&mut tx, &name)
        .await
        .unless_violates(list.unique_constraint())?
    {
        Some(0) => Err(AppError::NotFound),
        Some(_) => {
            // Names and order show on every product's pages.
            crate::portfolio::db::touch_all(&mut *tx).await?;
            tx.commit().await?;
            done(&viewer, list, success(&name)).await
        }
        None => {
            let message = format!(
                "Ce nom est déjà pris par une autre {} de la liste.",
                list.item()
            );
            page(
                state,
                viewer,
                list,
                Some(RowError {
                    target,
                    message,
                    value: form.name,
                }),
            )
            .await
        }
    }
}

pub async fn add(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path(segment): Path<String>,
    Form(form): Form<NameForm>,
) -> AppResult<Response> {
    let list = RefList::parse(&segment)?;
    let optional = form.optional.is_some();
    save(
        &state,
        viewer,
        list,
        "nouveau".into(),
        form,
        async |tx, name| list.add(tx, name, optional).await.map(|()| 1),
        |name| format!("« {name} » a été ajoutée à la liste."),
    )
    .await
}

pub async fn rename(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path((segment, id)): Path<(String, Uuid)>,
    Form(form): Form<NameForm>,
) -> AppResult<Response> {
    let list = RefList::parse(&segment)?;
    let optional = form.optional.is_some();
    save(
        &state,
        viewer,
        list,
        id.to_string(),
        form,
        async |tx, name| list.rename(tx, id, name, optional).await,
        |name| format!("Enregistré : « {name} »."),
    )
    .await
}

async fn shift(
    state: &AppState,
    AdminOnly(viewer): AdminOnly,
    segment: &str,
    id: Uuid,
    up: bool,
) -> AppResult<Response> {
    let list = RefList::parse(segment)?;
    let mut tx = state.db.begin().await?;
    let mut ids: Vec<Uuid> = list
        .items(&state.db)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    if !ids.contains(&id) {
        return Err(AppError::NotFound);
    }
    if crate::web::shift(&mut ids, id, up) {
        list.reorder(&mut tx, &ids).await?;
        crate::portfolio::db::touch_all(&mut *tx).await?;
    }
    tx.commit().await?;
    done(&viewer, list, "Ordre enregistré.".into()).await
}

pub async fn move_up(
    State(state): State<AppState>,
    admin: AdminOnly,
    Path((segment, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    shift(&state, admin, &segment, id, true).await
}

pub async fn move_down(
    State(state): State<AppState>,
    admin: AdminOnly,
    Path((segment, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    shift(&state, admin, &segment, id, false).await
}

crate::impl_page!(ReferencePage);
