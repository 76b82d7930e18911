//! Products: their fixed vocabularies, the edit form and its parsing into a valid product, slugs.

use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::Field,
    web::{FieldErrors, filters, form::calendar_date},
};

crate::vocabulary!(
    /// The ten product typologies of the indicator library.
    Typology {
        Dossiers => "dossiers", "Gestion de dossiers";
        Contenus => "contenus", "Gestion de contenus";
        Demarches => "demarches", "Formulaires et démarches en ligne";
        Elections => "elections", "Élections";
        TableauxDeBord => "tableaux-de-bord", "Tableaux de bord";
        Cartographie => "cartographie", "Cartographie";
        DonneesApi => "donnees-api", "Mise à disposition de données (API)";
        Statistiques => "statistiques", "Statistiques";
        Documents => "documents", "Gestion documentaire";
        Finances => "finances", "Gestion financière";
    }
);

crate::vocabulary!(
    /// RGAA accessibility compliance.
    Rgaa {
        Non => "non", "Non conforme";
        Partiel => "partiel", "Partiellement conforme";
        Total => "total", "Totalement conforme";
    }
);

impl Rgaa {
    /// For sorting: the higher, the better.
    pub fn rank(self) -> u8 {
        match self {
            Self::Non => 0,
            Self::Partiel => 1,
            Self::Total => 2,
        }
    }
}

crate::vocabulary!(
    /// The comité produit's decision that may come with a phase change.
    Decision {
        Go => "go", "Go";
        NoGo => "no-go", "No-go";
        Pivot => "pivot", "Pivot";
        Stop => "arret", "Arrêt";
    }
);

/// An entry of an editable reference list (directions, phases).
#[derive(Clone, Debug)]
pub struct RefItem {
    pub id: Uuid,
    pub name: String,
    pub position: i32,
    pub optional: bool,
}

pub const NAME_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 300;
pub const SLUG_MAX: usize = 60;
pub const URL_MAX: usize = 500;
pub const COMMENT_MAX: usize = 2000;
/// Paths under /produits/ that a slug may not take.
const RESERVED_SLUGS: &[&str] = &["nouveau", "export", "admin"];

/// A product's editable fields, valid.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductInput {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub direction_id: Uuid,
    pub typology: Typology,
    pub public_url: Option<String>,
    pub repository_url: Option<String>,
    pub stats_url: Option<String>,
    pub rgaa: Rgaa,
    pub dsfr: bool,
    pub homologated: bool,
    pub homologation_date: Option<NaiveDate>,
    pub rgpd_register: bool,
}

fn yes_no(value: bool) -> &'static str {
    if value { "Oui" } else { "Non" }
}

impl ProductInput {
    /// The fields as users read them, for the audit trail and the conflict page.
    pub fn fields(&self, directions: &[RefItem]) -> Vec<Field> {
        let direction = directions
            .iter()
            .find(|d| d.id == self.direction_id)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        let homologation = match (self.homologated, self.homologation_date) {
            (true, Some(date)) => format!("Oui, le {}", filters::date_short(date)),
            (true, None) => "Oui".into(),
            (false, _) => "Non".into(),
        };
        vec![
            Field::new("name", "Nom", &self.name),
            Field::new("slug", "Identifiant d’adresse", &self.slug),
            Field::new("description", "Description", &self.description),
            Field::new("direction", "Direction", direction),
            Field::new("typology", "Typologie", self.typology.label()),
            Field::new(
                "public_url",
                "Adresse publique",
                self.public_url.clone().unwrap_or_default(),
            ),
            Field::new(
                "repository_url",
                "Dépôt de code",
                self.repository_url.clone().unwrap_or_default(),
            ),
            Field::new(
                "stats_url",
                "Page de statistiques",
                self.stats_url.clone().unwrap_or_default(),
            ),
            Field::new("rgaa", "Accessibilité (RGAA)", self.rgaa.label()),
            Field::new("dsfr", "Utilise le DSFR", yes_no(self.dsfr)),
            Field::new("homologation", "Homologation de sécurité", homologation),
            Field::new(
                "rgpd_register",
                "Inscrit au registre RGPD",
                yes_no(self.rgpd_register),
            ),
        ]
    }
}

/// The edit form as typed: strings only, so that it can always be shown again.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProductForm {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub direction_id: String,
    pub typology: String,
    pub public_url: String,
    pub repository_url: String,
    pub stats_url: String,
    pub rgaa: String,
    /// Checkboxes: present ("on") when checked.
    pub dsfr: Option<String>,
    pub homologated: Option<String>,
    pub homologation_date: String,
    pub rgpd_register: Option<String>,
    /// The initial phase (creation only).
    pub phase_id: String,
    /// The version the edit was based on (absent when creating).
    pub version: String,
    /// Creation only: "this is another product", ticked after the close names were shown.
    pub distinct: Option<String>,
}

impl ProductForm {
    pub fn from_input(input: &ProductInput, version: i32) -> Self {
        let check = |b: bool| b.then(|| "on".to_owned());
        Self {
            name: input.name.clone(),
            slug: input.slug.clone(),
            description: input.description.clone(),
            direction_id: input.direction_id.to_string(),
            typology: input.typology.code().into(),
            public_url: input.public_url.clone().unwrap_or_default(),
            repository_url: input.repository_url.clone().unwrap_or_default(),
            stats_url: input.stats_url.clone().unwrap_or_default(),
            rgaa: input.rgaa.code().into(),
            dsfr: check(input.dsfr),
            homologated: check(input.homologated),
            homologation_date: input
                .homologation_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            rgpd_register: check(input.rgpd_register),
            phase_id: String::new(),
            version: version.to_string(),
            distinct: None,
        }
    }

    /// Turns the form into a valid product, or a French message per wrong field.
    pub fn parse(
        &self,
        directions: &[RefItem],
        today: NaiveDate,
    ) -> Result<ProductInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.insert("name", "Saisissez le nom du produit.".into());
        } else if name.chars().count() > NAME_MAX {
            errors.insert(
                "name",
                format!("Le nom doit compter au plus {NAME_MAX} caractères."),
            );
        }
        let slug = if self.slug.trim().is_empty() {
            slugify(&name)
        } else {
            self.slug.trim().to_owned()
        };
        if let Err(message) = check_slug(&slug)
            && (!name.is_empty() || !self.slug.trim().is_empty())
        {
            errors.insert("slug", message);
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > DESCRIPTION_MAX {
            errors.insert("description", format!("La description doit tenir en une ligne de {DESCRIPTION_MAX} caractères au plus ({} saisis).", description.chars().count()));
        } else if description.contains('\n') {
            errors.insert(
                "description",
                "La description doit tenir sur une seule ligne.".into(),
            );
        }
        let direction_id = Uuid::parse_str(self.direction_id.trim())
            .ok()
            .filter(|id| directions.iter().any(|d| d.id == *id));
        if direction_id.is_none() {
            errors.insert(
                "direction_id",
                "Choisissez une direction dans la liste.".into(),
            );
        }
        let typology = Typology::parse(&self.typology);
        if typology.is_none() {
            errors.insert("typology", "Choisissez une typologie dans la liste.".into());
        }
        let mut url = |field: &'static str, value: &str| match parse_url(value) {
            Ok(url) => url,
            Err(message) => {
                errors.insert(field, message);
                None
            }
        };
        let public_url = url("public_url", &self.public_url);
        let repository_url = url("repository_url", &self.repository_url);
        let stats_url = url("stats_url", &self.stats_url);
        let rgaa = Rgaa::parse(&self.rgaa);
        if rgaa.is_none() {
            errors.insert("rgaa", "Choisissez un niveau de conformité RGAA.".into());
        }
        let homologated = self.homologated.is_some();
        let homologation_date = match self.homologation_date.trim() {
            "" => None,
            raw => match calendar_date(raw).ok() {
                Some(date) if date > today => {
                    errors.insert(
                        "homologation_date",
                        "La date d’homologation ne peut pas être dans le futur.".into(),
                    );
                    None
                }
                Some(date) => Some(date),
                None => {
                    errors.insert(
                        "homologation_date",
                        "Saisissez une date d’homologation valide, au format JJ/MM/AAAA, entre 1900 et 2200."
                            .into(),
                    );
                    None
                }
            },
        };
        if homologated && homologation_date.is_none() && !errors.contains_key("homologation_date") {
            errors.insert(
                "homologation_date",
                "Indiquez la date de l’homologation.".into(),
            );
        }
        match (direction_id, typology, rgaa, errors.is_empty()) {
            (Some(direction_id), Some(typology), Some(rgaa), true) => Ok(ProductInput {
                name,
                slug,
                description,
                direction_id,
                typology,
                public_url,
                repository_url,
                stats_url,
                rgaa,
                dsfr: self.dsfr.is_some(),
                homologated,
                homologation_date: if homologated { homologation_date } else { None },
                rgpd_register: self.rgpd_register.is_some(),
            }),
            _ => Err(errors),
        }
    }
}

/// An optional web address: empty is fine; otherwise http(s) with a host.
pub fn parse_url(raw: &str) -> Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let invalid =
        || "Saisissez une adresse web complète, par exemple https://exemple.gouv.fr.".to_owned();
    if raw.chars().count() > URL_MAX {
        return Err(format!(
            "L’adresse doit compter au plus {URL_MAX} caractères."
        ));
    }
    let url = url::Url::parse(raw).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(invalid());
    }
    Ok(Some(raw.to_owned()))
}

/// `Démarches Simplifiées — Aide` → `demarches-simplifiees-aide`
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' => 'y',
            'œ' => {
                slug.push('o');
                'e'
            }
            'æ' => {
                slug.push('a');
                'e'
            }
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if c != '-' || !(slug.is_empty() || slug.ends_with('-')) {
            slug.push(c);
        }
    }
    let slug = slug.trim_end_matches('-');
    let mut cut: String = slug.chars().take(SLUG_MAX).collect();
    while cut.ends_with('-') {
        cut.pop();
    }
    cut
}

pub fn check_slug(slug: &str) -> Result<(), String> {
    let well_formed = !slug.is_empty()
        && slug.len() <= SLUG_MAX
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if !well_formed {
        return Err(format!(
            "L’identifiant d’adresse ne contient que des minuscules sans accent, des chiffres et des tirets simples ({SLUG_MAX} caractères au plus), par exemple « mon-produit »."
        ));
    }
    if RESERVED_SLUGS.contains(&slug) {
        return Err("Cet identifiant est réservé : choisissez-en un autre.".into());
    }
    Ok(())
}

/// The phase-change form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PhaseForm {
    pub phase_id: String,
    pub changed_on: String,
    pub comment: String,
    pub decision: String,
}

#[derive(Debug)]
pub struct PhaseChangeInput {
    pub phase_id: Uuid,
    pub changed_on: NaiveDate,
    pub comment: String,
    pub decision: Option<Decision>,
}

impl PhaseForm {
    /// `since` is when the current phase began: a change cannot predate it.
    pub fn parse(
        &self,
        phases: &[RefItem],
        current: Uuid,
        since: NaiveDate,
        today: NaiveDate,
    ) -> Result<PhaseChangeInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let phase_id = Uuid::parse_str(self.phase_id.trim())
            .ok()
            .filter(|id| phases.iter().any(|p| p.id == *id));
        match phase_id {
            None => {
                errors.insert(
                    "phase_id",
                    "Choisissez la nouvelle phase dans la liste.".into(),
                );
            }
            Some(id) if id == current => {
                errors.insert(
                    "phase_id",
                    "Le produit est déjà dans cette phase : choisissez-en une autre.".into(),
                );
            }
            Some(_) => {}
        }
        let changed_on = match calendar_date(&self.changed_on).ok() {
            None => {
                errors.insert(
                    "changed_on",
                    "Saisissez la date du changement de phase, au format JJ/MM/AAAA, entre 1900 et 2200."
                        .into(),
                );
                None
            }
            Some(date) if date > today => {
                errors.insert(
                    "changed_on",
                    "La date du changement ne peut pas être dans le futur.".into(),
                );
                None
            }
            Some(date) if date < since => {
                errors.insert(
                    "changed_on",
                    format!(
                        "La date ne peut pas précéder le début de la phase actuelle ({}).",
                        filters::date_short(since)
                    ),
                );
                None
            }
            Some(date) => Some(date),
        };
        let comment = self.comment.trim().to_owned();
        if comment.is_empty() {
            errors.insert(
                "comment",
                "Expliquez en quelques mots ce qui motive ce changement de phase.".into(),
            );
        } else if comment.chars().count() > COMMENT_MAX {
            errors.insert(
                "comment",
                format!("Le commentaire doit compter au plus {COMMENT_MAX} caractères."),
            );
        }
        let decision = match self.decision.trim() {
            "" => None,
            code => {
                let decision = Decision::parse(code);
                if decision.is_none() {
                    errors.insert(
                        "decision",
                        "Choisissez une décision dans la liste, ou aucune.".into(),
                    );
                }
                decision
            }
        };
        match (phase_id, changed_on, errors.is_empty()) {
            (Some(phase_id), Some(changed_on), true) => Ok(PhaseChangeInput {
                phase_id,
                changed_on,
                comment,
                decision,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directions() -> Vec<RefItem> {
        vec![RefItem {
            id: Uuid::new_v4(),
            name: "Santé".into(),
            position: 1,
            optional: false,
        }]
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    fn valid_form(directions: &[RefItem]) -> ProductForm {
        ProductForm {
            name: "Démarches Simplifiées".into(),
            direction_id: directions[0].id.to_string(),
            typology: "demarches".into(),
            rgaa: "partiel".into(),
            ..Default::default()
        }
    }

    #[test]
    fn slugs_are_derived_from_names() {
        assert_eq!(
            slugify("Démarches Simplifiées — Aide"),
            "demarches-simplifiees-aide"
        );
        assert_eq!(slugify("  Œuvre & Cœur  "), "oeuvre-coeur");
        assert_eq!(
            slugify("<script>alert(1)</script>"),
            "script-alert-1-script"
        );
        assert!(slugify(&"a ".repeat(100)).len() <= SLUG_MAX);
        assert!(check_slug(&slugify(&"mot ".repeat(40))).is_ok());
        assert!(check_slug("Mon-Produit").is_err());
        assert!(check_slug("mon--produit").is_err());
        assert!(check_slug("nouveau").is_err());
    }

    #[test]
    fn a_valid_form_parses_and_derives_the_slug() {
        let dirs = directions();
        let input = valid_form(&dirs).parse(&dirs, today()).unwrap();
        assert_eq!(input.slug, "demarches-simplifiees");
        assert_eq!(input.rgaa, Rgaa::Partiel);
        assert_eq!(input.public_url, None);
    }

    #[test]
    fn each_wrong_field_gets_its_message() {
        let dirs = directions();
        let form = ProductForm {
            name: "x".repeat(NAME_MAX + 1),
            slug: "Pas Bon".into(),
            direction_id: Uuid::new_v4().to_string(),
            typology: "inconnue".into(),
            public_url: "javascript:alert(1)".into(),
            repository_url: "pas une url".into(),
            rgaa: "".into(),
            homologated: Some("on".into()),
            homologation_date: "2027-01-01".into(),
            ..Default::default()
        };
        let errors = form.parse(&dirs, today()).unwrap_err();
        for field in [
            "name",
            "slug",
            "direction_id",
            "typology",
            "public_url",
            "repository_url",
            "rgaa",
            "homologation_date",
        ] {
            assert!(
                errors.contains_key(field),
                "{field} should be in error: {errors:?}"
            );
        }
    }

    #[test]
    fn homologation_needs_its_date_and_urls_need_a_host() {
        let dirs = directions();
        let mut form = valid_form(&dirs);
        form.homologated = Some("on".into());
        assert!(
            form.parse(&dirs, today())
                .unwrap_err()
                .contains_key("homologation_date")
        );
        form.homologation_date = "15/03/2025".into();
        assert_eq!(
            form.parse(&dirs, today()).unwrap().homologation_date,
            NaiveDate::from_ymd_opt(2025, 3, 15)
        );
        assert!(parse_url("https://").is_err());
        assert_eq!(
            parse_url(" https://demarche.gouv.fr/a ")
                .unwrap()
                .as_deref(),
            Some("https://demarche.gouv.fr/a")
        );
    }

    #[test]
    fn a_phase_change_needs_another_phase_a_past_date_and_a_comment() {
        let phases: Vec<RefItem> = ["Idée", "MVP"]
            .iter()
            .enumerate()
            .map(|(i, n)| RefItem {
                id: Uuid::new_v4(),
                name: (*n).into(),
                position: i as i32,
                optional: false,
            })
            .collect();
        let since = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let form = PhaseForm {
            phase_id: phases[0].id.to_string(),
            changed_on: "2026-12-01".into(),
            comment: " ".into(),
            decision: "peut-être".into(),
        };
        let errors = form
            .parse(&phases, phases[0].id, since, today())
            .unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        let early = PhaseForm {
            phase_id: phases[1].id.to_string(),
            changed_on: "2025-12-31".into(),
            comment: "Go du comité".into(),
            decision: "go".into(),
        };
        assert!(
            early
                .parse(&phases, phases[0].id, since, today())
                .unwrap_err()["changed_on"]
                .contains("01/01/2026")
        );
        let ok = PhaseForm {
            changed_on: "2026-11-30".into(),
            ..early
        };
        let change = ok.parse(&phases, phases[0].id, since, today()).unwrap();
        assert_eq!(change.decision, Some(Decision::Go));
    }
}
