//! The application: the router with its middleware stack, and the server loop (the shared
//! state is in `state.rs`).

use std::{future::Future, net::SocketAddr, time::Duration};

use axum::serve::ListenerExt;
use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::{HeaderValue, StatusCode, header},
    middleware::{from_fn, from_fn_with_state},
    response::{IntoResponse, Response},
    routing::get,
};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::{
    CompressionLevel,
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tracing::Span;

pub use crate::state::{AppState, BODY_LIMIT, pool};
use crate::{
    admin, api, auth, auth::session_store::PgSessionStore, error::AppError, indicators, ops, pages,
    portfolio, products, roadmaps, roles, vision, web,
};

/// Sessions end after this much inactivity (the absolute limit is in `auth::extract`).
pub const IDLE_TIMEOUT: time::Duration = time::Duration::hours(2);
pub const SESSION_COOKIE: &str = "boussole_session";

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
        .merge(api::pages())
        .merge(api::router())
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
        // For clients that ask (every browser): gzip or brotli at a level fit for pages made per
        // request; the portfolio's HTML shrinks about tenfold.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
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
    let counter = tokio::spawn(flush_views_periodically(state.clone()));
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    // Pages go out as soon as they are written, not held back to fill a packet.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    janitor.abort();
    counter.abort();
    // The views counted since the last flush: the only thing a stop could otherwise lose.
    if let Err(error) = state.traffic.flush(&state.db).await {
        tracing::warn!(%error, "could not record the last share-link views");
    }
    result
}

/// Adds the public links' views counted in memory to the database every few seconds.
async fn flush_views_periodically(state: AppState) {
    let mut interval = tokio::time::interval(roadmaps::traffic::FLUSH_EVERY);
    loop {
        interval.tick().await;
        if let Err(error) = state.traffic.flush(&state.db).await {
            tracing::warn!(%error, "could not record share-link views; kept for the next try");
        }
    }
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
        if let Err(error) = api::keys::delete_old_hits(&db).await {
            tracing::warn!(%error, "could not delete old API key hits");
        }
        // At start-up (the first tick is immediate) and every ten minutes: the health whose
        // day has passed (a vision falls due, a roadmap ends…) is computed again.
        match portfolio::health::refresh_expired(&db, web::filters::today()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(products = n, "product health recomputed"),
            Err(error) => tracing::warn!(%error, "could not recompute product health"),
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
