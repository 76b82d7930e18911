//! Pages and the sheet section of the vision.

use askama::Template;

use crate::web::{FieldErrors, Layout, conflict::Conflict, form::Warnings};

use super::model::Segment;

pub struct PartInput {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub max: usize,
    pub value: String,
    pub count: usize,
    pub error: Option<String>,
}

pub struct AccountChoice {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "vision/form.html")]
pub struct VisionFormPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub statement: PartInput,
    pub elements: Vec<PartInput>,
    /// Optional, outside the completeness score.
    pub alignment: PartInput,
    pub accounts: Vec<AccountChoice>,
    pub version: String,
    pub errors: FieldErrors,
    pub warnings: Warnings,
    pub conflict: Option<Conflict>,
}

/// The vision section of the product sheet.
#[derive(Clone)]
pub struct VisionSummary {
    pub statement: String,
    /// (label, text) of the five elements.
    pub elements: Vec<(&'static str, String)>,
    /// The priority or public policy served; optional, not in the score.
    pub alignment: String,
    pub checklist: Vec<(&'static str, bool)>,
    pub score: usize,
    pub written: bool,
    pub due: bool,
    /// "Relue le 12/03/2026 par Marie Dupont", "Modifiée le …"
    pub last_review: String,
    pub next_review: String,
    pub contributors: Vec<String>,
}

pub struct VersionRow {
    pub number: i32,
    pub when: String,
    pub by: String,
    pub restored_from: Option<i32>,
    pub score: usize,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "vision/history.html")]
pub struct VisionHistoryPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub versions: Vec<VersionRow>,
    pub can_edit: bool,
    pub current_version: i32,
}

pub struct DiffRow {
    pub label: &'static str,
    pub segments: Vec<Segment>,
    pub changed: bool,
}

#[derive(Template)]
#[template(path = "vision/compare.html")]
pub struct ComparePage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub from: VersionRow,
    pub to: VersionRow,
    pub rows: Vec<DiffRow>,
    pub numbers: Vec<i32>,
}

crate::impl_page!(VisionFormPage, VisionHistoryPage, ComparePage);
