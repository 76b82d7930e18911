//! Pages of objectives and indicators, and the summaries shown on the product sheet.

use askama::Template;
use chrono::NaiveDate;

use crate::web::{Choice, FieldErrors, Layout, conflict::Conflict, filters, form::Warnings};

use super::{
    chart::{self, Chart},
    db::Indicator,
    form::{IndicatorForm, MeasurementForm, ObjectiveForm, TARGET_FIELDS},
    library::Template as LibraryTemplate,
    model::{Kind, Status, UNITS, assess, format_value},
};

/// One indicator in a list: the sheet, the index page.
#[derive(Clone)]
pub struct IndicatorSummary {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub status: Status,
    pub reason: String,
    pub latest: String,
    pub target: String,
    pub sparkline: String,
}

impl IndicatorSummary {
    pub fn new(i: &Indicator, today: NaiveDate) -> Self {
        let points = i.points();
        let a = assess(&i.spec(), &points, today);
        Self {
            id: i.id.to_string(),
            name: i.name.clone(),
            kind: i.kind.label(),
            status: a.status,
            reason: a.reason,
            latest: points
                .last()
                .map(|p| format_value(p.value, &i.unit))
                .unwrap_or_else(|| "—".into()),
            target: match (i.range, a.target.or(i.targets.last().copied())) {
                (Some((l, h)), _) => format!(
                    "{} à {}",
                    format_value(l, &i.unit),
                    format_value(h, &i.unit)
                ),
                (None, Some(t)) => format!(
                    "{} au {}",
                    format_value(t.value, &i.unit),
                    filters::date_short(t.date)
                ),
                _ => "—".into(),
            },
            sparkline: chart::sparkline(&points, 120.0, 28.0),
        }
    }
}

pub struct ObjectiveGroup {
    pub id: String,
    pub title: String,
    pub description: String,
    pub indicators: Vec<IndicatorSummary>,
    pub first: bool,
    pub last: bool,
}

#[derive(Template)]
#[template(path = "indicators/index.html")]
pub struct IndexPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub can_edit: bool,
    pub objectives: Vec<ObjectiveGroup>,
    pub unassigned: Vec<IndicatorSummary>,
    pub objective_form: ObjectiveForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "indicators/objective_form.html")]
pub struct ObjectiveFormPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub id: String,
    pub form: ObjectiveForm,
    pub errors: FieldErrors,
}

pub struct KindChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub explanation: &'static str,
    pub checked: bool,
}

pub struct TargetRow {
    pub value: String,
    pub date: String,
    pub value_id: &'static str,
    pub date_id: &'static str,
    pub value_error: Option<String>,
    pub date_error: Option<String>,
}

#[derive(Template)]
#[template(path = "indicators/form.html")]
pub struct IndicatorFormPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub title: String,
    pub action: String,
    pub cancel: String,
    pub form: IndicatorForm,
    pub kinds: Vec<KindChoice>,
    pub objectives: Vec<Choice>,
    pub directions: Vec<Choice>,
    pub frequencies: Vec<Choice>,
    pub sources: Vec<Choice>,
    pub units: &'static [&'static str],
    pub targets: Vec<TargetRow>,
    pub errors: FieldErrors,
    pub conflict: Option<Conflict>,
    /// The library template the form was pre-filled from.
    pub from_template: Option<&'static str>,
    /// The product's people, suggested for the owner.
    pub people: Vec<String>,
}

impl IndicatorFormPage {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        layout: Layout,
        (slug, name): (String, String),
        title: String,
        action: String,
        cancel: String,
        form: IndicatorForm,
        objectives: Vec<Choice>,
        errors: FieldErrors,
        conflict: Option<Conflict>,
    ) -> Self {
        let targets = form
            .target_rows()
            .into_iter()
            .zip(TARGET_FIELDS)
            .map(|((value, date), (value_id, date_id))| TargetRow {
                value,
                date,
                value_id,
                date_id,
                value_error: errors.get(value_id).cloned(),
                date_error: errors.get(date_id).cloned(),
            })
            .collect();
        Self {
            kinds: Kind::ALL
                .iter()
                .map(|k| KindChoice {
                    value: k.code(),
                    label: k.label(),
                    explanation: k.explanation(),
                    checked: form.kind == k.code(),
                })
                .collect(),
            directions: Choice::list(
                super::model::Trend::ALL
                    .iter()
                    .map(|t| (t.code(), t.label())),
                &form.direction,
            ),
            frequencies: Choice::list(
                super::model::Frequency::ALL
                    .iter()
                    .map(|f| (f.code(), f.label())),
                &form.frequency,
            ),
            sources: Choice::list(
                super::model::Source::ALL
                    .iter()
                    .map(|s| (s.code(), s.label())),
                &form.source,
            ),
            units: UNITS,
            targets,
            layout,
            slug,
            name,
            title,
            action,
            cancel,
            form,
            objectives,
            errors,
            conflict,
            from_template: None,
            people: Vec::new(),
        }
    }
}

pub struct MeasurementRow {
    pub id: String,
    pub date: String,
    pub value: String,
    pub change: String,
    pub comment: String,
}

/// A measurement whose date already has a value: the user confirms the replacement.
pub struct Replace {
    pub date: String,
    pub existing: String,
}

#[derive(Template)]
#[template(path = "indicators/show.html")]
pub struct IndicatorPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub can_edit: bool,
    pub id: String,
    pub indicator: String,
    pub kind: &'static str,
    pub kind_explanation: &'static str,
    pub objective: Option<String>,
    pub unit: String,
    pub direction: &'static str,
    pub frequency: &'static str,
    pub source: &'static str,
    pub owner: String,
    pub description: String,
    pub baseline: String,
    pub targets: Vec<String>,
    pub status: Status,
    pub reason: String,
    pub latest: String,
    pub previous: String,
    pub change: String,
    pub chart: Chart,
    pub measurements: Vec<MeasurementRow>,
    pub form: MeasurementForm,
    pub errors: FieldErrors,
    pub warnings: Warnings,
    pub replace: Option<Replace>,
    pub today: String,
    pub on_track_margin: u32,
    pub watch_margin: u32,
}

#[derive(Template)]
#[template(path = "indicators/measurement_form.html")]
pub struct MeasurementFormPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub indicator_id: String,
    pub indicator: String,
    pub id: String,
    pub form: MeasurementForm,
    pub errors: FieldErrors,
    pub warnings: Warnings,
    pub today: String,
}

pub struct LibraryGroup {
    pub typology: &'static str,
    pub own: bool,
    pub templates: Vec<&'static LibraryTemplate>,
}

#[derive(Template)]
#[template(path = "indicators/library.html")]
pub struct LibraryPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub groups: Vec<LibraryGroup>,
}

pub struct PreviewLine {
    pub line: usize,
    pub indicator: String,
    pub date: String,
    pub value: String,
    pub comment: String,
    /// `new`, `replace` or `error`.
    pub outcome: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "indicators/import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub only: Option<(String, String)>,
    pub error: Option<String>,
    pub indicator_names: Vec<String>,
}

#[derive(Template)]
#[template(path = "indicators/preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub only: Option<(String, String)>,
    pub lines: Vec<PreviewLine>,
    pub new_count: usize,
    pub replace_count: usize,
    pub error_count: usize,
    /// The file's content, carried to the confirmation.
    pub content: String,
}

crate::impl_page!(
    IndexPage,
    ObjectiveFormPage,
    IndicatorFormPage,
    IndicatorPage,
    MeasurementFormPage,
    LibraryPage,
    ImportPage,
    PreviewPage
);
