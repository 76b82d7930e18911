//! The vision: its six parts, what counts as filled, the review cadence, and word-level diffs.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    audit::Field,
    web::{FieldErrors, form::Warnings},
};

/// The one-sentence statement must be sayable out loud.
pub const STATEMENT_MAX: usize = 280;
pub const ELEMENT_MAX: usize = 2000;
/// A part counts as filled from this many words: "À voir" or "TODO" say nothing yet.
pub const MIN_WORDS: usize = 3;
pub const DEFAULT_REVIEW_MONTHS: u32 = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Statement,
    RaisonDetre,
    Users,
    Problems,
    Solution,
    Impact,
    /// Optional, outside the completeness score.
    Alignment,
}

impl Part {
    pub const ALL: [Part; 6] = [
        Self::Statement,
        Self::RaisonDetre,
        Self::Users,
        Self::Problems,
        Self::Solution,
        Self::Impact,
    ];
    /// Every part a person writes: the six counted ones, then the optional alignment.
    pub const EDITED: [Part; 7] = [
        Self::Statement,
        Self::RaisonDetre,
        Self::Users,
        Self::Problems,
        Self::Solution,
        Self::Impact,
        Self::Alignment,
    ];
    /// The five elements that make the statement concrete.
    pub const ELEMENTS: [Part; 5] = [
        Self::RaisonDetre,
        Self::Users,
        Self::Problems,
        Self::Solution,
        Self::Impact,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Statement => "statement",
            Self::RaisonDetre => "raison_detre",
            Self::Users => "users",
            Self::Problems => "problems",
            Self::Solution => "solution",
            Self::Impact => "impact",
            Self::Alignment => "alignment",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Statement => "Énoncé de vision",
            Self::RaisonDetre => "Raison d’être",
            Self::Users => "Utilisateurs",
            Self::Problems => "Problèmes et besoins",
            Self::Solution => "Solution et proposition de valeur",
            Self::Impact => "Impact attendu",
            Self::Alignment => "Priorités ministérielles / politique publique servie",
        }
    }

    /// What a good answer says, in a sentence.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Statement => {
                "Une seule phrase, que l’équipe peut dire à voix haute : pour qui, quoi, et pourquoi cela compte."
            }
            Self::RaisonDetre => {
                "Pourquoi ce produit existe : le changement qu’il doit rendre possible, au-delà de ses fonctionnalités."
            }
            Self::Users => {
                "Qui s’en sert et qui en bénéficie : usagers, agents, partenaires ; combien, dans quelle situation."
            }
            Self::Problems => {
                "Les difficultés concrètes de ces utilisateurs aujourd’hui, observées sur le terrain plutôt que supposées."
            }
            Self::Solution => {
                "Ce que le produit apporte et qui le distingue des autres solutions, y compris ne rien faire."
            }
            Self::Impact => {
                "Ce qui aura changé pour les utilisateurs et pour l’administration si le produit réussit, et comment on le verra."
            }
            Self::Alignment => {
                "Facultatif, hors du score de complétude : la priorité du Gouvernement ou du ministère, ou la politique publique que le produit sert."
            }
        }
    }

    pub fn max(self) -> usize {
        if self == Self::Statement {
            STATEMENT_MAX
        } else {
            ELEMENT_MAX
        }
    }
}

/// The six texts of a vision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct VisionText {
    pub statement: String,
    pub raison_detre: String,
    pub users: String,
    pub problems: String,
    pub solution: String,
    pub impact: String,
    pub alignment: String,
}

impl VisionText {
    pub fn get(&self, part: Part) -> &str {
        match part {
            Part::Statement => &self.statement,
            Part::RaisonDetre => &self.raison_detre,
            Part::Users => &self.users,
            Part::Problems => &self.problems,
            Part::Solution => &self.solution,
            Part::Impact => &self.impact,
            Part::Alignment => &self.alignment,
        }
    }

    fn get_mut(&mut self, part: Part) -> &mut String {
        match part {
            Part::Statement => &mut self.statement,
            Part::RaisonDetre => &mut self.raison_detre,
            Part::Users => &mut self.users,
            Part::Problems => &mut self.problems,
            Part::Solution => &mut self.solution,
            Part::Impact => &mut self.impact,
            Part::Alignment => &mut self.alignment,
        }
    }

    pub fn completeness(&self) -> Completeness {
        Completeness {
            filled: Part::ALL.map(|part| is_filled(self.get(part))),
        }
    }

    pub fn is_empty(&self) -> bool {
        Part::EDITED
            .iter()
            .all(|part| self.get(*part).trim().is_empty())
    }

    /// The texts with their contributors, as users read them (audit trail, conflict page).
    pub fn fields(&self, contributors: &str) -> Vec<Field> {
        let mut fields: Vec<Field> = Part::EDITED
            .iter()
            .map(|p| Field::new(p.key(), p.label(), self.get(*p)))
            .collect();
        fields.push(Field::new(
            "contributors",
            "Co-construite avec",
            contributors,
        ));
        fields
    }

    /// Trims each part and checks its length; an empty vision is fine (drafted in steps).
    pub fn parse(&self) -> Result<VisionText, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut clean = VisionText::default();
        for part in Part::EDITED {
            let text = self.get(part).trim().replace("\r\n", "\n");
            let count = text.chars().count();
            if count > part.max() {
                errors.insert(
                    part.key(),
                    format!(
                        "{} : {} caractères au plus ({count} saisis, {} de trop).",
                        part.label(),
                        part.max(),
                        count - part.max()
                    ),
                );
            }
            *clean.get_mut(part) = text;
        }
        if clean.statement.contains('\n') {
            errors.insert(
                "statement",
                "L’énoncé de vision tient en une seule phrase, sur une ligne.".into(),
            );
        }
        if errors.is_empty() {
            Ok(clean)
        } else {
            Err(errors)
        }
    }
}

pub fn is_filled(text: &str) -> bool {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
        >= MIN_WORDS
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completeness {
    pub filled: [bool; 6],
}

impl Completeness {
    pub fn score(&self) -> usize {
        self.filled.iter().filter(|f| **f).count()
    }

    pub fn is_complete(&self) -> bool {
        self.score() == Part::ALL.len()
    }

    /// (label, filled) for the checklist.
    pub fn checklist(&self) -> Vec<(&'static str, bool)> {
        Part::ALL
            .iter()
            .zip(self.filled)
            .map(|(p, f)| (p.label(), f))
            .collect()
    }
}

/// Where a vision stands against the review period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Review {
    /// Never written: nothing to review yet.
    NotWritten,
    UpToDate {
        last: NaiveDate,
        due: NaiveDate,
    },
    /// Not reviewed within the period: "à revoir".
    Due {
        last: NaiveDate,
        due: NaiveDate,
    },
}

impl Review {
    /// Last reviewed = the latest of the last edit and the last "relue" action; the vision is due
    /// for review once the review period has passed since then (the day itself is still fine).
    pub fn compute(
        edited: Option<DateTime<Utc>>,
        reviewed: Option<DateTime<Utc>>,
        months: u32,
        today: NaiveDate,
    ) -> Self {
        let Some(last) = edited.max(reviewed).map(crate::web::filters::paris_day) else {
            return Self::NotWritten;
        };
        let due = last
            .checked_add_months(Months::new(months))
            .unwrap_or(NaiveDate::MAX);
        if today > due {
            Self::Due { last, due }
        } else {
            Self::UpToDate { last, due }
        }
    }

    pub fn is_due(self) -> bool {
        matches!(self, Self::Due { .. })
    }
}

/// The edit form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct VisionForm {
    #[serde(flatten)]
    pub text: VisionText,
    /// Checked accounts (ids).
    pub contributors: Vec<String>,
    pub version: String,
    /// Set when the user confirmed the warnings (`web::form::CONFIRMED`).
    pub confirmer: String,
}

impl VisionForm {
    /// The contributors among `known` accounts; anything else is ignored.
    pub fn contributor_ids(&self, known: &[Uuid]) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self
            .contributors
            .iter()
            .filter_map(|raw| Uuid::parse_str(raw.trim()).ok())
            .filter(|id| known.contains(id))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// A piece of a word-level comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Same(String),
    Added(String),
    Removed(String),
}

/// The differences between two texts, word by word.
pub fn word_diff(old: &str, new: &str) -> Vec<Segment> {
    let diff = similar::TextDiff::from_words(old, new);
    let mut segments: Vec<Segment> = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value().to_owned();
        let segment = match change.tag() {
            similar::ChangeTag::Equal => Segment::Same(text),
            similar::ChangeTag::Insert => Segment::Added(text),
            similar::ChangeTag::Delete => Segment::Removed(text),
        };
        // Merge neighbours of the same kind, so that a changed phrase reads as one.
        match (segments.last_mut(), &segment) {
            (Some(Segment::Same(a)), Segment::Same(b))
            | (Some(Segment::Added(a)), Segment::Added(b))
            | (Some(Segment::Removed(a)), Segment::Removed(b)) => a.push_str(b),
            _ => segments.push(segment),
        }
    }
    segments
}

/// Words that end with a full stop without ending a sentence.
const ABBREVIATIONS: [&str; 8] = ["mme", "mlle", "mm", "dr", "etc", "cf", "ex", "art"];

/// Sentences in `text`: one ends at `.`, `!`, `?` or `…` followed by a space and a capital
/// letter, unless the word before is an initial or an abbreviation (« M. Martin », « cf. Loi »).
pub fn sentence_count(text: &str) -> usize {
    let text = text.trim();
    if text.is_empty() {
        return 0;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut count = 1;
    for (i, c) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let mut next = i + 1;
        if chars.get(next).is_none_or(|c| !c.is_whitespace()) {
            continue;
        }
        while chars.get(next).is_some_and(|c| c.is_whitespace()) {
            next += 1;
        }
        if !chars.get(next).is_some_and(|c| c.is_uppercase()) {
            continue;
        }
        let word: String = chars[..i]
            .iter()
            .rev()
            .take_while(|c| c.is_alphanumeric())
            .collect::<String>()
            .chars()
            .rev()
            .collect();
        let initial = word.chars().count() == 1 && *c == '.';
        if initial || (*c == '.' && ABBREVIATIONS.contains(&word.to_lowercase().as_str())) {
            continue;
        }
        count += 1;
    }
    count
}

/// What is valid but unusual about a vision: a statement of more than one sentence (the
/// handbook asks for one).
pub fn warnings(text: &VisionText) -> Warnings {
    let mut warnings = Warnings::default();
    let sentences = sentence_count(&text.statement);
    if sentences > 1 {
        warnings.add(
            Part::Statement.key(),
            format!(
                "L’énoncé de vision compte {sentences} phrases : le guide demande une seule phrase, que chacun peut retenir."
            ),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
    }

    #[test]
    fn a_part_counts_from_three_real_words() {
        assert!(!is_filled(""));
        assert!(!is_filled("   \n\t "));
        assert!(!is_filled("À voir"));
        assert!(!is_filled("- - - ..."));
        assert!(is_filled("Aider les aidants"));
        let text = VisionText {
            statement: "Aider les aidants à souffler".into(),
            users: "TODO".into(),
            impact: "Moins d’épuisement des aidants".into(),
            // The alignment is never counted.
            alignment: "Stratégie nationale des aidants".into(),
            ..Default::default()
        };
        let completeness = text.completeness();
        assert_eq!(completeness.score(), 2);
        assert_eq!(
            completeness.filled,
            [true, false, false, false, false, true]
        );
        assert!(!completeness.is_complete());
    }

    #[test]
    fn the_review_flag_turns_on_the_day_after_the_period() {
        let edited = Some(at(2026, 1, 31));
        // 31 January + 6 months = 31 July.
        assert_eq!(
            Review::compute(edited, None, 6, day(2026, 7, 31)),
            Review::UpToDate {
                last: day(2026, 1, 31),
                due: day(2026, 7, 31)
            }
        );
        assert!(Review::compute(edited, None, 6, day(2026, 8, 1)).is_due());
        // A "relue" action later than the edit resets the clock.
        assert!(!Review::compute(edited, Some(at(2026, 6, 1)), 6, day(2026, 8, 1)).is_due());
        // Month ends: 31 August + 6 months is 28 February.
        assert!(!Review::compute(Some(at(2025, 8, 31)), None, 6, day(2026, 2, 28)).is_due());
        assert!(Review::compute(Some(at(2025, 8, 31)), None, 6, day(2026, 3, 1)).is_due());
        assert_eq!(
            Review::compute(None, None, 6, day(2026, 1, 1)),
            Review::NotWritten
        );
        assert!(!Review::compute(edited, None, 12, day(2026, 12, 31)).is_due());
    }

    #[test]
    fn parts_are_capped_and_the_statement_is_one_line() {
        let long = VisionText {
            statement: "a".repeat(STATEMENT_MAX + 5),
            impact: "b".repeat(ELEMENT_MAX + 1),
            ..Default::default()
        };
        let errors = long.parse().unwrap_err();
        assert!(errors["statement"].contains("280 caractères au plus (285 saisis, 5 de trop)"));
        assert!(errors.contains_key("impact"));
        let two_lines = VisionText {
            statement: "Une phrase.\nUne autre.".into(),
            ..Default::default()
        };
        assert!(two_lines.parse().is_err());
        let exact = VisionText {
            statement: "é".repeat(STATEMENT_MAX),
            ..Default::default()
        };
        assert!(exact.parse().is_ok(), "characters, not bytes");
        assert!(
            VisionText::default().parse().is_ok(),
            "a vision may be drafted in steps"
        );
    }

    #[test]
    fn the_word_diff_marks_what_changed() {
        let segments = word_diff(
            "Aider les aidants à souffler",
            "Aider tous les proches aidants à souffler",
        );
        assert_eq!(
            segments,
            [
                Segment::Same("Aider ".into()),
                Segment::Added("tous ".into()),
                Segment::Same("les ".into()),
                Segment::Added("proches ".into()),
                Segment::Same("aidants à souffler".into()),
            ]
        );
        assert!(word_diff("a b", "a c").contains(&Segment::Removed("b".into())));
    }

    #[test]
    fn a_statement_is_one_sentence_unless_a_capital_follows_a_full_stop() {
        assert_eq!(sentence_count(""), 0);
        assert_eq!(
            sentence_count("Permettre aux aidants de souffler, simplement."),
            1
        );
        assert_eq!(
            sentence_count("Aider les aidants. Simplifier leurs démarches !"),
            2
        );
        assert_eq!(
            sentence_count("Avec M. Martin et Mme. Durand, cf. Loi 2019, 3.5 jours… et plus."),
            1
        );
        assert_eq!(sentence_count("Vraiment ? Oui. Encore !"), 3);
    }
}
