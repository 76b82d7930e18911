//! The people of a product, the RACI letters, and the matrix's validation rules.

use std::collections::HashMap;

use uuid::Uuid;

/// The activities every new product starts with.
pub const STANDARD_ACTIVITIES: [&str; 10] = [
    "Porter la vision",
    "Définir objectifs et indicateurs",
    "Mener la conception",
    "Piloter la livraison",
    "Conformité légale (RGPD, CNIL)",
    "Conformité aux référentiels (RGAA, RGS, RGESN)",
    "Animer rituels et comités",
    "Suivi budgétaire",
    "Déploiement et support",
    "Communication et animation de la communauté",
];

/// Role titles offered in the form; any other text is accepted.
pub const ROLE_TITLES: [&str; 8] = [
    "Responsable métier",
    "Responsable produit",
    "Développeur·se",
    "Designer",
    "Coach produit",
    "Expert·e accessibilité",
    "DevOps",
    "Chargé·e de déploiement",
];

/// Under this share of their time, a business owner is a warning.
pub const BUSINESS_OWNER_MIN_ALLOCATION: i32 = 60;

crate::vocabulary!(
    /// Where a person of the product comes from.
    Team {
        Dnum => "dnum", "Équipe DNUM";
        Business => "metier", "Équipe métier";
        Contractor => "prestataire", "Prestataire";
        Other => "autre", "Autre partie prenante";
    }
);

crate::vocabulary!(
    /// A letter of the RACI matrix.
    Letter {
        R => "R", "R — réalise";
        A => "A", "A — rend compte, décide";
        /// Accountable and responsible at once: common practice on small teams.
        AR => "A+R", "A+R — rend compte et réalise";
        C => "C", "C — consulté";
        I => "I", "I — informé";
    }
);

impl Letter {
    pub fn is_accountable(self) -> bool {
        matches!(self, Self::A | Self::AR)
    }

    pub fn is_responsible(self) -> bool {
        matches!(self, Self::R | Self::AR)
    }
}

/// What validation needs to know about a person.
#[derive(Clone, Debug)]
pub struct PersonFacts {
    pub id: Uuid,
    pub name: String,
    pub team: Team,
    pub role_title: String,
    pub allocation: Option<i32>,
}

impl PersonFacts {
    pub fn is_business_owner(&self) -> bool {
        crate::products::model::slugify(&self.role_title) == "responsable-metier"
    }

    pub fn is_product_owner(&self) -> bool {
        crate::products::model::slugify(&self.role_title) == "responsable-produit"
    }
}

/// One problem found in the matrix, attached to its row and/or column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub activity: Option<Uuid>,
    pub person: Option<Uuid>,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The matrix is "non valide" while there are errors.
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
}

impl Report {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Checks the matrix: every activity has exactly one A and at least one R (errors); the A is not
/// a contractor, the business side takes part, the business owner gives 60 % or more of their
/// time, everyone holds at least one letter (warnings).
pub fn validate(
    activities: &[(Uuid, String)],
    people: &[PersonFacts],
    cells: &HashMap<(Uuid, Uuid), Letter>,
) -> Report {
    let mut report = Report::default();
    if people.is_empty() || cells.is_empty() {
        // Not started: the page guides (add the people, then the letters) rather than listing
        // every activity as an error, and the portfolio says the RACI is absent.
        return report;
    }
    for (activity, name) in activities {
        let letters: Vec<(Uuid, Letter)> = people
            .iter()
            .filter_map(|p| cells.get(&(*activity, p.id)).map(|l| (p.id, *l)))
            .collect();
        let accountable: Vec<Uuid> = letters
            .iter()
            .filter(|(_, l)| l.is_accountable())
            .map(|(p, _)| *p)
            .collect();
        match accountable.len() {
            0 => report.errors.push(Issue {
                activity: Some(*activity),
                person: None,
                message: format!("« {name} » n’a pas de A : qui rend compte et décide ?"),
            }),
            1 => {}
            n => report.errors.push(Issue {
                activity: Some(*activity),
                person: None,
                message: format!("« {name} » a {n} A : une seule personne rend compte."),
            }),
        }
        if !letters.iter().any(|(_, l)| l.is_responsible()) {
            report.errors.push(Issue {
                activity: Some(*activity),
                person: None,
                message: format!("« {name} » n’a pas de R : personne ne réalise."),
            });
        }
        for person in accountable
            .iter()
            .filter_map(|id| people.iter().find(|p| p.id == *id))
        {
            if person.team == Team::Contractor {
                report.warnings.push(Issue {
                    activity: Some(*activity),
                    person: Some(person.id),
                    message: format!("« {name} » : le A est un prestataire ({}) ; la décision devrait rester à l’administration.", person.name),
                });
            }
        }
    }
    let involved = |p: &PersonFacts| {
        activities
            .iter()
            .any(|(a, _)| cells.contains_key(&(*a, p.id)))
    };
    if !activities.is_empty()
        && !people
            .iter()
            .any(|p| p.team == Team::Business && involved(p))
    {
        report.warnings.push(Issue {
            activity: None,
            person: None,
            message: "Personne de l’équipe métier n’intervient dans aucune activité.".into(),
        });
    }
    for p in people {
        if p.is_business_owner()
            && p.allocation
                .is_some_and(|a| a < BUSINESS_OWNER_MIN_ALLOCATION)
        {
            report.warnings.push(Issue {
                activity: None,
                person: Some(p.id),
                message: format!("{}, responsable métier, ne consacre que {} % de son temps au produit (60 % recommandés).", p.name, p.allocation.unwrap_or(0)),
            });
        }
        if !activities.is_empty() && !involved(p) {
            report.warnings.push(Issue {
                activity: None,
                person: Some(p.id),
                message: format!("{} n’a aucune lettre dans la matrice.", p.name),
            });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(name: &str, team: Team, role: &str, allocation: Option<i32>) -> PersonFacts {
        PersonFacts {
            id: Uuid::new_v4(),
            name: name.into(),
            team,
            role_title: role.into(),
            allocation,
        }
    }

    #[test]
    fn each_activity_needs_exactly_one_a_and_at_least_one_r() {
        let a = (Uuid::new_v4(), "Porter la vision".to_owned());
        let marie = person("Marie", Team::Business, "Responsable métier", Some(80));
        let paul = person("Paul", Team::Dnum, "Responsable produit", Some(100));
        let mut cells = HashMap::new();
        // An empty matrix is not started: no error yet.
        let people = [marie.clone(), paul.clone()];
        assert!(
            validate(std::slice::from_ref(&a), &people, &cells)
                .errors
                .is_empty()
        );
        cells.insert((a.0, marie.id), Letter::C);
        let report = validate(std::slice::from_ref(&a), &people, &cells);
        assert_eq!(report.errors.len(), 2);
        cells.insert((a.0, marie.id), Letter::A);
        cells.insert((a.0, paul.id), Letter::A);
        let report = validate(
            std::slice::from_ref(&a),
            &[marie.clone(), paul.clone()],
            &cells,
        );
        assert!(report.errors.iter().any(|e| e.message.contains("a 2 A")));
        cells.insert((a.0, paul.id), Letter::R);
        // One person both A and R is valid on its own.
        let mut alone = HashMap::new();
        alone.insert((a.0, marie.id), Letter::AR);
        assert!(
            validate(
                std::slice::from_ref(&a),
                &[marie.clone(), paul.clone()],
                &alone
            )
            .is_valid()
        );
        let report = validate(std::slice::from_ref(&a), &[marie, paul], &cells);
        assert!(report.is_valid(), "{report:?}");
        assert!(report.warnings.is_empty(), "{report:?}");
    }

    #[test]
    fn warnings_cover_contractors_the_business_side_time_and_idle_people() {
        let a = (Uuid::new_v4(), "Piloter la livraison".to_owned());
        let owner = person("Marie", Team::Business, "responsable métier", Some(30));
        let vendor = person("Société X", Team::Contractor, "Développeur·se", None);
        let idle = person("Jean", Team::Other, "", None);
        let mut cells = HashMap::new();
        cells.insert((a.0, vendor.id), Letter::A);
        cells.insert((a.0, vendor.id), Letter::A);
        let report = validate(
            std::slice::from_ref(&a),
            &[owner.clone(), vendor.clone(), idle.clone()],
            &cells,
        );
        let messages: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("le A est un prestataire")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("Personne de l’équipe métier"))
        );
        assert!(messages.iter().any(|m| m.contains("ne consacre que 30 %")));
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("Jean n’a aucune lettre"))
        );
    }

    proptest! {
        #[test]
        fn one_a_and_one_r_per_row_is_always_valid(rows in 1usize..12, size in 2usize..8, picks in proptest::collection::vec((0usize..100, 0usize..100, proptest::collection::vec(0usize..4, 8)), 12)) {
            let people: Vec<PersonFacts> = (0..size).map(|i| person(&format!("P{i}"), Team::ALL[i % 4], "", None)).collect();
            let activities: Vec<(Uuid, String)> = (0..rows).map(|i| (Uuid::new_v4(), format!("Activité {i}"))).collect();
            let mut cells = HashMap::new();
            for (row, (activity, _)) in activities.iter().enumerate() {
                let (a_pick, r_pick, others) = &picks[row];
                let a = a_pick % size;
                let r = (a + 1 + r_pick % (size - 1)) % size;
                cells.insert((*activity, people[a].id), Letter::A);
                cells.insert((*activity, people[r].id), Letter::R);
                // Anyone else may be R, C or I (never a second A).
                for (i, p) in people.iter().enumerate() {
                    if i != a && i != r {
                        match others[i % others.len()] {
                            0 => { cells.insert((*activity, p.id), Letter::R); }
                            1 => { cells.insert((*activity, p.id), Letter::C); }
                            2 => { cells.insert((*activity, p.id), Letter::I); }
                            _ => {}
                        }
                    }
                }
            }
            prop_assert!(validate(&activities, &people, &cells).is_valid());
        }
    }
}
