//! The one error type of the application and how it becomes a response.
//!
//! An `AppError` turns into an empty response that carries its status and, when useful, a
//! message for the user; `web::errors::render_error_pages` then renders the French page in the
//! site layout (it also renders the bare errors that layers such as the body limit produce).
//! Server errors are logged here, once, inside the request span that carries the request id.

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Not signed in: the page sends the visitor to the login form, then back to `next`.
    /// `ended` when a form was sent by a session that has ended meanwhile.
    #[error("unauthorized")]
    Unauthorized { next: Option<String>, ended: bool },
    /// The resource lives at another URL now (a renamed product): 301 for pages, 308 for posts.
    #[error("moved to {location}")]
    Moved {
        location: String,
        status: StatusCode,
    },
    /// Input the server cannot use; the message is shown to the user, in French.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("payload too large")]
    PayloadTooLarge,
    /// Too many attempts; the message says when to try again, `Retry-After` in seconds.
    #[error("too many requests")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error("service unavailable")]
    Unavailable,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("template error: {0}")]
    Render(#[from] askama::Error),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

/// What the error-page renderer needs to know about an error response.
#[derive(Clone, Debug)]
pub struct ErrorDetail {
    pub message: Option<String>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Unauthorized { .. } => StatusCode::SEE_OTHER,
            Self::Moved { status, .. } => *status,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Render(_) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn user_message(&self) -> Option<String> {
        match self {
            Self::BadRequest(m) | Self::TooManyRequests { message: m, .. } => Some(m.clone()),
            _ => None,
        }
    }
}

/// Whether a database error means "the database is not there right now" rather than a bug.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 53: insufficient resources (too many clients, out of
            // memory, disk full); 57P0x: server shutting down / starting up; 57014: statement
            // timeout.
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P0")
                || code == "57014"
        }),
        _ => false,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Unauthorized { next, ended } = &self {
            let mut query = Vec::new();
            if let Some(next) = next {
                query.push(format!("next={}", crate::web::url_encode(next)));
            }
            if *ended {
                query.push("session=terminee".to_owned());
            }
            let location = if query.is_empty() {
                "/login".to_owned()
            } else {
                format!("/login?{}", query.join("&"))
            };
            return (status, [(header::LOCATION, location)]).into_response();
        }
        if let Self::Moved { location, .. } = &self {
            return (status, [(header::LOCATION, location.clone())]).into_response();
        }
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = status.into_response();
        if let Self::TooManyRequests { retry_after, .. } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after));
        }
        response.extensions_mut().insert(ErrorDetail {
            message: self.user_message(),
        });
        response
    }
}

/// Maps a named constraint violation to a specific error (usually a field message).
pub trait ResultExt<T> {
    /// `Ok(None)` when the write broke the constraint `name`, so that the handler shows the
    /// form again with a message by the field; any other error stays an error.
    fn unless_violates(self, name: &str) -> AppResult<Option<T>>;
}

impl<T, E: Into<AppError>> ResultExt<T> for Result<T, E> {
    fn unless_violates(self, name: &str) -> AppResult<Option<T>> {
        match self.map_err(Into::into) {
            Ok(value) => Ok(Some(value)),
            Err(AppError::Database(sqlx::Error::Database(db))) if db.constraint() == Some(name) => {
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }
}
