//! Pages of the auth module.

use askama::Template;

use crate::web::Layout;

use super::model::FieldErrors;

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

crate::impl_page!(LoginPage, PasswordPage);
