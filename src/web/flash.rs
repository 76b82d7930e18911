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

    /// Removes and returns the queued messages. Taking nothing leaves the session untouched,
    /// so that a page view with no message writes nothing.
    pub async fn take(session: &Session) -> Result<Vec<Flash>, tower_sessions::session::Error> {
        let queued: Option<Vec<Flash>> = session.get(KEY).await?;
        match queued {
            Some(_) => Ok(session.remove(KEY).await?.unwrap_or_default()),
            None => Ok(Vec::new()),
        }
    }
}
