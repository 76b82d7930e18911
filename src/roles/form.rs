//! The person form and the matrix form, parsed into valid values or French messages.

use std::collections::HashMap;

use serde::Deserialize;
use uuid::Uuid;

use crate::{
    auth::model::parse_email,
    web::{FieldErrors, form::text},
};

use super::{
    db::Person,
    model::{Letter, Team},
};

pub const NAME_MAX: usize = 120;
pub const TEXT_MAX: usize = 500;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    pub name: String,
    pub organisation: String,
    pub team: String,
    pub role_title: String,
    pub allocation: String,
    pub expectations: String,
    pub email: String,
    /// An account id, or empty.
    pub user_id: String,
    /// Checkbox: the linked account may edit the product's sheet.
    pub can_edit: Option<String>,
}

impl PersonForm {
    pub fn from_person(p: &Person) -> Self {
        Self {
            name: p.name.clone(),
            organisation: p.organisation.clone(),
            team: p.team.code().into(),
            role_title: p.role_title.clone(),
            allocation: p.allocation.map(|a| a.to_string()).unwrap_or_default(),
            expectations: p.expectations.clone(),
            email: p.email.clone(),
            user_id: p.user_id.map(|id| id.to_string()).unwrap_or_default(),
            can_edit: p.can_edit.then(|| "oui".into()),
        }
    }

    /// `accounts`: the accounts a person may be linked to, with whether each may edit.
    pub fn parse(&self, accounts: &[(Uuid, bool)]) -> Result<Person, FieldErrors> {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let name = text(e, "name", &self.name, NAME_MAX, None);
        let organisation = text(e, "organisation", &self.organisation, NAME_MAX, None);
        let role_title = text(e, "role_title", &self.role_title, NAME_MAX, None);
        let expectations = text(e, "expectations", &self.expectations, TEXT_MAX, None);
        if name.is_empty() {
            errors.insert("name", "Saisissez le nom de la personne.".into());
        }
        let team = Team::parse(&self.team);
        if team.is_none() {
            errors.insert("team", "Choisissez le groupe : équipe DNUM, équipe métier, prestataire ou autre partie prenante.".into());
        }
        let allocation = match self.allocation.trim().trim_end_matches('%').trim() {
            "" => None,
            raw => match raw.parse::<i32>() {
                Ok(a) if (0..=100).contains(&a) => Some(a),
                _ => {
                    errors.insert(
                        "allocation",
                        "Le temps consacré est un pourcentage entier entre 0 et 100.".into(),
                    );
                    None
                }
            },
        };
        let email = match self.email.trim() {
            "" => String::new(),
            raw => match parse_email(raw) {
                Ok(email) => email,
                Err(message) => {
                    errors.insert("email", message);
                    String::new()
                }
            },
        };
        let user_id = match self.user_id.trim() {
            "" => None,
            raw => {
                let id = Uuid::parse_str(raw)
                    .ok()
                    .filter(|id| accounts.iter().any(|(a, _)| a == id));
                if id.is_none() {
                    errors.insert(
                        "user_id",
                        "Choisissez un compte dans la liste, ou aucun.".into(),
                    );
                }
                id
            }
        };
        let can_edit = self.can_edit.is_some();
        if can_edit && !errors.contains_key("user_id") {
            match user_id.and_then(|id| accounts.iter().find(|(a, _)| *a == id)) {
                None => {
                    errors.insert(
                        "can_edit",
                        "Reliez d’abord la personne à son compte Boussole : seul un compte peut modifier la fiche.".into(),
                    );
                }
                Some((_, false)) => {
                    errors.insert(
                        "can_edit",
                        "Ce compte est en lecture seule : un administrateur doit d’abord lui donner le rôle « éditeur ».".into(),
                    );
                }
                Some((_, true)) => {}
            }
        }
        match (team, errors.is_empty()) {
            (Some(team), true) => Ok(Person {
                id: Uuid::nil(),
                name,
                organisation,
                team,
                role_title,
                allocation,
                expectations,
                email,
                user_id,
                can_edit,
            }),
            _ => Err(errors),
        }
    }
}

/// The matrix as typed: `cell-<activity>-<person>` → letter (empty: none).
pub struct MatrixForm {
    pub version: String,
    pub typed: HashMap<(Uuid, Uuid), String>,
    /// Cells naming an activity or a person that is not this product's.
    pub unknown: usize,
}

impl MatrixForm {
    pub fn from_pairs(pairs: &[(String, String)], activities: &[Uuid], people: &[Uuid]) -> Self {
        let mut typed = HashMap::new();
        let mut unknown = 0;
        let mut version = String::new();
        for (key, value) in pairs {
            if key == "version" {
                version = value.clone();
                continue;
            }
            let Some(rest) = key.strip_prefix("cell-") else {
                continue;
            };
            // Two UUIDs of 36 characters joined by a dash.
            let (a, p) = (rest.get(..36), rest.get(37..));
            match (
                a.and_then(|a| Uuid::parse_str(a).ok()),
                p.and_then(|p| Uuid::parse_str(p).ok()),
            ) {
                (Some(a), Some(p)) if activities.contains(&a) && people.contains(&p) => {
                    typed.insert((a, p), value.trim().to_uppercase());
                }
                _ => unknown += 1,
            }
        }
        Self {
            version,
            typed,
            unknown,
        }
    }

    /// The letters, or a message when one is not R, A, C, I or empty.
    pub fn parse(&self) -> Result<HashMap<(Uuid, Uuid), Letter>, String> {
        if self.unknown > 0 {
            return Err("Une cellule envoyée ne correspond à aucune activité ou personne de ce produit : rechargez la page.".into());
        }
        let mut cells = HashMap::new();
        for (key, value) in &self.typed {
            if value.is_empty() {
                continue;
            }
            let letter = Letter::parse(value).ok_or_else(|| {
                format!(
                    "« {value} » n’est pas une lettre RACI : choisissez R, A, A+R, C, I ou rien."
                )
            })?;
            cells.insert(*key, letter);
        }
        Ok(cells)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_needs_a_name_a_group_and_a_sensible_allocation() {
        let errors = PersonForm {
            allocation: "120".into(),
            email: "pas-une-adresse".into(),
            user_id: Uuid::new_v4().to_string(),
            ..Default::default()
        }
        .parse(&[])
        .unwrap_err();
        for field in ["name", "team", "allocation", "email", "user_id"] {
            assert!(errors.contains_key(field), "{field}");
        }
        let ok = PersonForm {
            name: "Marie".into(),
            team: "metier".into(),
            allocation: "60 %".into(),
            ..Default::default()
        }
        .parse(&[])
        .unwrap();
        assert_eq!(ok.allocation, Some(60));
    }

    #[test]
    fn the_matrix_refuses_unknown_letters_and_foreign_cells() {
        let (a, p) = (Uuid::new_v4(), Uuid::new_v4());
        let pairs = vec![(format!("cell-{a}-{p}"), "x".to_owned())];
        assert!(
            MatrixForm::from_pairs(&pairs, &[a], &[p])
                .parse()
                .unwrap_err()
                .contains("« X » n’est pas une lettre RACI")
        );
        let foreign = vec![(format!("cell-{a}-{}", Uuid::new_v4()), "R".to_owned())];
        assert!(
            MatrixForm::from_pairs(&foreign, &[a], &[p])
                .parse()
                .is_err()
        );
        let ok = vec![
            (format!("cell-{a}-{p}"), "a".to_owned()),
            ("version".into(), "3".into()),
        ];
        let form = MatrixForm::from_pairs(&ok, &[a], &[p]);
        assert_eq!(form.version, "3");
        assert_eq!(form.parse().unwrap()[&(a, p)], Letter::A);
    }
}
