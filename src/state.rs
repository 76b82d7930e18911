//! What every request handler shares: the database pool, the configuration, the address of the
//! static files and the password hasher. Domains and `web/` depend on this, never on `app`.

use std::{path::Path, sync::Arc, time::Duration};

use sha2::{Digest, Sha256};
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::{auth::hashing::Hasher, config::Config, roadmaps::traffic::Traffic};

/// Request bodies above this size get the 413 page.
pub const BODY_LIMIT: usize = 1024 * 1024;
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<Config>,
    /// URL prefix of the static files, including their content version: `/static/1a2b3c4d5e6f`.
    pub assets: Arc<str>,
    /// Password hashing, bounded in memory and concurrency.
    pub hasher: Hasher,
    /// Public link views and requests, counted in memory (see `roadmaps::traffic`).
    pub traffic: Arc<Traffic>,
    /// The dashboard's rows between two changes (see `portfolio::cache`).
    pub portfolio: Arc<crate::portfolio::cache::RowCache>,
    /// The product sheets' sections between two changes (see `web::memo`).
    pub sheets: Arc<crate::web::memo::ByRevision<crate::products::views::Sections>>,
    /// Pages as last rendered, by validator: the share page, the sheet and the dashboard (see
    /// `web::memo::Rendered`).
    pub pages: Arc<crate::web::memo::Rendered>,
    /// The OpenID provider (ProConnect), when configured.
    pub oidc: Option<Arc<crate::auth::oidc::Provider>>,
}

impl axum::extract::FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl AppState {
    pub fn new(db: PgPool, config: Config) -> Self {
        let version = assets_version(&config.static_dir);
        let oidc = config.oidc.clone().and_then(|oidc| {
            crate::auth::oidc::Provider::new(oidc, &config.base_url)
                .inspect_err(|error| tracing::error!(%error, "ProConnect login is off"))
                .ok()
                .map(Arc::new)
        });
        Self {
            oidc,
            db,
            config: Arc::new(config),
            assets: format!("/static/{version}").into(),
            hasher: Hasher::new(),
            traffic: Arc::default(),
            portfolio: Arc::default(),
            sheets: Arc::default(),
            pages: Arc::default(),
        }
    }
}

/// A pool whose connections time out statements, and which answers "unavailable" quickly rather
/// than hanging when the database is away. Connects lazily: the server starts, and recovers,
/// whether or not the database is up.
pub fn pool(config: &Config) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = config.database_url.parse()?;
    let statement_timeout = format!("{}", config.statement_timeout.as_millis());
    let options = options.options([("statement_timeout", statement_timeout.as_str())]);
    Ok(PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        // An unreachable database is the 503 page within 2 s, not a hanging request.
        .acquire_timeout(Duration::from_secs(2))
        // No ping before each query: a connection broken by a database restart fails its query,
        // is dropped, and the request gets the 503 page once; the next ones get fresh
        // connections (the reliability tests stop and restart PostgreSQL under load).
        .test_before_acquire(false)
        .connect_lazy_with(options))
}

/// A short hash of every file under the static folder, so that their URLs change when they do
/// and browsers may cache them for a year.
fn assets_version(dir: &Path) -> String {
    fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files)
            } else {
                files.push(path)
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    if files.is_empty() {
        tracing::warn!(dir = %dir.display(), "no static files found: run the asset build (npm run build)");
    }
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(
            file.strip_prefix(dir)
                .unwrap_or(&file)
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    hasher
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}
