//! Versioned saves, the other half of [`super::conflict`]: the version a form was opened on,
//! the check that the save applied to it, and the version counters of sections that take their
//! version from a parent (a roadmap's initiatives and risks, a product's RACI matrix).
//!
//! A section's update runs `… where version = $sent`; [`guard`] turns its row count into
//! `Err(Stale)`, and the handler answers with the conflict page.

use sqlx::PgConnection;
use uuid::Uuid;

use super::FieldErrors;

/// What a form says when its hidden `version` field is missing or garbled: only a page altered
/// by hand (or by a tool) sends that, and reloading the page gives a good one.
pub const MALFORMED: &str = "Ce formulaire est incomplet (version illisible) : rechargez la page, puis enregistrez à nouveau.";

/// The version of a section a form was opened on, as its hidden `version` field sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version(i32);

impl Version {
    pub fn new(number: i32) -> Self {
        Self(number)
    }

    /// A version as forms send it: a non-negative integer.
    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse::<i32>().ok().filter(|n| *n >= 0).map(Self)
    }

    /// Reads the field, noting [`MALFORMED`] against `version` when it cannot.
    pub fn read(raw: &str, errors: &mut FieldErrors) -> Option<Self> {
        let version = Self::parse(raw);
        if version.is_none() {
            errors.insert("version", MALFORMED.into());
        }
        version
    }

    /// A form's parsed input together with its version: the errors of both when either fails,
    /// so that the form comes back with every message at once.
    pub fn with<T>(parsed: Result<T, FieldErrors>, raw: &str) -> Result<(T, Self), FieldErrors> {
        let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
        match (parsed, Self::read(raw, &mut errors)) {
            (Ok(input), Some(version)) => Ok((input, version)),
            _ => Err(errors),
        }
    }

    pub fn number(self) -> i32 {
        self.0
    }
}

/// Someone saved the section since the form was opened.
#[derive(Debug, PartialEq, Eq)]
pub struct Stale;

/// Whether an update guarded by `where version = $sent` found its row.
pub fn guard(rows_affected: u64) -> Result<(), Stale> {
    if rows_affected == 0 {
        Err(Stale)
    } else {
        Ok(())
    }
}

/// A version counter held by a parent row for the parts edited under it.
#[derive(Clone, Copy, Debug)]
pub enum Counter {
    /// `roadmaps.version`, for the roadmap's window, initiatives and risks.
    Roadmap(Uuid),
    /// `products.raci_version`, for the product's RACI matrix.
    Raci(Uuid),
}

/// Takes the counter's next version if it still is `sent`.
pub async fn bump(
    tx: &mut PgConnection,
    counter: Counter,
    sent: Version,
) -> sqlx::Result<Result<(), Stale>> {
    let done = match counter {
        Counter::Roadmap(id) => {
            sqlx::query!(
                "update roadmaps set version = version + 1, updated_at = now() where id = $1 and version = $2",
                id,
                sent.number()
            )
            .execute(tx)
            .await?
        }
        Counter::Raci(product_id) => {
            sqlx::query!(
                "update products set raci_version = raci_version + 1 where id = $1 and raci_version = $2",
                product_id,
                sent.number()
            )
            .execute(tx)
            .await?
        }
    };
    Ok(guard(done.rows_affected()))
}

/// A new version after a change that needs no version check (a confirmed deletion), so that
/// forms opened before it meet the conflict page.
pub async fn touch(tx: &mut PgConnection, counter: Counter) -> sqlx::Result<()> {
    match counter {
        Counter::Roadmap(id) => {
            sqlx::query!(
                "update roadmaps set version = version + 1, updated_at = now() where id = $1",
                id
            )
            .execute(tx)
            .await?
        }
        Counter::Raci(product_id) => {
            sqlx::query!(
                "update products set raci_version = raci_version + 1 where id = $1",
                product_id
            )
            .execute(tx)
            .await?
        }
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_a_non_negative_integer_and_anything_else_is_named() {
        assert_eq!(Version::parse(" 3 "), Some(Version::new(3)));
        assert_eq!(Version::parse("0"), Some(Version::new(0)));
        for garbled in ["", "-1", "NaN", "1e3", "3\0", "99999999999"] {
            let mut errors = FieldErrors::new();
            assert_eq!(Version::read(garbled, &mut errors), None, "{garbled:?}");
            assert_eq!(errors.get("version").map(String::as_str), Some(MALFORMED));
        }
        assert_eq!(guard(1), Ok(()));
        assert_eq!(guard(0), Err(Stale));
    }
}
