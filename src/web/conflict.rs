//! The no-lost-update mechanism shared by every versioned section (product, vision, indicator,
//! roadmap, RACI).
//!
//! Each section has a `version` column; its edit form sends the version it was based on, and
//! the update only applies `where version = $sent`. When another save came first, the form is
//! re-rendered with status 409, filled with what this person typed and carrying the fresh
//! version, above a field-by-field comparison of what the other person saved. Submitting it
//! again re-applies this person's input on the fresh version: nothing typed is lost.

use crate::audit::{self, Entity, Field};

use super::filters;

pub struct ConflictRow {
    pub label: &'static str,
    pub theirs: String,
    pub yours: String,
    pub differs: bool,
}

pub struct Conflict {
    /// Who saved in between, and when ("Marie Dupont, le 30/11/2026 à 14:05").
    pub saved_by: String,
    pub rows: Vec<ConflictRow>,
}

impl Conflict {
    /// Compares the saved record (`theirs`) with the user's input (`yours`), field by field.
    pub fn new(
        theirs: &[Field],
        yours: &[Field],
        last_change: Option<(String, chrono::DateTime<chrono::Utc>)>,
    ) -> Self {
        let rows = theirs
            .iter()
            .map(|t| {
                let yours = yours
                    .iter()
                    .find(|y| y.key == t.key)
                    .map(|y| y.value.clone())
                    .unwrap_or_default();
                ConflictRow {
                    label: t.label,
                    differs: yours != t.value,
                    theirs: t.value.clone(),
                    yours,
                }
            })
            .collect();
        let saved_by = match last_change {
            Some((who, at)) => format!("{who}, le {}", filters::datetime_short(at)),
            None => "une autre personne".into(),
        };
        Self { saved_by, rows }
    }

    /// The comparison for a save that came second: the saved record against the user's input,
    /// with who made the save that came first (from the audit trail).
    pub async fn load(
        db: &sqlx::PgPool,
        entity: Entity,
        id: uuid::Uuid,
        theirs: &[Field],
        yours: &[Field],
    ) -> sqlx::Result<Self> {
        let last = audit::db::last_change(db, entity, id).await?;
        Ok(Self::new(theirs, yours, last))
    }

    pub fn differences(&self) -> usize {
        self.rows.iter().filter(|r| r.differs).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comparison_marks_the_fields_that_differ() {
        let theirs = [
            Field::new("name", "Nom", "Alpha"),
            Field::new("description", "Description", "Leur texte"),
        ];
        let yours = [
            Field::new("name", "Nom", "Alpha"),
            Field::new("description", "Description", "Mon texte"),
        ];
        let conflict = Conflict::new(&theirs, &yours, None);
        assert_eq!(conflict.differences(), 1);
        assert!(!conflict.rows[0].differs);
        assert_eq!(
            (
                conflict.rows[1].theirs.as_str(),
                conflict.rows[1].yours.as_str()
            ),
            ("Leur texte", "Mon texte")
        );
    }
}
