//! The pages where API keys are created, listed and revoked: a product's keys by its editors
//! (`/produits/{slug}/cles-api`), the portfolio's read-only keys by administrators
//! (`/admin/cles-api`). One template serves both.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Days, NaiveDate};
use serde::Deserialize;
use uuid::Uuid;

use super::keys::{self, ApiKey, DEFAULT_DAYS, MAX_DAYS, NewKey, Scope};
use crate::{
    audit::{self, Action, Entity, FieldChange, db::Actor, model::subject},
    auth::{AdminOnly, Viewer, extract::session_error},
    error::{AppError, AppResult},
    products::extract::{EditSheet, ProductSheet},
    state::AppState,
    web::{
        Choice, FieldErrors, Flash, Form, Layout, Path, confirm::ConfirmPage, filters,
        filters::today, form, render,
    },
};

/// The key just created, shown once on the next view of the list.
const NEW_KEY: &str = "new_api_key";
const LABEL_MAX: usize = 120;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct KeyForm {
    label: String,
    scope: String,
    expires: String,
}

pub struct KeyRow {
    pub id: Uuid,
    pub label: String,
    pub prefix: String,
    pub scope: &'static str,
    pub creator: String,
    pub created: String,
    pub expires: String,
    pub last_use: String,
    pub status: &'static str,
    pub active: bool,
}

impl KeyRow {
    fn of(key: ApiKey) -> Self {
        let active = key.active();
        Self {
            id: key.id,
            status: match (key.revoked_at, active) {
                (Some(_), _) => "Révoquée",
                (None, false) => "Expirée",
                (None, true) => "Active",
            },
            active,
            label: key.label,
            prefix: key.prefix,
            scope: key.scope.label(),
            creator: key.creator.unwrap_or_else(|| "—".into()),
            created: filters::date_short(filters::paris_day(key.created_at)),
            expires: filters::date_short(filters::paris_day(
                key.expires_at - chrono::Duration::seconds(1),
            )),
            last_use: match (key.last_used_at, key.last_used_ip) {
                (Some(at), Some(ip)) => format!("{} depuis {ip}", filters::datetime_short(at)),
                (Some(at), None) => filters::datetime_short(at),
                _ => "Jamais utilisée".into(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "api/keys.html")]
pub struct KeysPage {
    layout: Layout,
    /// The product's slug and name; None on the administration's page.
    product: Option<(String, String)>,
    /// Where the list lives: `/produits/{slug}/cles-api` or `/admin/cles-api`.
    base: String,
    keys: Vec<KeyRow>,
    new_key: Option<String>,
    form: KeyForm,
    scopes: Vec<Choice>,
    errors: FieldErrors,
    expires_hint: String,
    base_url: String,
}

/// Whose keys a page manages.
enum Owner<'a> {
    Product(&'a ProductSheet),
    Portfolio(&'a Viewer),
}

impl Owner<'_> {
    fn product_id(&self) -> Option<Uuid> {
        match self {
            Self::Product(sheet) => Some(sheet.product.id),
            Self::Portfolio(_) => None,
        }
    }

    fn viewer(&self) -> &Viewer {
        match self {
            Self::Product(sheet) => &sheet.viewer,
            Self::Portfolio(viewer) => viewer,
        }
    }

    fn base(&self) -> String {
        match self {
            Self::Product(sheet) => sheet.url("/cles-api"),
            Self::Portfolio(_) => "/admin/cles-api".into(),
        }
    }

    async fn page(
        &self,
        state: &AppState,
        form: KeyForm,
        errors: FieldErrors,
    ) -> AppResult<KeysPage> {
        let viewer = self.viewer();
        let new_key: Option<String> = if errors.is_empty() {
            crate::web::flash::take_once(&viewer.session, NEW_KEY)
                .await
                .map_err(session_error)?
        } else {
            None
        };
        let keys = keys::list(&state.db, self.product_id()).await?;
        let (product, layout) = match self {
            Self::Product(sheet) => (
                Some((
                    sheet.product.input.slug.clone(),
                    sheet.product.input.name.clone(),
                )),
                viewer.layout.clone().in_section("produits"),
            ),
            Self::Portfolio(_) => (None, viewer.layout.clone().in_section("admin")),
        };
        let scopes = match self {
            Self::Product(_) => Choice::list(Scope::options(), &form.scope),
            Self::Portfolio(_) => Vec::new(),
        };
        Ok(KeysPage {
            layout,
            product,
            base: self.base(),
            keys: keys.into_iter().map(KeyRow::of).collect(),
            new_key,
            scopes,
            errors,
            expires_hint: format!(
                "Au format JJ/MM/AAAA ; au plus tard le {}. Par défaut, dans un an.",
                filters::date_short(today() + Days::new(MAX_DAYS as u64))
            ),
            form,
            base_url: state.config.base_url.clone(),
        })
    }

    async fn create(&self, state: &AppState, form: KeyForm) -> AppResult<Response> {
        let parsed = parse(&form, today(), matches!(self, Self::Portfolio(_)));
        let (label, scope, expires) = match parsed {
            Ok(parsed) => parsed,
            Err(errors) => {
                return render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    self.page(state, form, errors).await?,
                );
            }
        };
        let viewer = self.viewer();
        let secret = keys::new_secret();
        // The key works through its last day: until midnight in Paris.
        let expires_at = filters::paris_start(expires + Days::new(1));
        let changes = [
            subject("Clé", &keys::describe(&label, &secret.prefix)),
            FieldChange {
                field: "scope".into(),
                label: "Droits".into(),
                before: String::new(),
                after: scope.label().into(),
            },
            FieldChange {
                field: "expires".into(),
                label: "Expire le".into(),
                before: String::new(),
                after: filters::date_short(expires),
            },
        ];
        let new = NewKey {
            product_id: self.product_id(),
            label: &label,
            scope,
            secret: &secret,
            created_by: viewer.user.id,
            expires_at,
        };
        match self {
            Self::Product(sheet) => {
                let mut edit = sheet.begin(state).await?;
                let id = keys::create(edit.tx(), &new).await?;
                edit.record(Entity::ApiKey, id, Action::ApiKeyCreate, &changes)
                    .await?;
                edit.commit().await?;
            }
            Self::Portfolio(_) => {
                let mut tx = state.db.begin().await?;
                let id = keys::create(&mut tx, &new).await?;
                let actor = Actor::user(&viewer.user);
                audit::db::record_by(
                    &mut tx,
                    &actor,
                    None,
                    Entity::ApiKey,
                    id,
                    Action::ApiKeyCreate,
                    &changes,
                )
                .await?;
                tx.commit().await?;
            }
        }
        viewer
            .session
            .insert(NEW_KEY, secret.key)
            .await
            .map_err(session_error)?;
        Ok(Redirect::to(&format!("{}#nouvelle-cle", self.base())).into_response())
    }

    async fn revoke(&self, state: &AppState, id: Uuid) -> AppResult<Response> {
        let message = Flash::success("Clé révoquée : elle ne fonctionne plus.");
        match self {
            Self::Product(sheet) => {
                let mut edit = sheet.begin(state).await?;
                let revoked = keys::revoke(edit.tx(), self.product_id(), id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if revoked.now {
                    let key = keys::describe(&revoked.label, &revoked.prefix);
                    edit.record(
                        Entity::ApiKey,
                        id,
                        Action::ApiKeyRevoke,
                        &[subject("Clé", &key)],
                    )
                    .await?;
                }
                edit.finish(message, "/cles-api").await
            }
            Self::Portfolio(viewer) => {
                let mut tx = state.db.begin().await?;
                let revoked = keys::revoke(&mut tx, None, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if revoked.now {
                    let key = keys::describe(&revoked.label, &revoked.prefix);
                    audit::db::record_by(
                        &mut tx,
                        &Actor::user(&viewer.user),
                        None,
                        Entity::ApiKey,
                        id,
                        Action::ApiKeyRevoke,
                        &[subject("Clé", &key)],
                    )
                    .await?;
                }
                tx.commit().await?;
                viewer.flash(message).await?;
                Ok(Redirect::to("/admin/cles-api").into_response())
            }
        }
    }

    async fn confirm(&self, state: &AppState, id: Uuid) -> AppResult<ConfirmPage> {
        let key = keys::list(&state.db, self.product_id())
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or(AppError::NotFound)?;
        let explanation = format!(
            "La clé {} cessera immédiatement de fonctionner pour tous les programmes qui l’utilisent. Cette action est définitive.",
            keys::describe(&key.label, &key.prefix)
        );
        let base = self.base();
        let (slug, name) = match self {
            Self::Product(sheet) => (
                sheet.product.input.slug.clone(),
                sheet.product.input.name.clone(),
            ),
            Self::Portfolio(_) => (String::new(), String::new()),
        };
        Ok(ConfirmPage {
            layout: self.viewer().layout.clone().in_section(if slug.is_empty() {
                "admin"
            } else {
                "produits"
            }),
            slug,
            name,
            title: "Révoquer la clé d’API".into(),
            explanation,
            action: format!("{base}/{id}/revoquer"),
            cancel: base,
            button: "Révoquer la clé",
        })
    }
}

/// The label, scope and last day of a new key, or a message per field.
fn parse(
    form: &KeyForm,
    today: NaiveDate,
    portfolio: bool,
) -> Result<(String, Scope, NaiveDate), FieldErrors> {
    let mut errors = FieldErrors::new();
    let label = form::text(
        &mut errors,
        "label",
        &form.label,
        LABEL_MAX,
        Some("Saisissez un libellé : à quoi sert la clé, par exemple « Matomo → visites »."),
    );
    let scope = if portfolio {
        Some(Scope::Read)
    } else {
        let scope = Scope::parse(form.scope.trim());
        if scope.is_none() {
            errors.insert("scope", "Choisissez les droits de la clé.".into());
        }
        scope
    };
    let latest = today + Days::new(MAX_DAYS as u64);
    let expires = if form.expires.trim().is_empty() {
        Some(today + Days::new(DEFAULT_DAYS as u64))
    } else {
        match form::parse_date(&form.expires, "la date d’expiration") {
            Ok(day) if day > today && day <= latest => Some(day),
            Ok(_) => {
                errors.insert(
                    "expires",
                    format!(
                        "Choisissez une date d’expiration après aujourd’hui et au plus tard le {}.",
                        filters::date_short(latest)
                    ),
                );
                None
            }
            Err(message) => {
                errors.insert("expires", message);
                None
            }
        }
    };
    match (scope, expires) {
        (Some(scope), Some(expires)) if errors.is_empty() => Ok((label, scope, expires)),
        _ => Err(errors),
    }
}

// ---- A product's keys (its editors) ----

pub async fn product_keys(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
) -> AppResult<KeysPage> {
    Owner::Product(&sheet)
        .page(&state, KeyForm::default(), FieldErrors::new())
        .await
}

pub async fn create_product_key(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Form(form): Form<KeyForm>,
) -> AppResult<Response> {
    Owner::Product(&sheet).create(&state, form).await
}

pub async fn confirm_product_revoke(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<ConfirmPage> {
    Owner::Product(&sheet).confirm(&state, id).await
}

pub async fn revoke_product_key(
    State(state): State<AppState>,
    EditSheet(sheet): EditSheet,
    Path((_, id)): Path<(String, Uuid)>,
) -> AppResult<Response> {
    Owner::Product(&sheet).revoke(&state, id).await
}

// ---- The portfolio's read-only keys (administrators) ----

pub async fn portfolio_keys(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
) -> AppResult<KeysPage> {
    Owner::Portfolio(&viewer)
        .page(&state, KeyForm::default(), FieldErrors::new())
        .await
}

pub async fn create_portfolio_key(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Form(form): Form<KeyForm>,
) -> AppResult<Response> {
    Owner::Portfolio(&viewer).create(&state, form).await
}

pub async fn confirm_portfolio_revoke(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path(id): Path<Uuid>,
) -> AppResult<ConfirmPage> {
    Owner::Portfolio(&viewer).confirm(&state, id).await
}

pub async fn revoke_portfolio_key(
    State(state): State<AppState>,
    AdminOnly(viewer): AdminOnly,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    Owner::Portfolio(&viewer).revoke(&state, id).await
}

crate::impl_page!(KeysPage);
