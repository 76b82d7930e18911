//! The unit of work of every change to an existing product: one transaction in which the
//! section writes its rows and the audit trail its entries, then the commit, the message for the
//! next page and the redirect. Derived data of the product (its health on the dashboard, its
//! last update) belongs here too, refreshed in the same transaction before the commit.

use axum::response::{IntoResponse, Redirect, Response};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, FieldChange, db::Actor},
    error::AppResult,
    state::AppState,
    web::{Flash, filters::today},
};

use super::extract::ProductSheet;

/// A change of one product by anyone (a person on a page, or an API key): its transaction, the
/// audit entries it writes, and the product's health refreshed before the commit.
pub struct Change {
    product: Uuid,
    actor: Actor,
    tx: Transaction<'static, Postgres>,
}

impl Change {
    pub async fn begin(db: &PgPool, product: Uuid, actor: Actor) -> AppResult<Self> {
        Ok(Self {
            product,
            actor,
            tx: db.begin().await?,
        })
    }

    /// The transaction, for the section's own queries.
    pub fn tx(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Writes an entry of the product's audit trail, by the actor, in the transaction.
    pub async fn record(
        &mut self,
        entity: Entity,
        id: Uuid,
        action: Action,
        changes: &[FieldChange],
    ) -> AppResult<()> {
        audit::db::record_by(
            &mut self.tx,
            &self.actor,
            Some(self.product),
            entity,
            id,
            action,
            changes,
        )
        .await?;
        Ok(())
    }

    /// Refreshes the product's health for the dashboard, then commits: both or neither.
    pub async fn commit(mut self) -> AppResult<()> {
        crate::portfolio::health::refresh(&mut self.tx, Some(&[self.product]), today()).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

pub struct Edit<'a> {
    sheet: &'a ProductSheet,
    change: Change,
}

impl ProductSheet {
    /// Starts a change of this product (the sheet is an `EditSheet`'s: the viewer may edit).
    pub async fn begin(&self, state: &AppState) -> AppResult<Edit<'_>> {
        let actor = Actor::user(&self.viewer.user);
        Ok(Edit {
            sheet: self,
            change: Change::begin(&state.db, self.product.id, actor).await?,
        })
    }
}

impl Edit<'_> {
    /// The transaction, for the section's own queries.
    pub fn tx(&mut self) -> &mut PgConnection {
        self.change.tx()
    }

    /// Writes an entry of the product's audit trail, by the viewer, in the transaction.
    pub async fn record(
        &mut self,
        entity: Entity,
        id: Uuid,
        action: Action,
        changes: &[FieldChange],
    ) -> AppResult<()> {
        self.change.record(entity, id, action, changes).await
    }

    /// Commits, for a change whose answer is not a redirect with a message.
    pub async fn commit(self) -> AppResult<()> {
        self.change.commit().await
    }

    /// Commits, queues `flash` for the next page and redirects to `path` under the product.
    pub async fn finish(self, flash: Flash, path: &str) -> AppResult<Response> {
        let sheet = self.sheet;
        self.change.commit().await?;
        sheet.flash(flash).await?;
        Ok(Redirect::to(&sheet.url(path)).into_response())
    }
}
