//! One-time messages shown on the next page ("Compte créé"), kept in the session.

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

const KEY: &str = "flash";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flash {
    /// DSFR alert type: `success`, `info`, `warning` or `error`.
    pub kind: String,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Self {
            kind: "success".into(),
            message: message.into(),
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self {
            kind: "error".into(),
            message: message.into(),
        }
    }

    pub fn info(message: impl Into<String>) -> Self {
        Self {
            kind: "info".into(),
            message: message.into(),
        }
    }

    /// Queues the message for the next page the user sees.
    pub async fn push(self, session: &Session) -> Result<(), tower_sessions::session::Error> {
        let mut queued: Vec<Flash> = session.get(KEY).await?.unwrap_or_default();
        queued.push(self);
        session.insert(KEY, queued).await
    }

    /// Removes and returns the queued messages.
    pub async fn take(session: &Session) -> Result<Vec<Flash>, tower_sessions::session::Error> {
        Ok(take_once(session, KEY).await?.unwrap_or_default())
    }
}

/// Removes and returns a one-time value kept in the session. Taking nothing leaves the session
/// untouched, so that a page view with nothing to show writes nothing.
pub async fn take_once<T: serde::de::DeserializeOwned>(
    session: &Session,
    key: &str,
) -> Result<Option<T>, tower_sessions::session::Error> {
    if session.get_value(key).await?.is_none() {
        return Ok(None);
    }
    session.remove(key).await
}
