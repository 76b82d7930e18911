//! Web plumbing shared by every domain: extractors, the page layout, flash messages, error pages,
//! security headers and French formatting.

pub mod confirm;
pub mod conflict;
pub mod csv;
pub mod errors;
pub mod etag;
pub mod extract;
pub mod filters;
pub mod flash;
pub mod form;
pub mod layout;
pub mod memo;
pub mod pagination;
pub mod security;
pub mod version;

pub use extract::{Form, Path, Query};
pub use flash::Flash;
pub use layout::Layout;

/// Field name → French message, for forms re-rendered with their errors.
pub type FieldErrors = std::collections::BTreeMap<&'static str, String>;

/// An option of a `<select>` or a radio group.
#[derive(Clone, Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    /// Options from (value, label) pairs, marking the one equal to `selected`.
    pub fn list<V: Into<String>, L: Into<String>>(
        items: impl IntoIterator<Item = (V, L)>,
        selected: &str,
    ) -> Vec<Choice> {
        items
            .into_iter()
            .map(|(value, label)| {
                let value = value.into();
                Choice {
                    selected: value == selected,
                    value,
                    label: label.into(),
                }
            })
            .collect()
    }
}

/// Pages are responses: a handler returns its page, or `(StatusCode, page)` for a refused form
/// or a conflict; a page that fails to render becomes the error page like any other error.
#[macro_export]
macro_rules! impl_page {
    ($($page:ty),+ $(,)?) => {$(
        impl axum::response::IntoResponse for $page {
            fn into_response(self) -> axum::response::Response {
                match askama::Template::render(&self) {
                    Ok(html) => axum::response::Html(html).into_response(),
                    Err(e) => $crate::error::AppError::from(e).into_response(),
                }
            }
        }
    )+};
}

/// A page with a status other than 200: a form refused (422) or in conflict (409).
pub fn render(
    status: axum::http::StatusCode,
    page: impl axum::response::IntoResponse,
) -> crate::error::AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    Ok((status, page).into_response())
}

/// Moves `id` one place up or down in `ids`; false when it is already at that end.
pub fn shift(ids: &mut [uuid::Uuid], id: uuid::Uuid, up: bool) -> bool {
    let Some(index) = ids.iter().position(|i| *i == id) else {
        return false;
    };
    let other = if up {
        index.checked_sub(1)
    } else {
        Some(index + 1).filter(|i| *i < ids.len())
    };
    match other {
        Some(other) => {
            ids.swap(index, other);
            true
        }
        None => false,
    }
}

/// Percent-encodes a string for use in a query-string value.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Returns `next` if it is a path on this site, so that a login link cannot send the user
/// elsewhere (`//evil.example`, `https://…`, `/\evil`, control characters are all refused).
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_accepted_as_redirect_targets() {
        assert_eq!(local_path("/produits?page=2"), Some("/produits?page=2"));
        assert_eq!(local_path("/"), Some("/"));
        for bad in [
            "https://elsewhere.example",
            "//elsewhere.example",
            "/\\elsewhere.example",
            "",
            "produits",
            "/a\r\nb",
            "/a\\b",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn shifting_moves_one_place_and_stops_at_the_ends() {
        let ids: Vec<uuid::Uuid> = (0..3).map(|_| uuid::Uuid::new_v4()).collect();
        let mut moved = ids.clone();
        assert!(shift(&mut moved, ids[2], true));
        assert_eq!(moved, [ids[0], ids[2], ids[1]]);
        assert!(!shift(&mut moved, ids[0], true));
        assert!(!shift(&mut moved, ids[1], false));
        assert!(!shift(&mut moved, uuid::Uuid::new_v4(), false));
    }

    #[test]
    fn url_encoding_keeps_paths_readable() {
        assert_eq!(
            url_encode("/produits/a b?x=1&y=é"),
            "/produits/a%20b%3Fx%3D1%26y%3D%C3%A9"
        );
    }
}
