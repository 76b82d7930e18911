//! The application: shared state, the router with its middleware stack, and the server loop.

use std::{future::Future, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::{HeaderValue, StatusCode, header},
    middleware::{from_fn, from_fn_with_state},
    response::{IntoResponse, Response},
    routing::get,
};
use sha2::{Digest, Sha256};
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use tokio::net::TcpListener;
use tower_http::{
    catch_panic::CatchPanicLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tracing::Span;

use crate::{
    admin, auth,
    auth::{hashing::Hasher, session_store::PgSessionStore},
    config::Config,
    error::AppError,
    indicators, ops, pages, portfolio, products, roadmaps, roles, vision, web,
};

/// Request bodies above this size get the 413 page.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Sessions end after this much inactivity (the absolute limit is in `auth::extract`).
pub const IDLE_TIMEOUT: time::Duration = time::Duration::hours(2);
pub const SESSION_COOKIE: &str = "boussole_session";

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<Config>,
    /// URL prefix of the static files, including their content version: `/static/1a2b3c4d5e6f`.
    pub assets: Arc<str>,
    /// Password hashing, bounded in memory and concurrency.
    pub hasher: Hasher,
}

impl axum::extract::FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl AppState {
    pub fn new(db: PgPool, config: Config) -> Self {
        let version = assets_version(&config.static_dir);
        Self {
            db,
            config: Arc::new(config),
            assets: format!("/static/{version}").into(),
            hasher: Hasher::new(),
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

pub fn router(state: AppState) -> Router {
    let config = &state.config;
    let sessions = SessionManagerLayer::new(PgSessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_secure(config.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(IDLE_TIMEOUT));
    let static_files = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .service(ServeDir::new(&config.static_dir));

    Router::new()
        .merge(portfolio::router())
        .merge(products::router())
        .merge(vision::router())
        .merge(indicators::router())
        .merge(roadmaps::router())
        .merge(roles::router())
        .merge(auth::router())
        .merge(admin::router())
        .merge(pages::router())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .nest_service(&state.assets, static_files)
        .fallback(|| async { AppError::NotFound })
        .layer(sessions)
        .layer(from_fn(web::security::form_bodies_only))
        .layer(from_fn_with_state(state.clone(), web::security::same_origin_writes))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, config.request_timeout))
        .layer(CatchPanicLayer::custom(|_| AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()))
        .layer(from_fn_with_state(state.clone(), web::errors::render_error_pages))
        .layer(from_fn_with_state(state.clone(), web::security::headers))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("");
                    // The path without its query string: queries may carry tokens.
                    let path = web::security::loggable_path(request.uri().path());
                    tracing::info_span!("request", method = %request.method(), route, path = %path, request_id)
                })
                .on_request(())
                .on_response(|response: &Response, latency: Duration, _span: &Span| {
                    tracing::info!(status = response.status().as_u16(), latency_ms = latency.as_millis() as u64, "response");
                })
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let janitor = tokio::spawn(clean_up_periodically(state.db.clone()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    janitor.abort();
    result
}

/// Deletes expired sessions and old failed-login records every ten minutes.
async fn clean_up_periodically(db: PgPool) {
    let mut interval = tokio::time::interval(Duration::from_secs(600));
    loop {
        interval.tick().await;
        if let Err(error) = PgSessionStore::delete_expired(&db).await {
            tracing::warn!(%error, "could not delete expired sessions");
        }
        if let Err(error) = auth::db::delete_old_failures(&db).await {
            tracing::warn!(%error, "could not delete old login failures");
        }
        if let Err(error) = roadmaps::db::delete_old_hits(&db).await {
            tracing::warn!(%error, "could not delete old share-link hits");
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
