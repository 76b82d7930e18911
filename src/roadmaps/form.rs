//! The roadmap, initiative and risk forms, parsed into valid values or French messages.

use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::Field,
    web::form::{parse_date, text},
    web::{FieldErrors, filters, form::Warnings},
};

use super::{
    db::{Initiative, Risk},
    model::{
        InitiativeKind, InitiativeStatus, Level, MARGIN_MAX, RiskKind, RiskStatus, Window,
        month_label, parse_month, short,
    },
};

pub const TITLE_MAX: usize = 120;
pub const TEXT_MAX: usize = 2000;

/// The roadmap's own fields: window, margin, priority objectives with their rank.
#[derive(Clone, Debug, Default)]
pub struct RoadmapForm {
    pub start_month: String,
    pub end_month: String,
    pub margin: String,
    pub version: String,
    /// (objective id, rank as typed); an empty rank means "not a priority".
    pub ranks: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct RoadmapInput {
    pub window: Window,
    pub margin: i32,
    pub priorities: Vec<Uuid>,
}

impl RoadmapForm {
    /// From the raw pairs of the form (`rang-<objective id>` fields carry the ranks).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Self {
            start_month: get("start_month"),
            end_month: get("end_month"),
            margin: get("margin"),
            version: get("version"),
            ranks: pairs
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("rang-").map(|id| (id.to_owned(), v.clone())))
                .collect(),
        }
    }

    pub fn rank_of(&self, objective: Uuid) -> String {
        let id = objective.to_string();
        self.ranks
            .iter()
            .find(|(o, _)| *o == id)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    }

    pub fn parse(&self, objectives: &[Uuid]) -> Result<RoadmapInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let start = parse_month(&self.start_month);
        let end = parse_month(&self.end_month);
        if start.is_none() {
            errors.insert(
                "start_month",
                "Choisissez le mois de début (MM/AAAA).".into(),
            );
        }
        if end.is_none() {
            errors.insert("end_month", "Choisissez le mois de fin (MM/AAAA).".into());
        }
        let window = match (start, end) {
            (Some(s), Some(e)) => match Window::new(s, e) {
                Ok(w) => Some(w),
                Err(message) => {
                    errors.insert("end_month", message);
                    None
                }
            },
            _ => None,
        };
        let margin = match self
            .margin
            .trim()
            .trim_end_matches('%')
            .trim()
            .parse::<i32>()
        {
            Ok(m) if (0..=MARGIN_MAX).contains(&m) => Some(m),
            _ => {
                errors.insert(
                    "margin",
                    format!("Indiquez une marge entière entre 0 et {MARGIN_MAX} %."),
                );
                None
            }
        };
        let mut ranked: Vec<(u32, Uuid)> = Vec::new();
        for (id, rank) in &self.ranks {
            if rank.trim().is_empty() {
                continue;
            }
            let Some(objective) = Uuid::parse_str(id).ok().filter(|o| objectives.contains(o))
            else {
                errors.insert(
                    "priorities",
                    "Un des objectifs choisis n’appartient pas à ce produit.".into(),
                );
                continue;
            };
            if ranked.iter().any(|(_, o)| *o == objective) {
                // The same field sent twice: the first one counts.
                continue;
            }
            match rank.trim().parse::<u32>() {
                Ok(r) if ranked.iter().any(|(taken, _)| *taken == r) => {
                    // One documented rule: ranks are distinct, never silently renumbered.
                    errors.insert(
                        "priorities",
                        format!(
                            "Deux objectifs ont le rang {r} : donnez à chacun un rang différent."
                        ),
                    );
                }
                Ok(r) if r >= 1 => ranked.push((r, objective)),
                _ => {
                    errors.insert(
                        "priorities",
                        "Le rang d’un objectif prioritaire est un nombre entier à partir de 1."
                            .into(),
                    );
                }
            }
        }
        ranked.sort();
        match (window, margin, errors.is_empty()) {
            (Some(window), Some(margin), true) => Ok(RoadmapInput {
                window,
                margin,
                priorities: ranked.into_iter().map(|(_, o)| o).collect(),
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct InitiativeForm {
    pub title: String,
    pub description: String,
    pub kind: String,
    pub status: String,
    pub objective_id: String,
    pub starts_on: String,
    pub ends_on: String,
    pub milestone: String,
    pub milestone_on: String,
    pub version: String,
    /// Set when the user confirmed the warnings (`web::form::CONFIRMED`).
    pub confirmer: String,
}

/// What is valid but unusual about an initiative on `today`: still « Prévue » after its start.
pub fn initiative_warnings(initiative: &Initiative, today: NaiveDate) -> Warnings {
    let mut warnings = Warnings::default();
    if initiative.status == InitiativeStatus::Planned && initiative.starts_on < today {
        warnings.add(
            "starts_on",
            format!(
                "L’initiative est « Prévue » mais sa date de début ({}) est passée : est-elle en cours, ou faut-il décaler son début ?",
                filters::date_short(initiative.starts_on)
            ),
        );
    }
    warnings
}

impl InitiativeForm {
    pub fn from_initiative(i: &Initiative, version: i32) -> Self {
        Self {
            title: i.title.clone(),
            description: i.description.clone(),
            kind: i.kind.code().into(),
            status: i.status.code().into(),
            objective_id: i.objective_id.map(|o| o.to_string()).unwrap_or_default(),
            starts_on: i.starts_on.to_string(),
            ends_on: i.ends_on.to_string(),
            milestone: i.milestone.clone(),
            milestone_on: i.milestone_on.map(|d| d.to_string()).unwrap_or_default(),
            version: version.to_string(),
            confirmer: String::new(),
        }
    }

    pub fn parse(&self, objectives: &[Uuid]) -> Result<Initiative, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = text(
            &mut errors,
            "title",
            &self.title,
            TITLE_MAX,
            Some("Nommez l’initiative : ce qui sera fait."),
        );
        let description = text(
            &mut errors,
            "description",
            &self.description,
            TEXT_MAX,
            None,
        );
        let kind = InitiativeKind::parse(&self.kind);
        if kind.is_none() {
            errors.insert(
                "kind",
                "Choisissez le type : fonctionnalité, expérimentation ou action.".into(),
            );
        }
        let status = InitiativeStatus::parse(&self.status);
        if status.is_none() {
            errors.insert("status", "Choisissez le statut.".into());
        }
        let objective_id = match self.objective_id.trim() {
            "" => None,
            raw => {
                let id = Uuid::parse_str(raw).ok().filter(|o| objectives.contains(o));
                if id.is_none() {
                    errors.insert(
                        "objective_id",
                        "Choisissez un objectif de ce produit, ou aucun.".into(),
                    );
                }
                id
            }
        };
        let mut date = |field: &'static str, raw: &str| match parse_date(
            raw,
            match field {
                "starts_on" => "la date de début",
                "ends_on" => "la date de fin",
                _ => "la date du jalon",
            },
        ) {
            Ok(d) => Some(d),
            Err(message) => {
                errors.insert(field, message);
                None
            }
        };
        let starts_on = date("starts_on", &self.starts_on);
        let ends_on = date("ends_on", &self.ends_on);
        let milestone_on = if self.milestone_on.trim().is_empty() {
            None
        } else {
            date("milestone_on", &self.milestone_on)
        };
        if let (Some(s), Some(e)) = (starts_on, ends_on)
            && e < s
        {
            errors.insert(
                "ends_on",
                "La fin de l’initiative doit suivre son début.".into(),
            );
        }
        let milestone = text(&mut errors, "milestone", &self.milestone, TITLE_MAX, None);
        if !milestone.is_empty()
            && self.milestone_on.trim().is_empty()
            && !errors.contains_key("milestone_on")
        {
            errors.insert("milestone_on", "Datez le jalon ou le livrable.".into());
        }
        match (kind, status, starts_on, ends_on, errors.is_empty()) {
            (Some(kind), Some(status), Some(starts_on), Some(ends_on), true) => Ok(Initiative {
                id: Uuid::nil(),
                title,
                description,
                kind,
                status,
                objective_id,
                starts_on,
                ends_on,
                milestone_on,
                milestone,
            }),
            _ => Err(errors),
        }
    }
}

impl Initiative {
    pub fn fields(&self, objective_title: &str) -> Vec<Field> {
        vec![
            Field::new("title", "Initiative", &self.title),
            Field::new("description", "Description", &self.description),
            Field::new("kind", "Type", self.kind.label()),
            Field::new("status", "Statut", self.status.label()),
            Field::new("objective", "Objectif servi", objective_title),
            Field::new("starts_on", "Début", short(self.starts_on)),
            Field::new("ends_on", "Fin", short(self.ends_on)),
            Field::new("milestone", "Jalon ou livrable", &self.milestone),
            Field::new(
                "milestone_on",
                "Date du jalon",
                self.milestone_on.map(short).unwrap_or_default(),
            ),
        ]
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RiskForm {
    pub kind: String,
    pub description: String,
    pub owner: String,
    pub likelihood: String,
    pub impact: String,
    pub mitigation: String,
    pub status: String,
    pub version: String,
}

impl RiskForm {
    pub fn from_risk(r: &Risk, version: i32) -> Self {
        Self {
            kind: r.kind.code().into(),
            description: r.description.clone(),
            owner: r.owner.clone(),
            likelihood: r.likelihood.code().into(),
            impact: r.impact.code().into(),
            mitigation: r.mitigation.clone(),
            status: r.status.code().into(),
            version: version.to_string(),
        }
    }

    pub fn parse(&self) -> Result<Risk, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = RiskKind::parse(&self.kind);
        if kind.is_none() {
            errors.insert("kind", "Choisissez : dépendance ou risque.".into());
        }
        let description = text(
            &mut errors,
            "description",
            &self.description,
            TEXT_MAX,
            Some("Décrivez la dépendance ou le risque."),
        );
        let owner = text(&mut errors, "owner", &self.owner, TITLE_MAX, None);
        let likelihood = Level::parse(&self.likelihood);
        if likelihood.is_none() {
            errors.insert("likelihood", "Choisissez la probabilité.".into());
        }
        let impact = Level::parse(&self.impact);
        if impact.is_none() {
            errors.insert("impact", "Choisissez l’impact.".into());
        }
        let mitigation = text(&mut errors, "mitigation", &self.mitigation, TEXT_MAX, None);
        let status = RiskStatus::parse(&self.status);
        if status.is_none() {
            errors.insert("status", "Choisissez le statut.".into());
        }
        match (kind, likelihood, impact, status, errors.is_empty()) {
            (Some(kind), Some(likelihood), Some(impact), Some(status), true) => Ok(Risk {
                id: Uuid::nil(),
                kind,
                description,
                owner,
                likelihood,
                impact,
                mitigation,
                status,
            }),
            _ => Err(errors),
        }
    }
}

impl Risk {
    pub fn fields(&self) -> Vec<Field> {
        vec![
            Field::new("kind", "Type", self.kind.label()),
            Field::new("description", "Description", &self.description),
            Field::new("owner", "Responsable", &self.owner),
            Field::new("likelihood", "Probabilité", self.likelihood.label()),
            Field::new("impact", "Impact", self.impact.label()),
            Field::new("mitigation", "Mesures", &self.mitigation),
            Field::new("status", "Statut", self.status.label()),
        ]
    }
}

/// `2027-01` for a month input.
pub fn month_value(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

pub fn window_fields(window: Window, margin: i32, priorities: &str) -> Vec<Field> {
    vec![
        Field::new("start", "Début", month_label(window.start)),
        Field::new("end", "Fin", month_label(window.end)),
        Field::new("margin", "Marge de flexibilité", format!("{margin} %")),
        Field::new("priorities", "Objectifs prioritaires", priorities),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roadmap_form_checks_window_margin_and_ranks() {
        let objective = Uuid::new_v4();
        let other = Uuid::new_v4();
        let pairs = |start: &str, end: &str, margin: &str, ranks: &[(Uuid, &str)]| {
            let mut p = vec![
                ("start_month".to_owned(), start.to_owned()),
                ("end_month".into(), end.into()),
                ("margin".into(), margin.into()),
            ];
            p.extend(
                ranks
                    .iter()
                    .map(|(id, r)| (format!("rang-{id}"), (*r).to_owned())),
            );
            RoadmapForm::from_pairs(&p)
        };
        let ok = pairs("2027-01", "2027-06", "20", &[(objective, "2"), (other, "")])
            .parse(&[objective, other])
            .unwrap();
        assert_eq!(ok.priorities, [objective]);
        // The same objective sent twice counts once; two objectives may not share a rank.
        let twice = pairs(
            "2027-01",
            "2027-06",
            "20",
            &[(objective, "1"), (objective, "1")],
        )
        .parse(&[objective, other])
        .unwrap();
        assert_eq!(twice.priorities, [objective]);
        let same_rank = pairs(
            "2027-01",
            "2027-06",
            "20",
            &[(objective, "1"), (other, "1")],
        )
        .parse(&[objective, other])
        .unwrap_err();
        assert!(same_rank["priorities"].contains("Deux objectifs ont le rang 1"));
        let two = pairs("2027-01", "2027-02", "20", &[])
            .parse(&[])
            .unwrap_err();
        assert_eq!(
            two["end_month"],
            "Une roadmap court terme couvre 3 à 6 mois (ici 2 mois)."
        );
        let bad = pairs("", "2027-02", "70", &[(Uuid::new_v4(), "1")])
            .parse(&[objective])
            .unwrap_err();
        assert!(
            bad.contains_key("start_month")
                && bad.contains_key("margin")
                && bad.contains_key("priorities")
        );
    }

    #[test]
    fn an_initiative_ends_after_it_starts_and_serves_a_known_objective() {
        let form = InitiativeForm {
            title: "Parcours de demande".into(),
            kind: "fonctionnalite".into(),
            status: "prevue".into(),
            starts_on: "2027-02-01".into(),
            ends_on: "2027-01-15".into(),
            objective_id: Uuid::new_v4().to_string(),
            milestone: "Mise en ligne".into(),
            ..Default::default()
        };
        let errors = form.parse(&[]).unwrap_err();
        assert!(errors["ends_on"].contains("doit suivre"));
        assert!(errors.contains_key("objective_id") && errors.contains_key("milestone_on"));
        let risk = RiskForm {
            kind: "risque".into(),
            likelihood: "fort".into(),
            impact: "fort".into(),
            status: "ouvert".into(),
            ..Default::default()
        };
        assert_eq!(
            risk.parse().unwrap_err()["description"],
            "Décrivez la dépendance ou le risque."
        );
    }
}
