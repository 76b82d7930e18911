//! Probes for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use sqlx::PgPool;

use crate::error::{AppError, AppResult};

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers; 503 otherwise, so that the instance is taken out of rotation.
pub async fn readyz(State(db): State<PgPool>) -> AppResult<&'static str> {
    let ping =
        tokio::time::timeout(Duration::from_secs(2), sqlx::query("select 1").execute(&db)).await;
    match ping {
        Ok(Ok(_)) => Ok("ok"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "database not ready");
            Err(AppError::Unavailable)
        }
        Err(_) => Err(AppError::Unavailable),
    }
}
