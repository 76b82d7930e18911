//! Response headers every page carries, and the client address used for throttling.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::state::AppState;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
                   form-action 'self'; frame-ancestors 'none'";

/// Sets the security headers; pages (everything but static files) are never cached, since
/// most show data that depends on who is signed in.
pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_static = request.uri().path().starts_with("/static/");
    let is_share_link = request.uri().path().starts_with("/r/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if is_share_link {
        // Every answer under a share link — the roadmap, "lien expiré", 429, 500 — keeps the
        // token out of referrers and the page out of search engines.
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(
            "x-robots-tag",
            HeaderValue::from_static("noindex, nofollow"),
        );
    } else {
        headers
            .entry(header::REFERRER_POLICY)
            .or_insert(HeaderValue::from_static("same-origin"));
    }
    if state.config.secure_cookies {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !is_static {
        // Pages with a validator (web::etag) are revalidated instead; all others never stored.
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

/// The client's address: the last `X-Forwarded-For` hop when behind a trusted proxy, else the
/// TCP peer. Requests built in tests have neither and count as one "unknown" client.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    trust_proxy: bool,
) -> String {
    if trust_proxy
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return ip.to_owned();
    }
    peer.map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Whether a path is the JSON API's, whose requests carry no session and whose errors are
/// problems rather than pages.
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The client's address as an extractor (see [`client_ip`]).
pub struct ClientIp(pub String);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(Self(client_ip(
            &parts.headers,
            peer,
            state.config.trust_proxy,
        )))
    }
}

/// The origin (`scheme://host[:port]`) of the configured public address.
pub fn origin_of(base_url: &str) -> Option<String> {
    url::Url::parse(base_url)
        .ok()
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null")
}

/// Refuses cross-site writes. A request that changes something (any method but GET, HEAD,
/// OPTIONS) and carries an `Origin` must come from exactly `BOUSSOLE_BASE_URL`'s origin —
/// scheme, host and port; the `Host` header, which a client chooses, plays no part. Without
/// `Origin`, a browser's `Sec-Fetch-Site` must say same-origin; a client sending neither (curl,
/// scripts) is not a browser that could be tricked, and passes.
pub async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // The API reads no cookie (only its key, in a header): no request forgery to fear.
    if !request.method().is_safe() && !is_api(request.uri().path()) {
        let headers = request.headers();
        let allowed = match headers.get(header::ORIGIN) {
            Some(origin) => origin_of(&state.config.base_url)
                .is_some_and(|expected| origin.as_bytes() == expected.as_bytes()),
            None => headers
                .get("sec-fetch-site")
                .is_none_or(|site| site == "same-origin" || site == "none"),
        };
        if !allowed {
            tracing::info!("cross-site write refused");
            return crate::error::AppError::Forbidden.into_response();
        }
    }
    next.run(request).await
}

/// Writes take HTML form bodies only: URL-encoded, or multipart where a file is sent. Anything
/// else is the 415 page, before any handler sees it.
pub async fn form_bodies_only(request: Request, next: Next) -> Response {
    // The API takes JSON, and answers 415 itself (as a problem) to anything else.
    if request.method().is_safe() || is_api(request.uri().path()) {
        return next.run(request).await;
    }
    let form = request.headers().get(header::CONTENT_TYPE).map(|value| {
        value.to_str().ok().is_some_and(|v| {
            let essence = v.split(';').next().unwrap_or_default().trim();
            essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
                || essence.eq_ignore_ascii_case("multipart/form-data")
        })
    });
    match form {
        Some(true) => next.run(request).await,
        Some(false) => StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response(),
        None => {
            // No type: acceptable only when there is nothing to read.
            let (parts, body) = request.into_parts();
            match axum::body::to_bytes(body, crate::state::BODY_LIMIT).await {
                Ok(bytes) if bytes.is_empty() => {
                    next.run(Request::from_parts(parts, axum::body::Body::empty()))
                        .await
                }
                Ok(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response(),
                Err(_) => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_the_base_url_keeps_scheme_host_and_explicit_port() {
        assert_eq!(
            origin_of("https://boussole.social.gouv.fr/").as_deref(),
            Some("https://boussole.social.gouv.fr")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("https://example.fr:443").as_deref(),
            Some("https://example.fr")
        );
        assert_eq!(origin_of("pas une adresse"), None);
    }
}

/// The request path as logs may show it: a share link's token is a password, so `/r/{token}`
/// keeps only its first six characters.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/r/") {
        Some(rest) => {
            let (token, tail) = rest
                .split_once('/')
                .map_or((rest, ""), |(t, tail)| (t, tail));
            let shown: String = token.chars().take(6).collect();
            let tail = if tail.is_empty() {
                String::new()
            } else {
                format!("/{tail}")
            };
            format!("/r/{shown}…{tail}").into()
        }
        None => path.into(),
    }
}

#[cfg(test)]
mod log_tests {
    use super::loggable_path;

    #[test]
    fn share_tokens_are_masked_in_logged_paths() {
        let token = "5df9".repeat(16);
        assert_eq!(loggable_path(&format!("/r/{token}")), "/r/5df95d…");
        assert_eq!(
            loggable_path(&format!("/r/{token}/imprimer")),
            "/r/5df95d…/imprimer"
        );
        assert_eq!(loggable_path("/produits/aide"), "/produits/aide");
    }
}
