//! Wrappers around axum's `Path`, `Form` and `Query` whose rejections render our French error
//! pages instead of axum's plain-text messages. The raw extractors are banned by clippy.
#![allow(clippy::disallowed_types)]

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::AppError;

const MALFORMED: &str = "La requête envoyée est incomplète ou mal formée.";

fn rejection(status: StatusCode) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(MALFORMED.into())
    }
}

/// Path parameters; a value that does not parse is a 404 (the page does not exist).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|_| AppError::NotFound)
    }
}

/// Query string; malformed values are a 400 page.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|e| rejection(e.status()))
    }
}

/// URL-encoded form body; too large is a 413 page, malformed a 400 page. Repeated keys (a group
/// of checkboxes) deserialize into a `Vec`.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| rejection(e.status()))?;
        serde_html_form::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| AppError::BadRequest(MALFORMED.into()))
    }
}
