//! Pages of the product sheet.

use askama::Template;

use crate::web::{Choice, FieldErrors, Layout, conflict::Conflict};

use super::model::ProductForm;

/// The create and edit form (the same template).
#[derive(Template)]
#[template(path = "products/form.html")]
pub struct ProductFormPage {
    pub layout: Layout,
    pub title: String,
    pub action: String,
    pub cancel: String,
    pub form: ProductForm,
    pub errors: FieldErrors,
    pub directions: Vec<Choice>,
    pub typologies: Vec<Choice>,
    pub rgaa: Vec<Choice>,
    /// The initial phase, chosen only at creation.
    pub phases: Option<Vec<Choice>>,
    pub conflict: Option<Conflict>,
    /// Existing products with a close name (slug, name): shown before creating a duplicate.
    pub similar: Vec<(String, String)>,
}

pub struct Badge {
    pub label: String,
    /// DSFR badge variant: success, warning, error, info, new.
    pub kind: &'static str,
}

pub struct PhaseRow {
    pub date: String,
    pub from: Option<String>,
    pub to: String,
    pub decision: Option<String>,
    pub comment: String,
    pub by: String,
}

pub struct Link {
    pub label: &'static str,
    pub url: String,
}

#[derive(Template)]
#[template(path = "products/show.html")]
pub struct SheetPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub direction: String,
    pub typology: String,
    pub phase: String,
    pub phase_since: String,
    pub days_in_phase: i64,
    pub archived: bool,
    pub links: Vec<Link>,
    pub compliance: Vec<Badge>,
    pub updated: String,
    pub can_edit: bool,
    pub phase_history: Vec<PhaseRow>,
    pub members: Vec<String>,
    pub vision: crate::vision::views::VisionSummary,
    pub indicators: Vec<crate::indicators::views::IndicatorSummary>,
    pub objective_count: usize,
    pub roadmap: Option<crate::roadmaps::views::RoadmapView>,
    pub roles: crate::roles::views::RolesSummary,
}

/// The sheet's sections, as read and computed for one revision of the product on one day (kept
/// between requests, see `web::memo`).
#[derive(Clone)]
pub struct Sections {
    pub vision: crate::vision::views::VisionSummary,
    pub indicators: Vec<crate::indicators::views::IndicatorSummary>,
    pub objective_count: usize,
    pub roadmap: Option<crate::roadmaps::views::RoadmapView>,
    pub roles: crate::roles::views::RolesSummary,
}

#[derive(Template)]
#[template(path = "products/phase.html")]
pub struct PhasePage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub current_phase: String,
    pub since: String,
    pub form: super::model::PhaseForm,
    pub errors: FieldErrors,
    pub phases: Vec<Choice>,
    pub decisions: Vec<Choice>,
    pub today: String,
}

pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "products/members.html")]
pub struct MembersPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub members: Vec<MemberRow>,
    pub candidates: Vec<Choice>,
    pub can_edit: bool,
    pub error: Option<String>,
}

pub struct HistoryRow {
    pub when: String,
    pub sentence: String,
    pub changes: Vec<crate::audit::FieldChange>,
}

#[derive(Template)]
#[template(path = "products/history.html")]
pub struct HistoryPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub events: Vec<HistoryRow>,
    pub page: i64,
    pub has_next: bool,
}

#[derive(Template)]
#[template(path = "products/archive.html")]
pub struct ArchivePage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
}

pub struct ListRow {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub archived: bool,
}

#[derive(Template)]
#[template(path = "products/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub products: Vec<ListRow>,
    pub can_create: bool,
}

crate::impl_page!(
    ProductFormPage,
    SheetPage,
    PhasePage,
    MembersPage,
    HistoryPage,
    ArchivePage,
    ListPage
);
