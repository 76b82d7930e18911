//! API keys: created, listed and revoked (the pages are in `key_pages`), and the `Caller`
//! extractor that authenticates each API request by its key.
//!
//! A key is `bsl_` and 64 hexadecimal digits (256 random bits). Only its SHA-256 is stored,
//! with its first 12 characters to recognise it in lists. Keys never open the HTML pages (the
//! pages read only the session cookie) and cookies never authenticate the API (only the
//! `Authorization` header does), so the API has no cross-site request forgery to fear.

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::problem::Problem;
use crate::{audit::db::Actor, state::AppState, web::security::client_ip};

crate::vocabulary!(
    Scope {
        Read => "lecture", "Lecture";
        Measurements => "mesures", "Lecture, envoi de mesures et définition des indicateurs";
    }
);

/// Keys last a year unless their creator chooses otherwise, two at most.
pub const DEFAULT_DAYS: i64 = 365;
pub const MAX_DAYS: i64 = 730;
const PREFIX_LEN: usize = 12;

/// A new key's text, shown once, and what is stored of it.
pub struct NewSecret {
    pub key: String,
    pub prefix: String,
    pub hash: Vec<u8>,
}

pub fn new_secret() -> NewSecret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let key: String = std::iter::once("bsl_".to_owned())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    NewSecret {
        prefix: key[..PREFIX_LEN].to_owned(),
        hash: hash(&key),
        key,
    }
}

fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// A key as its lists show it.
pub struct ApiKey {
    pub id: Uuid,
    pub product_id: Option<Uuid>,
    pub label: String,
    pub scope: Scope,
    pub prefix: String,
    pub creator: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
}

impl ApiKey {
    pub fn active(&self) -> bool {
        self.revoked_at.is_none() && self.expires_at > Utc::now()
    }
}

pub struct NewKey<'a> {
    pub product_id: Option<Uuid>,
    pub label: &'a str,
    pub scope: Scope,
    pub secret: &'a NewSecret,
    pub created_by: Uuid,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(tx: &mut PgConnection, key: &NewKey<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into api_keys (product_id, label, scope, prefix, key_hash, created_by, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
        key.product_id,
        key.label,
        key.scope.code(),
        key.secret.prefix,
        key.secret.hash,
        key.created_by,
        key.expires_at
    )
    .fetch_one(tx)
    .await
}

/// The keys of a product (or, with None, the portfolio's), newest first.
pub async fn list(db: impl PgExecutor<'_>, product_id: Option<Uuid>) -> sqlx::Result<Vec<ApiKey>> {
    let rows = sqlx::query!(
        r#"select k.id, k.product_id, k.label, k.scope as "scope: Scope", k.prefix, u.display_name as "creator?",
                  k.created_at, k.expires_at, k.revoked_at, k.last_used_at, k.last_used_ip
           from api_keys k left join users u on u.id = k.created_by
           where k.product_id is not distinct from $1
           order by k.created_at desc"#,
        product_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ApiKey {
            id: r.id,
            product_id: r.product_id,
            label: r.label,
            scope: r.scope,
            prefix: r.prefix,
            creator: r.creator,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
            last_used_ip: r.last_used_ip,
        })
        .collect())
}

/// What revoking a key did.
pub struct Revoked {
    pub label: String,
    pub prefix: String,
    /// False when it was revoked already (a second click): nothing more to record.
    pub now: bool,
}

/// Revokes a key of the product (None: of the portfolio); None when there is no such key.
pub async fn revoke(
    tx: &mut PgConnection,
    product_id: Option<Uuid>,
    id: Uuid,
) -> sqlx::Result<Option<Revoked>> {
    let row = sqlx::query!(
        r#"with target as (
             select id, revoked_at is null as "live" from api_keys
             where id = $1 and product_id is not distinct from $2 for update)
           update api_keys k set revoked_at = coalesce(k.revoked_at, now())
           from target t where k.id = t.id
           returning k.label, k.prefix, t.live as "now!""#,
        id,
        product_id
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|r| Revoked {
        label: r.label,
        prefix: r.prefix,
        now: r.now,
    }))
}

/// How the audit trail and the lists name a key: `« Matomo » (bsl_1a2b3c4d…)`.
pub fn describe(label: &str, prefix: &str) -> String {
    format!("« {label} » ({prefix}…)")
}

pub async fn delete_old_hits(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!("delete from api_hits where minute < now() - interval '10 minutes'")
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Who calls the API: a valid key, its product (None: the whole portfolio) and its scope.
#[derive(Clone, Debug)]
pub struct Caller {
    pub key_id: Uuid,
    pub product_id: Option<Uuid>,
    pub scope: Scope,
    /// How the audit trail names changes made with this key.
    pub actor: Actor,
}

impl Caller {
    /// Whether the key may read `product`.
    pub fn reads(&self, product: Uuid) -> bool {
        self.product_id.is_none_or(|p| p == product)
    }

    /// The product the key may push measurements to: 403 for a read-only key.
    pub fn writes(&self, product: Uuid) -> Result<(), Problem> {
        match (self.scope, self.product_id) {
            (Scope::Measurements, Some(p)) if p == product => Ok(()),
            (Scope::Measurements, _) => Err(Problem::forbidden(
                "Cette clé ne peut envoyer des mesures qu’aux indicateurs de son produit.",
            )),
            (Scope::Read, _) => Err(Problem::forbidden(
                "Cette clé est en lecture seule : créez une clé « Lecture, envoi de mesures et définition des indicateurs » pour envoyer des mesures.",
            )),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let key = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, key) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
            })
            .filter(|key| key.len() < 200)
            .ok_or_else(Problem::unauthorized)?;
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        let ip = client_ip(&parts.headers, peer, state.config.trust_proxy);
        // One statement: the key if valid, its request counted for the rate limit, its last use
        // recorded (at most once a minute per address, so a busy pipeline does not rewrite it).
        let row = sqlx::query!(
            r#"with found as (
                 select k.id, k.product_id, k.scope, k.label, k.prefix, k.created_by
                 from api_keys k
                 join users u on u.id = k.created_by and u.active
                 where k.key_hash = $1 and k.revoked_at is null and k.expires_at > now()
                   -- A key works while its creator may still do what it does: an administrator,
                   -- or (a product's key) an editor who still edits the product.
                   and (u.role = 'admin'
                        or (k.product_id is not null and u.role = 'editor'
                            and exists (select 1 from people pe
                                        where pe.product_id = k.product_id and pe.user_id = u.id and pe.can_edit)))),
               counted as (
                 insert into api_hits (key_id, minute, hits)
                 select id, date_trunc('minute', now()), 1 from found
                 on conflict (key_id, minute) do update set hits = api_hits.hits + 1
                 returning hits),
               used as (
                 update api_keys set last_used_at = now(), last_used_ip = $2
                 where id = (select id from found)
                   and (last_used_at is null or last_used_at < now() - interval '1 minute'
                        or last_used_ip is distinct from $2)
                 returning id)
               select f.id as "id!", f.product_id, f.scope as "scope!: Scope", f.label as "label!", f.prefix as "prefix!",
                      f.created_by,
                      ((select hits from counted)
                       + coalesce((select h.hits from api_hits h
                                   where h.key_id = f.id and h.minute = date_trunc('minute', now()) - interval '1 minute'), 0)
                         * (1 - extract(epoch from now() - date_trunc('minute', now())) / 60))::float8 as "hits!",
                      (select count(*) from used) as "touched!"
               from found f"#,
            hash(key),
            ip
        )
        .fetch_optional(&state.db)
        .await?;
        let row = row.ok_or_else(Problem::unauthorized)?;
        if row.hits > f64::from(state.config.api_rate_limit) {
            return Err(Problem::too_many(60));
        }
        Ok(Self {
            key_id: row.id,
            product_id: row.product_id,
            scope: row.scope,
            actor: Actor {
                id: row.created_by,
                name: format!("Clé d’API {}", describe(&row.label, &row.prefix)),
            },
        })
    }
}
