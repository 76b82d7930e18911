//! The roles page (people and RACI matrix) and its forms.

use askama::Template;

use crate::web::{Choice, FieldErrors, Layout, conflict::Conflict};

use super::form::PersonForm;

pub struct PersonRow {
    pub id: String,
    pub name: String,
    pub organisation: String,
    pub role_title: String,
    pub allocation: String,
    pub expectations: String,
    pub email: String,
    pub account: Option<String>,
    pub can_edit: bool,
    pub warnings: Vec<String>,
}

pub struct TeamGroup {
    pub label: &'static str,
    pub people: Vec<PersonRow>,
}

pub struct MatrixCell {
    /// `cell-<activity>-<person>`
    pub name: String,
    pub value: String,
    pub label: String,
}

pub struct MatrixRow {
    pub id: String,
    pub name: String,
    pub cells: Vec<MatrixCell>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub first: bool,
    pub last: bool,
}

pub struct MatrixColumn {
    pub name: String,
    pub team: &'static str,
    pub warning: bool,
}

pub struct SummaryIssue {
    pub anchor: Option<String>,
    pub message: String,
}

#[derive(Template)]
#[template(path = "roles/index.html")]
pub struct RolesPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub can_edit: bool,
    pub groups: Vec<TeamGroup>,
    pub people_count: usize,
    /// Whether the saved matrix holds any letter.
    pub started: bool,
    pub columns: Vec<MatrixColumn>,
    pub rows: Vec<MatrixRow>,
    pub errors: Vec<SummaryIssue>,
    pub warnings: Vec<SummaryIssue>,
    pub version: String,
    pub form_error: Option<String>,
    pub conflict: Option<Conflict>,
}

#[derive(Template)]
#[template(path = "roles/person_form.html")]
pub struct PersonFormPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub title: String,
    pub action: String,
    pub form: PersonForm,
    pub teams: Vec<Choice>,
    pub accounts: Vec<Choice>,
    pub role_titles: &'static [&'static str],
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "roles/activity_form.html")]
pub struct ActivityFormPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    /// The activity renamed; `None` on the page adding one.
    pub id: Option<String>,
    pub activity: String,
    pub error: Option<String>,
}

/// The product sheet's roles section.
#[derive(Clone)]
pub struct RolesSummary {
    pub business_owner: Option<String>,
    pub product_owner: Option<String>,
    pub teams: Vec<(&'static str, usize)>,
    pub people: usize,
    /// Whether the matrix holds any letter.
    pub started: bool,
    pub problems: usize,
}

crate::impl_page!(RolesPage, PersonFormPage, ActivityFormPage);
