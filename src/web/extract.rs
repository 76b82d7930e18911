//! Wrappers around axum's `Path`, `Form` and `Query` whose rejections render our French error
//! pages instead of axum's plain-text messages. The raw extractors are banned by clippy.
//!
//! They are also the one place where control characters are dealt with: PostgreSQL refuses
//! NUL in text, and no field of ours has a use for the others. Forms and query strings have
//! them **stripped** (all but tab, line feed and carriage return), so that every form goes on
//! to its own validation with the rest of the input; a path carrying one is a 404.
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
        if has_encoded_control(parts.uri.path()) {
            return Err(AppError::NotFound);
        }
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

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_html_form::from_bytes(&without_controls(query.as_bytes()))
            .map(Self)
            .map_err(|_| AppError::BadRequest(MALFORMED.into()))
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
        serde_html_form::from_bytes(&without_controls(&bytes))
            .map(Self)
            .map_err(|_| AppError::BadRequest(MALFORMED.into()))
    }
}

/// Whether a character is kept in form and query values: everything but control characters,
/// except tab and line breaks (a textarea sends CR LF).
pub fn is_allowed_char(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// An URL-encoded body or query string with control characters removed from every name and
/// value. Invalid UTF-8 is decoded lossily (as U+FFFD), never an error.
fn without_controls(encoded: &[u8]) -> Vec<u8> {
    let clean = |s: std::borrow::Cow<'_, str>| -> String {
        if s.chars().all(is_allowed_char) {
            s.into_owned()
        } else {
            s.chars().filter(|c| is_allowed_char(*c)).collect()
        }
    };
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(url::form_urlencoded::parse(encoded).map(|(k, v)| (clean(k), clean(v))))
        .finish()
        .into_bytes()
}

/// Whether a raw path holds a percent-encoded control character (`%00`, `%0A`, `%7F`…).
fn has_encoded_control(path: &str) -> bool {
    percent_decoded(path).chars().any(|c| c.is_control())
}

fn percent_decoded(path: &str) -> String {
    url::form_urlencoded::parse(path.replace('+', "%2B").as_bytes())
        .map(|(k, v)| format!("{k}{v}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_stripped_from_forms_but_line_breaks_stay() {
        let cleaned = without_controls(b"name=A%00b%07c&text=l1%0D%0Al2%09x&%00k=v");
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&cleaned)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("name".into(), "Abc".into()),
                ("text".into(), "l1\r\nl2\tx".into()),
                ("k".into(), "v".into())
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_refused() {
        let cleaned = without_controls(b"name=%FF%FEabc");
        assert_eq!(
            String::from_utf8(cleaned).unwrap(),
            "name=%EF%BF%BD%EF%BF%BDabc"
        );
    }

    #[test]
    fn paths_with_encoded_control_characters_are_detected() {
        assert!(has_encoded_control("/produits/a%00b"));
        assert!(has_encoded_control("/produits/%0a"));
        assert!(!has_encoded_control("/produits/aide-au-r%C3%A9pit"));
        assert!(!has_encoded_control("/produits/a+b"));
    }
}
