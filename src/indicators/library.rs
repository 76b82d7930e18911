//! The indicator library: template indicators grouped by product typology, written by us.
//! Adding one pre-fills the indicator form; the product manager then sets baseline and targets.

use crate::products::model::Typology::{self, *};

use super::model::{Frequency, Kind, Source, Trend};

pub struct Template {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: Kind,
    pub unit: &'static str,
    pub trend: Trend,
    pub frequency: Frequency,
    pub source: Source,
    /// A suggested target value, where one is common ground (satisfaction above 8/10).
    pub suggested_target: Option<f64>,
    /// A suggested acceptable range, for guard-rails.
    pub range: Option<(f64, f64)>,
    pub description: &'static str,
    pub typologies: &'static [Typology],
}

const ALL_TYPOLOGIES: &[Typology] = &[
    Dossiers,
    Contenus,
    Demarches,
    Elections,
    TableauxDeBord,
    Cartographie,
    DonneesApi,
    Statistiques,
    Documents,
    Finances,
];

pub const TEMPLATES: &[Template] = &[
    Template {
        code: "satisfaction",
        name: "Satisfaction des utilisateurs",
        kind: Kind::Success,
        unit: "note /10",
        trend: Trend::Increase,
        frequency: Frequency::Monthly,
        source: Source::Jdma,
        suggested_target: Some(8.0),
        range: None,
        description: "Note moyenne donnée par les utilisateurs au service. L’objectif interministériel est de dépasser 8/10.",
        typologies: ALL_TYPOLOGIES,
    },
    Template {
        code: "utilisateurs-actifs",
        name: "Part d’utilisateurs actifs parmi les utilisateurs attendus",
        kind: Kind::Success,
        unit: "%",
        trend: Trend::Increase,
        frequency: Frequency::Monthly,
        source: Source::Business,
        suggested_target: None,
        range: None,
        description: "Utilisateurs ayant agi au moins une fois dans le mois, rapportés au nombre d’utilisateurs visés (agents, structures, usagers).",
        typologies: &[
            Dossiers,
            Demarches,
            TableauxDeBord,
            Documents,
            Finances,
            Elections,
        ],
    },
    Template {
        code: "dossiers-clos-delai",
        name: "Part des dossiers clos en moins de N jours",
        kind: Kind::Impact,
        unit: "%",
        trend: Trend::Increase,
        frequency: Frequency::Monthly,
        source: Source::Business,
        suggested_target: None,
        range: None,
        description: "Dossiers clos dans le délai cible, rapportés aux dossiers clos sur la période. Précisez N dans le nom.",
        typologies: &[Dossiers, Demarches],
    },
    Template {
        code: "delai-traitement",
        name: "Délai médian de traitement",
        kind: Kind::Impact,
        unit: "jours",
        trend: Trend::Decrease,
        frequency: Frequency::Monthly,
        source: Source::Business,
        suggested_target: None,
        range: None,
        description: "Médiane du nombre de jours entre le dépôt complet d’un dossier et sa décision.",
        typologies: &[Dossiers, Demarches, Finances],
    },
    Template {
        code: "taux-dematerialisation",
        name: "Taux de dématérialisation",
        kind: Kind::Impact,
        unit: "%",
        trend: Trend::Increase,
        frequency: Frequency::Quarterly,
        source: Source::Business,
        suggested_target: None,
        range: None,
        description: "Demandes déposées en ligne, rapportées à toutes les demandes (papier comprises).",
        typologies: &[Demarches, Dossiers, Documents, Elections],
    },
    Template {
        code: "visiteurs-uniques",
        name: "Visiteurs uniques par mois",
        kind: Kind::Success,
        unit: "nombre",
        trend: Trend::Increase,
        frequency: Frequency::Monthly,
        source: Source::Matomo,
        suggested_target: None,
        range: None,
        description: "Nombre de visiteurs distincts sur le mois, mesuré sans cookie de suivi tiers.",
        typologies: &[
            Contenus,
            Cartographie,
            Statistiques,
            TableauxDeBord,
            Demarches,
        ],
    },
    Template {
        code: "taux-rebond",
        name: "Taux de rebond",
        kind: Kind::Direction,
        unit: "%",
        trend: Trend::Decrease,
        frequency: Frequency::Monthly,
        source: Source::Matomo,
        suggested_target: None,
        range: None,
        description: "Visites d’une seule page : un taux qui monte signale des contenus qui ne répondent pas à la question.",
        typologies: &[Contenus, Cartographie, Statistiques],
    },
    Template {
        code: "disponibilite",
        name: "Disponibilité du service",
        kind: Kind::Direction,
        unit: "%",
        trend: Trend::Range,
        frequency: Frequency::Monthly,
        source: Source::Other,
        suggested_target: None,
        range: Some((99.5, 100.0)),
        description: "Part du temps où le service répond, mesurée par une sonde externe.",
        typologies: ALL_TYPOLOGIES,
    },
    Template {
        code: "taux-erreur",
        name: "Taux d’erreur des requêtes",
        kind: Kind::Direction,
        unit: "%",
        trend: Trend::Range,
        frequency: Frequency::Weekly,
        source: Source::Other,
        suggested_target: None,
        range: Some((0.0, 1.0)),
        description: "Requêtes en erreur (5xx) rapportées à toutes les requêtes : un garde-fou de qualité de service.",
        typologies: &[DonneesApi, Dossiers, Demarches, TableauxDeBord],
    },
    Template {
        code: "appels-api",
        name: "Appels mensuels à l’API",
        kind: Kind::Success,
        unit: "nombre",
        trend: Trend::Increase,
        frequency: Frequency::Monthly,
        source: Source::Business,
        suggested_target: None,
        range: None,
        description: "Nombre d’appels réussis à l’API sur le mois : l’usage réel des données mises à disposition.",
        typologies: &[DonneesApi],
    },
    Template {
        code: "reutilisateurs",
        name: "Services réutilisateurs des données",
        kind: Kind::Impact,
        unit: "nombre",
        trend: Trend::Increase,
        frequency: Frequency::Quarterly,
        source: Source::Business,
        suggested_target: None,
        range: None,
        description: "Nombre de services ou d’administrations qui intègrent les données dans leurs propres outils.",
        typologies: &[DonneesApi, Statistiques, Cartographie],
    },
    Template {
        code: "economies-dematerialisation",
        name: "Économies liées à la dématérialisation",
        kind: Kind::Impact,
        unit: "€",
        trend: Trend::Increase,
        frequency: Frequency::Yearly,
        source: Source::Survey,
        suggested_target: None,
        range: None,
        description: "Coûts évités par an (affranchissement, saisie, archivage papier), selon une méthode de calcul documentée.",
        typologies: &[Demarches, Documents, Finances, Elections, Dossiers],
    },
    Template {
        code: "participation",
        name: "Taux de participation au vote en ligne",
        kind: Kind::Success,
        unit: "%",
        trend: Trend::Increase,
        frequency: Frequency::Yearly,
        source: Source::Business,
        suggested_target: None,
        range: None,
        description: "Votants en ligne rapportés aux électeurs inscrits, scrutin par scrutin.",
        typologies: &[Elections],
    },
    Template {
        code: "fraicheur-donnees",
        name: "Ancienneté des données publiées",
        kind: Kind::Direction,
        unit: "jours",
        trend: Trend::Range,
        frequency: Frequency::Weekly,
        source: Source::Business,
        suggested_target: None,
        range: Some((0.0, 31.0)),
        description: "Âge de la donnée la plus récente affichée : au-delà de la plage, les tableaux ne reflètent plus la réalité.",
        typologies: &[TableauxDeBord, Statistiques, Cartographie],
    },
    Template {
        code: "documents-retrouves",
        name: "Documents retrouvés du premier coup",
        kind: Kind::Success,
        unit: "%",
        trend: Trend::Increase,
        frequency: Frequency::Quarterly,
        source: Source::Survey,
        suggested_target: None,
        range: None,
        description: "Part des recherches de documents abouties sans aide, selon une enquête auprès des agents.",
        typologies: &[Documents],
    },
    Template {
        code: "delai-paiement",
        name: "Délai moyen de paiement",
        kind: Kind::Impact,
        unit: "jours",
        trend: Trend::Decrease,
        frequency: Frequency::Monthly,
        source: Source::Business,
        suggested_target: None,
        range: None,
        description: "Jours entre la réception d’une demande de paiement complète et le paiement effectif.",
        typologies: &[Finances],
    },
];

pub fn find(code: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.code == code)
}

/// The templates for each typology, the product's own typology first.
pub fn grouped(first: Typology) -> Vec<(Typology, Vec<&'static Template>)> {
    let mut order: Vec<Typology> = vec![first];
    order.extend(Typology::ALL.iter().copied().filter(|t| *t != first));
    order
        .into_iter()
        .map(|t| {
            (
                t,
                TEMPLATES
                    .iter()
                    .filter(|tpl| tpl.typologies.contains(&t))
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_typology_has_templates_and_codes_are_unique() {
        for typology in Typology::ALL {
            assert!(
                TEMPLATES
                    .iter()
                    .filter(|t| t.typologies.contains(typology))
                    .count()
                    >= 3,
                "{typology:?}"
            );
        }
        let mut codes: Vec<&str> = TEMPLATES.iter().map(|t| t.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TEMPLATES.len());
        assert_eq!(grouped(Finances)[0].0, Finances);
        assert_eq!(find("satisfaction").unwrap().suggested_target, Some(8.0));
    }
}
