//! `ProductSheet`: the product named by the URL's slug, who is looking at it, and whether they
//! may edit it. A former slug redirects to the current one.

use std::collections::HashMap;

use axum::{
    extract::FromRequestParts,
    http::{Method, StatusCode, request::Parts},
};

use crate::{
    auth::{Viewer, model::Role},
    error::{AppError, AppResult},
    state::AppState,
    web::{Path, confirm::ConfirmPage},
};

use super::db::{self, Product};

pub struct ProductSheet {
    pub viewer: Viewer,
    pub product: Product,
    /// Admins edit everything; editors edit the products they are members of; readers nothing.
    pub can_edit: bool,
}

impl ProductSheet {
    /// (slug, name) of the product, for page headers and breadcrumbs.
    pub fn names(&self) -> (String, String) {
        (
            self.product.input.slug.clone(),
            self.product.input.name.clone(),
        )
    }

    /// Queues a message for the next page.
    pub async fn flash(&self, message: crate::web::Flash) -> AppResult<()> {
        self.viewer.flash(message).await
    }

    /// The page confirming a destructive action: `action` and `back` are paths under the
    /// product's address (`/objectifs/{id}/supprimer`, `/indicateurs`).
    pub fn confirm(
        self,
        title: &str,
        explanation: String,
        action: &str,
        back: &str,
    ) -> AppResult<ConfirmPage> {
        self.confirm_as("Confirmer la suppression", title, explanation, action, back)
    }

    /// The same, with the button saying what it does when it does not delete.
    pub fn confirm_as(
        self,
        button: &'static str,
        title: &str,
        explanation: String,
        action: &str,
        back: &str,
    ) -> AppResult<ConfirmPage> {
        let (slug, name) = self.names();
        let (action, cancel) = (self.url(action), self.url(back));
        let page = ConfirmPage {
            layout: self.viewer.layout.in_section("produits"),
            title: title.into(),
            explanation,
            action,
            cancel,
            button,
            slug,
            name,
        };
        Ok(page)
    }

    /// `/produits/{slug}` followed by `rest`.
    pub fn url(&self, rest: &str) -> String {
        format!("/produits/{}{rest}", self.product.input.slug)
    }
}

impl FromRequestParts<AppState> for ProductSheet {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let Path(params) =
            Path::<HashMap<String, String>>::from_request_parts(parts, state).await?;
        let slug = params.get("slug").ok_or(AppError::NotFound)?;
        let Some(product) = db::find_by_slug(&state.db, slug, Some(viewer.user.id)).await? else {
            let current = db::renamed_to(&state.db, slug)
                .await?
                .ok_or(AppError::NotFound)?;
            let old_prefix = format!("/produits/{slug}");
            let path_and_query = parts
                .uri
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or_default();
            let rest = path_and_query.strip_prefix(&old_prefix).unwrap_or_default();
            let status = if parts.method == Method::GET || parts.method == Method::HEAD {
                StatusCode::MOVED_PERMANENTLY
            } else {
                StatusCode::PERMANENT_REDIRECT
            };
            return Err(AppError::Moved {
                location: format!("/produits/{current}{rest}"),
                status,
            });
        };
        let can_edit = match viewer.user.role {
            Role::Admin => true,
            Role::Editor => product.viewer_is_member,
            Role::Reader => false,
        };
        Ok(Self {
            viewer,
            product,
            can_edit,
        })
    }
}

/// A `ProductSheet` the viewer may edit; 403 otherwise. Every handler that writes to a product
/// (or shows a form that does) takes one, so that forgetting the check is a type error.
pub struct EditSheet(pub ProductSheet);

impl FromRequestParts<AppState> for EditSheet {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let sheet = ProductSheet::from_request_parts(parts, state).await?;
        if sheet.can_edit {
            Ok(Self(sheet))
        } else {
            Err(AppError::Forbidden)
        }
    }
}
