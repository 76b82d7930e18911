//! The unit of work of every change to an existing product: one transaction in which the
//! section writes its rows and the audit trail its entries, then the commit, the message for the
//! next page and the redirect. Derived data of the product (its health on the dashboard, its
//! last update) belongs here too, refreshed in the same transaction before the commit.

use axum::response::{IntoResponse, Redirect, Response};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use crate::{
    audit::{self, Action, Entity, FieldChange},
    error::AppResult,
    state::AppState,
    web::{Flash, filters::today},
};

use super::extract::ProductSheet;

pub struct Edit<'a> {
    sheet: &'a ProductSheet,
    tx: Transaction<'static, Postgres>,
}

impl ProductSheet {
    /// Starts a change of this product (the sheet is an `EditSheet`'s: the viewer may edit).
    pub async fn begin(&self, state: &AppState) -> AppResult<Edit<'_>> {
        Ok(Edit {
            sheet: self,
            tx: state.db.begin().await?,
        })
    }
}

impl Edit<'_> {
    /// The transaction, for the section's own queries.
    pub fn tx(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Writes an entry of the product's audit trail, by the viewer, in the transaction.
    pub async fn record(
        &mut self,
        entity: Entity,
        id: Uuid,
        action: Action,
        changes: &[FieldChange],
    ) -> AppResult<()> {
        audit::db::record(
            &mut self.tx,
            &self.sheet.viewer.user,
            self.sheet.product.id,
            entity,
            id,
            action,
            changes,
        )
        .await?;
        Ok(())
    }

    /// Refreshes the product's health for the dashboard, then commits: both or neither.
    async fn close(mut self) -> AppResult<()> {
        let product = self.sheet.product.id;
        crate::portfolio::health::refresh(&mut self.tx, Some(&[product]), today()).await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Commits, for a change whose answer is not a redirect with a message.
    pub async fn commit(self) -> AppResult<()> {
        self.close().await
    }

    /// Commits, queues `flash` for the next page and redirects to `path` under the product.
    pub async fn finish(self, flash: Flash, path: &str) -> AppResult<Response> {
        let sheet = self.sheet;
        self.close().await?;
        sheet.flash(flash).await?;
        Ok(Redirect::to(&sheet.url(path)).into_response())
    }
}
