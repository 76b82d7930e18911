//! Validators for pages built from data that rarely changes: an `ETag` computed from what the
//! page shows (who sees it, the product's change stamp, the day) before anything is rendered, and
//! `304 Not Modified` when the client already holds that version.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// A weak validator: the same page in meaning (compression may change its bytes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ETag(String);

/// Stored by the browser but checked with the server before each use.
const REVALIDATE: &str = "private, no-cache";

impl ETag {
    /// The validator of a page from everything it depends on, each part written out in full;
    /// the build is part of it, so a new version of the application invalidates every page.
    pub fn of(parts: &[&str]) -> Self {
        let mut hash = Sha256::new();
        hash.update(env!("CARGO_PKG_VERSION"));
        for part in parts {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        let digest = hash.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("W/\"{hex}\""))
    }

    /// The validator of a signed-in page: who sees it (the header shows their name, the page
    /// their rights) and the static files' version, then `parts`. None when the page carries a
    /// message, which is shown once and so never revalidated.
    pub fn for_viewer(viewer: &crate::auth::Viewer, parts: &[&str]) -> Option<Self> {
        if !viewer.layout.flash.is_empty() {
            return None;
        }
        let user = &viewer.user;
        let who = format!(
            "{} {} {:?} {}",
            viewer.layout.assets, user.id, user.role, user.display_name
        );
        let mut all = vec![who.as_str()];
        all.extend_from_slice(parts);
        Some(Self::of(&all))
    }

    /// Whether the request's `If-None-Match` names this version (or `*`).
    pub fn matches(&self, headers: &HeaderMap) -> bool {
        let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
        let mine = opaque(&self.0);
        headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| tag.trim() == "*" || opaque(tag) == mine)
    }

    /// `304 Not Modified` with this validator.
    pub fn not_modified(&self) -> Response {
        self.attach(StatusCode::NOT_MODIFIED.into_response())
    }

    /// The page with its validator, to be revalidated before each use.
    pub fn attach(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&self.0) {
            headers.insert(header::ETAG, value);
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
        }
        response
    }

    /// `response` with the validator, if there is one.
    pub fn attach_to(etag: Option<&Self>, response: Response) -> Response {
        match etag {
            Some(etag) => etag.attach(response),
            None => response,
        }
    }

    /// `304` when there is a validator and the client holds that version.
    pub fn fresh(etag: Option<&Self>, headers: &HeaderMap) -> Option<Response> {
        etag.filter(|e| e.matches(headers)).map(Self::not_modified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_validator_changes_with_any_part_and_matches_weakly_in_a_list() {
        let tag = ETag::of(&["a", "b"]);
        assert_eq!(tag, ETag::of(&["a", "b"]));
        assert_ne!(tag, ETag::of(&["ab", ""]), "parts are delimited");
        assert_ne!(tag, ETag::of(&["a", "c"]));
        let strong = tag.0.trim_start_matches("W/").to_owned();
        assert!(tag.matches(&asking(&tag.0)));
        assert!(tag.matches(&asking(&strong)));
        assert!(tag.matches(&asking(&format!("\"other\", {}", tag.0))));
        assert!(tag.matches(&asking("*")));
        assert!(!tag.matches(&asking("W/\"other\"")));
        assert!(!tag.matches(&HeaderMap::new()));
    }
}
