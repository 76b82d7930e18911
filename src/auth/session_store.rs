//! Sessions stored in PostgreSQL, so that they survive restarts and are shared by every instance.
//!
//! Only the SHA-256 of the session id is stored: a copy of the table cannot be replayed as
//! cookies. The `user_id` column, copied from the session data, lets us end every session of an
//! account at once (deactivation, password change).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store,
};
use uuid::Uuid;

/// Key under which the signed-in user is kept in the session data.
pub const AUTH_KEY: &str = "auth";
/// Key under which `load` puts the session's account as it is now (null when it is no longer
/// active), read with the session in one statement; never stored.
pub const ACCOUNT_KEY: &str = "_account";

#[derive(Clone, Debug)]
pub struct PgSessionStore {
    db: PgPool,
}

impl PgSessionStore {
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }

    /// Removes expired sessions; run periodically.
    pub async fn delete_expired(db: &PgPool) -> Result<u64, sqlx::Error> {
        let done = sqlx::query!("delete from sessions where expires_at < now()")
            .execute(db)
            .await?;
        Ok(done.rows_affected())
    }
}

/// The stored key of a session id.
pub fn id_hash(id: &Id) -> Vec<u8> {
    Sha256::digest(id.to_string().as_bytes()).to_vec()
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn expires_at(record: &Record) -> DateTime<Utc> {
    let at = record.expiry_date;
    DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond()).unwrap_or_else(Utc::now)
}

fn user_id(record: &Record) -> Option<Uuid> {
    record
        .data
        .get(AUTH_KEY)?
        .get("user_id")?
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// The session data to store: without the account read along with it.
fn stored_data(record: &Record) -> session_store::Result<serde_json::Value> {
    let mut data = serde_json::to_value(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    if let Some(map) = data.as_object_mut() {
        map.remove(ACCOUNT_KEY);
    }
    Ok(data)
}

#[async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = stored_data(record)?;
        // Always a fresh id: a record that once had an id (a session flushed at logout, then
        // given a flash message) must never come back under it. A collision of 128-bit random
        // ids is essentially impossible, but never overwrite.
        loop {
            record.id = Id::default();
            let inserted = sqlx::query!(
                "insert into sessions (id_hash, user_id, data, expires_at) values ($1, $2, $3, $4)
                 on conflict (id_hash) do nothing",
                id_hash(&record.id),
                user_id(record),
                data,
                expires_at(record),
            )
            .execute(&self.db)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
        }
    }

    /// Updates a live session and never inserts: a session deleted meanwhile (logout, password
    /// change, deactivation, expiry) stays deleted even if a request that loaded it before
    /// ends by saving it.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = stored_data(record)?;
        sqlx::query!(
            "update sessions set user_id = $2, data = $3, expires_at = $4
             where id_hash = $1 and expires_at > now()",
            id_hash(&record.id),
            user_id(record),
            data,
            expires_at(record),
        )
        .execute(&self.db)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        // The account comes with the session: a signed-in page costs one statement for both.
        let row = sqlx::query!(
            r#"select s.data, s.expires_at,
                      (select json_build_object('id', u.id, 'email', u.email, 'display_name', u.display_name,
                                                'role', u.role)
                       from users u where u.id = s.user_id and u.active) as account
               from sessions s where s.id_hash = $1 and s.expires_at > now()"#,
            id_hash(id)
        )
        .fetch_optional(&self.db)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let mut data: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_value(row.data)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        if data.contains_key(AUTH_KEY) {
            data.insert(
                ACCOUNT_KEY.into(),
                row.account.unwrap_or(serde_json::Value::Null),
            );
        }
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query!("delete from sessions where id_hash = $1", id_hash(id))
            .execute(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
