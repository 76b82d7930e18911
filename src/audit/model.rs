//! Field-level snapshots of what users edit, their differences, and the French sentences that
//! tell the history. The same snapshots serve the audit trail (before / after) and the conflict
//! page of the no-lost-update mechanism (theirs / yours).

use serde::{Deserialize, Serialize};

/// One field as a user reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
}

impl Field {
    pub fn new(key: &'static str, label: &'static str, value: impl Into<String>) -> Self {
        Self {
            key,
            label,
            value: value.into(),
        }
    }
}

/// A change of one field, as stored in the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub label: String,
    pub before: String,
    pub after: String,
}

/// The fields whose value differs between two snapshots of the same record.
pub fn diff(before: &[Field], after: &[Field]) -> Vec<FieldChange> {
    after
        .iter()
        .filter_map(|new| {
            let old = before
                .iter()
                .find(|f| f.key == new.key)
                .map(|f| f.value.as_str())
                .unwrap_or("");
            (old != new.value).then(|| FieldChange {
                field: new.key.into(),
                label: new.label.into(),
                before: old.into(),
                after: new.value.clone(),
            })
        })
        .collect()
}

/// Every field of a new record, as changes from nothing.
pub fn created(fields: &[Field]) -> Vec<FieldChange> {
    diff(&[], fields)
        .into_iter()
        .filter(|c| !c.after.is_empty())
        .collect()
}

/// What a change of the audit trail is about (stored as its code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    Product,
    Member,
    Vision,
    Objective,
    Indicator,
    Measurement,
    Roadmap,
    Initiative,
    Risk,
    ShareLink,
    Person,
    Activity,
    Raci,
    ApiKey,
    /// An account (under no product).
    Account,
}

impl Entity {
    pub fn code(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Member => "member",
            Self::Vision => "vision",
            Self::Objective => "objective",
            Self::Indicator => "indicator",
            Self::Measurement => "measurement",
            Self::Roadmap => "roadmap",
            Self::Initiative => "initiative",
            Self::Risk => "risk",
            Self::ShareLink => "share_link",
            Self::Person => "person",
            Self::Activity => "activity",
            Self::Raci => "raci",
            Self::ApiKey => "api_key",
            Self::Account => "account",
        }
    }
}

/// What happened, for the history sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Archive,
    Restore,
    ChangePhase,
    AddMember,
    RemoveMember,
    VisionUpdate,
    VisionReview,
    VisionRestore,
    ObjectiveCreate,
    ObjectiveUpdate,
    ObjectiveDelete,
    IndicatorCreate,
    IndicatorUpdate,
    MeasurementAdd,
    MeasurementUpdate,
    MeasurementDelete,
    MeasurementsImport,
    RoadmapCreate,
    RoadmapUpdate,
    InitiativeSave,
    InitiativeDelete,
    RiskSave,
    RiskDelete,
    ShareCreate,
    ShareRevoke,
    PersonSave,
    PersonDelete,
    ActivitySave,
    ActivityDelete,
    RaciUpdate,
    ApiKeyCreate,
    ApiKeyRevoke,
    /// Measurements sent through the API, added or replaced.
    MeasurementsApi,
    /// An account created at an agent's first ProConnect login.
    AccountCreate,
    /// An administrator invited an account to be linked to its ProConnect identity.
    IdentityInvite,
    /// An account linked to a ProConnect identity, at the invited agent's first login.
    IdentityLink,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Archive => "archive",
            Self::Restore => "restore",
            Self::ChangePhase => "phase",
            Self::AddMember => "member-add",
            Self::RemoveMember => "member-remove",
            Self::VisionUpdate => "vision-update",
            Self::VisionReview => "vision-review",
            Self::VisionRestore => "vision-restore",
            Self::ObjectiveCreate => "objective-create",
            Self::ObjectiveUpdate => "objective-update",
            Self::ObjectiveDelete => "objective-delete",
            Self::IndicatorCreate => "indicator-create",
            Self::IndicatorUpdate => "indicator-update",
            Self::MeasurementAdd => "measurement-add",
            Self::MeasurementUpdate => "measurement-update",
            Self::MeasurementDelete => "measurement-delete",
            Self::MeasurementsImport => "measurements-import",
            Self::RoadmapCreate => "roadmap-create",
            Self::RoadmapUpdate => "roadmap-update",
            Self::InitiativeSave => "initiative-save",
            Self::InitiativeDelete => "initiative-delete",
            Self::RiskSave => "risk-save",
            Self::RiskDelete => "risk-delete",
            Self::ShareCreate => "share-create",
            Self::ShareRevoke => "share-revoke",
            Self::PersonSave => "person-save",
            Self::PersonDelete => "person-delete",
            Self::ActivitySave => "activity-save",
            Self::ActivityDelete => "activity-delete",
            Self::RaciUpdate => "raci-update",
            Self::ApiKeyCreate => "api-key-create",
            Self::ApiKeyRevoke => "api-key-revoke",
            Self::MeasurementsApi => "measurements-api",
            Self::AccountCreate => "account-create",
            Self::IdentityInvite => "identity-invite",
            Self::IdentityLink => "identity-link",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Create,
            Self::Update,
            Self::Archive,
            Self::Restore,
            Self::ChangePhase,
            Self::AddMember,
            Self::RemoveMember,
            Self::VisionUpdate,
            Self::VisionReview,
            Self::VisionRestore,
            Self::ObjectiveCreate,
            Self::ObjectiveUpdate,
            Self::ObjectiveDelete,
            Self::IndicatorCreate,
            Self::IndicatorUpdate,
            Self::MeasurementAdd,
            Self::MeasurementUpdate,
            Self::MeasurementDelete,
            Self::MeasurementsImport,
            Self::RoadmapCreate,
            Self::RoadmapUpdate,
            Self::InitiativeSave,
            Self::InitiativeDelete,
            Self::RiskSave,
            Self::RiskDelete,
            Self::ShareCreate,
            Self::ShareRevoke,
            Self::PersonSave,
            Self::PersonDelete,
            Self::ActivitySave,
            Self::ActivityDelete,
            Self::RaciUpdate,
            Self::ApiKeyCreate,
            Self::ApiKeyRevoke,
            Self::MeasurementsApi,
            Self::AccountCreate,
            Self::IdentityInvite,
            Self::IdentityLink,
        ]
        .into_iter()
        .find(|a| a.code() == code)
    }
}

/// The field that names what an event is about (an indicator, an objective).
pub const SUBJECT: &str = "subject";

/// The subject of an event, as its first change.
pub fn subject(label: &str, name: &str) -> FieldChange {
    FieldChange {
        field: SUBJECT.into(),
        label: label.into(),
        before: String::new(),
        after: name.into(),
    }
}

fn quoted(value: &str) -> String {
    if value.is_empty() {
        "(vide)".into()
    } else {
        format!("« {value} »")
    }
}

/// The history's sentence for an event: "Marie Dupont a changé la phase de MVP à Construction".
pub fn sentence(actor: &str, action: &str, changes: &[FieldChange]) -> String {
    let first = changes.first();
    match Action::parse(action) {
        Some(Action::Create) => format!("{actor} a créé le produit"),
        Some(Action::ApiKeyCreate) => match first {
            Some(c) => format!("{actor} a créé la clé d’API {}", c.after),
            None => format!("{actor} a créé une clé d’API"),
        },
        Some(Action::ApiKeyRevoke) => match first {
            Some(c) => format!("{actor} a révoqué la clé d’API {}", c.after),
            None => format!("{actor} a révoqué une clé d’API"),
        },
        Some(Action::MeasurementsApi) => {
            let name = first.map(|c| c.after.as_str()).unwrap_or_default();
            let count = changes.len().saturating_sub(1);
            format!("{actor} a envoyé {count} mesure(s) de « {name} » par l’API")
        }
        Some(Action::AccountCreate) => format!("{actor} a créé son compte avec ProConnect"),
        Some(Action::IdentityInvite) => match first {
            Some(c) => format!(
                "{actor} a invité {} à lier son compte à ProConnect",
                c.after
            ),
            None => format!("{actor} a invité un compte à se lier à ProConnect"),
        },
        Some(Action::IdentityLink) => format!("{actor} a lié son compte à ProConnect"),
        Some(Action::Archive) => format!("{actor} a archivé le produit"),
        Some(Action::Restore) => format!("{actor} a restauré le produit"),
        Some(Action::ChangePhase) => match first {
            Some(c) if c.before.is_empty() => {
                format!("{actor} a placé le produit en phase {}", c.after)
            }
            Some(c) => format!("{actor} a changé la phase de {} à {}", c.before, c.after),
            None => format!("{actor} a changé la phase"),
        },
        Some(Action::AddMember) => match first {
            Some(c) => format!("{actor} a ajouté {} aux membres", c.after),
            None => format!("{actor} a ajouté un membre"),
        },
        Some(Action::RemoveMember) => match first {
            Some(c) => format!("{actor} a retiré {} des membres", c.before),
            None => format!("{actor} a retiré un membre"),
        },
        Some(Action::VisionUpdate) => format!(
            "{actor} a modifié la vision ({})",
            changes
                .iter()
                .map(|c| c.label.to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(Action::VisionReview) => format!("{actor} a relu la vision et l’a confirmée"),
        Some(Action::VisionRestore) => match first {
            Some(c) => format!("{actor} a restauré la version {} de la vision", c.after),
            None => format!("{actor} a restauré une version de la vision"),
        },
        Some(
            action @ (Action::ObjectiveCreate
            | Action::ObjectiveUpdate
            | Action::ObjectiveDelete
            | Action::IndicatorCreate
            | Action::IndicatorUpdate),
        ) => {
            let name = changes
                .iter()
                .find(|c| c.field == SUBJECT)
                .map(|c| c.after.as_str())
                .unwrap_or_default();
            let fields: Vec<String> = changes
                .iter()
                .filter(|c| c.field != SUBJECT)
                .map(|c| c.label.to_lowercase())
                .collect();
            match action {
                Action::ObjectiveCreate => format!("{actor} a créé l’objectif « {name} »"),
                Action::ObjectiveDelete => format!("{actor} a supprimé l’objectif « {name} »"),
                Action::IndicatorCreate => format!("{actor} a créé l’indicateur « {name} »"),
                Action::ObjectiveUpdate => format!(
                    "{actor} a modifié l’objectif « {name} » ({})",
                    fields.join(", ")
                ),
                _ => format!(
                    "{actor} a modifié l’indicateur « {name} » ({})",
                    fields.join(", ")
                ),
            }
        }
        Some(
            action @ (Action::MeasurementAdd
            | Action::MeasurementUpdate
            | Action::MeasurementDelete),
        ) => {
            let name = changes
                .iter()
                .find(|c| c.field == SUBJECT)
                .map(|c| c.after.as_str())
                .unwrap_or_default();
            let value = changes.iter().find(|c| c.field == "value");
            let date = changes
                .iter()
                .find(|c| c.field == "date")
                .map(|c| {
                    if c.after.is_empty() {
                        c.before.as_str()
                    } else {
                        c.after.as_str()
                    }
                })
                .unwrap_or_default();
            match (action, value) {
                (Action::MeasurementAdd, Some(v)) => {
                    format!("{actor} a saisi {} pour « {name} » au {date}", v.after)
                }
                (Action::MeasurementDelete, Some(v)) => format!(
                    "{actor} a supprimé la mesure du {date} ({}) de « {name} »",
                    v.before
                ),
                (_, Some(v)) if v.before != v.after => format!(
                    "{actor} a corrigé la mesure du {date} de « {name} » : {} → {}",
                    v.before, v.after
                ),
                _ => format!("{actor} a modifié une mesure de « {name} »"),
            }
        }
        Some(
            action @ (Action::RoadmapCreate
            | Action::RoadmapUpdate
            | Action::InitiativeSave
            | Action::InitiativeDelete
            | Action::RiskSave
            | Action::RiskDelete
            | Action::ShareCreate
            | Action::ShareRevoke),
        ) => {
            let name = changes
                .iter()
                .find(|c| c.field == SUBJECT)
                .map(|c| c.after.as_str())
                .unwrap_or_default();
            match action {
                Action::RoadmapCreate => format!("{actor} a créé la roadmap {name}"),
                Action::RoadmapUpdate => format!("{actor} a modifié la roadmap {name}"),
                Action::InitiativeSave => format!("{actor} a enregistré l’initiative « {name} »"),
                Action::InitiativeDelete => format!("{actor} a supprimé l’initiative « {name} »"),
                Action::RiskSave => {
                    format!("{actor} a enregistré « {name} » dans les dépendances et risques")
                }
                Action::RiskDelete => {
                    format!("{actor} a supprimé « {name} » des dépendances et risques")
                }
                Action::ShareCreate => format!("{actor} a créé un lien de partage ({name})"),
                _ => format!("{actor} a révoqué un lien de partage ({name})"),
            }
        }
        Some(
            action @ (Action::PersonSave
            | Action::PersonDelete
            | Action::ActivitySave
            | Action::ActivityDelete
            | Action::RaciUpdate),
        ) => {
            let name = changes
                .iter()
                .find(|c| c.field == SUBJECT)
                .map(|c| c.after.as_str())
                .unwrap_or_default();
            match action {
                Action::PersonSave => {
                    format!("{actor} a enregistré {name} parmi les personnes du produit")
                }
                Action::PersonDelete => format!("{actor} a retiré {name} des personnes du produit"),
                Action::ActivitySave => {
                    format!("{actor} a enregistré l’activité « {name} » de la matrice RACI")
                }
                Action::ActivityDelete => {
                    format!("{actor} a supprimé l’activité « {name} » de la matrice RACI")
                }
                _ => format!(
                    "{actor} a modifié la matrice RACI ({} cellule(s))",
                    changes.iter().filter(|c| c.field != SUBJECT).count()
                ),
            }
        }
        Some(Action::MeasurementsImport) => {
            let count = changes
                .iter()
                .find(|c| c.field == "count")
                .map(|c| c.after.as_str())
                .unwrap_or("0");
            format!("{actor} a importé {count} mesure(s) depuis un fichier CSV")
        }
        Some(Action::Update) | None => match changes {
            [] => format!("{actor} a enregistré sans rien changer"),
            [c] => format!(
                "{actor} a changé {} de {} à {}",
                c.label.to_lowercase(),
                quoted(&c.before),
                quoted(&c.after)
            ),
            many => format!(
                "{actor} a modifié {} champs : {}",
                many.len(),
                many.iter()
                    .map(|c| c.label.to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, url: &str) -> Vec<Field> {
        vec![
            Field::new("name", "Nom", name),
            Field::new("public_url", "Adresse publique", url),
        ]
    }

    #[test]
    fn diff_lists_only_changed_fields_with_before_and_after() {
        let changes = diff(
            &fields("Alpha", ""),
            &fields("Alpha", "https://alpha.gouv.fr"),
        );
        assert_eq!(
            changes,
            [FieldChange {
                field: "public_url".into(),
                label: "Adresse publique".into(),
                before: "".into(),
                after: "https://alpha.gouv.fr".into()
            }]
        );
        assert!(diff(&fields("A", "x"), &fields("A", "x")).is_empty());
    }

    #[test]
    fn sentences_read_as_french() {
        let phase = [FieldChange {
            field: "phase".into(),
            label: "Phase".into(),
            before: "MVP".into(),
            after: "Construction".into(),
        }];
        assert_eq!(
            sentence("Marie Dupont", "phase", &phase),
            "Marie Dupont a changé la phase de MVP à Construction"
        );
        let one = diff(&fields("Alpha", ""), &fields("Bêta", ""));
        assert_eq!(
            sentence("Marie Dupont", "update", &one),
            "Marie Dupont a changé nom de « Alpha » à « Bêta »"
        );
        let two = diff(&fields("Alpha", ""), &fields("Bêta", "https://b.fr"));
        assert_eq!(
            sentence("Marie Dupont", "update", &two),
            "Marie Dupont a modifié 2 champs : nom, adresse publique"
        );
        assert_eq!(sentence("Jean", "create", &[]), "Jean a créé le produit");
    }
}
