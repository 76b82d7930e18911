//! Pages of the auth module.

use askama::Template;

use crate::web::Layout;

use super::{identities::Refusal, model::FieldErrors, oidc::Failure};

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub email: String,
    pub next: String,
    /// A form was sent after the session ended: say so, and offer the way back.
    pub session_ended: bool,
    pub error: Option<String>,
    /// Always empty: a failed login gets one generic message, never a per-field hint.
    pub errors: FieldErrors,
    /// Whether the ProConnect button is shown.
    pub proconnect: bool,
}

#[derive(Template)]
#[template(path = "auth/password.html")]
pub struct PasswordPage {
    pub layout: Layout,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub min: usize,
    pub max: usize,
    pub errors: FieldErrors,
}

/// A ProConnect login that did not go through: why, what to do, whom to ask.
#[derive(Template)]
#[template(path = "auth/proconnect_error.html")]
pub struct ProConnectErrorPage {
    pub layout: Layout,
    pub title: &'static str,
    pub explanation: String,
    /// Administrators to ask (name, e-mail), for refusals.
    pub admins: Vec<(String, String)>,
    /// Whether trying again may help (not for refusals).
    pub retry: bool,
    pub request_id: Option<String>,
}

impl ProConnectErrorPage {
    pub fn failed(layout: Layout, failure: Failure, request_id: Option<String>) -> Self {
        let (title, explanation) = failure.explain();
        Self {
            layout,
            title,
            explanation: explanation.into(),
            admins: Vec::new(),
            retry: true,
            request_id,
        }
    }

    pub fn refused(
        layout: Layout,
        refusal: Refusal,
        email: String,
        admins: Vec<(String, String)>,
        request_id: Option<String>,
    ) -> Self {
        let (title, explanation) = refusal.explain(&email);
        Self {
            layout,
            title,
            explanation,
            admins,
            retry: false,
            request_id,
        }
    }
}

/// The way out through the provider's end-session endpoint, after the Boussole session ended.
#[derive(Template)]
#[template(path = "auth/proconnect_logout.html")]
pub struct LeavingPage {
    pub layout: Layout,
    pub url: String,
}

crate::impl_page!(LoginPage, PasswordPage, ProConnectErrorPage, LeavingPage);
