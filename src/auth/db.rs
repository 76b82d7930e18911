//! Queries on accounts, sessions and failed logins.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::model::{Role, User};

/// How long failed logins count against an account or an address.
pub const THROTTLE_WINDOW_MINUTES: i32 = 15;

pub struct Account {
    pub user: User,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Failed logins on this account within the throttling window.
    pub recent_failures: i64,
    /// Whether a password opens it (accounts made by ProConnect have none).
    pub has_password: bool,
    /// The last ProConnect login of a linked account, and the `acr` it came with.
    pub proconnect: Option<(DateTime<Utc>, Option<String>)>,
    /// When an administrator invited it to be linked to ProConnect, while the invitation holds.
    pub invited_at: Option<DateTime<Utc>>,
}

pub async fn find_active_user(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<User>> {
    sqlx::query_as!(
        User,
        r#"select id, email, display_name, role as "role: Role" from users where id = $1 and active"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// The active account with this email (any case) and its password hash.
pub async fn find_credentials(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<(User, String)>> {
    let row = sqlx::query!(
        r#"select id, email, display_name, role as "role: Role", password_hash from users where lower(email) = lower($1) and active"#,
        email
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        let user = User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: r.role,
        };
        (user, r.password_hash)
    }))
}

pub async fn password_hash(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("select password_hash from users where id = $1", id)
        .fetch_optional(db)
        .await
}

/// Failed logins allowed within the window, per (account, address) pair, per address, and per
/// account from all addresses together. The pair limit is the one people meet: mistyping a
/// password five times locks that account *from that address* only, so that a stranger
/// elsewhere cannot lock a colleague out. The address limit stops one machine from guessing
/// across accounts; the account limit, higher, stops a guess spread over many addresses (its
/// lock-out lasts one window at most, and an administrator can lift it at once).
pub const MAX_FAILURES_PER_PAIR: i64 = 5;
pub const MAX_FAILURES_PER_IP: i64 = 30;
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 20;

/// Whether a login attempt may check its password.
#[derive(Debug)]
pub enum Admission {
    /// Counted already as a failure; `forget_attempt` removes it if the password was right.
    Admitted { attempt: i64 },
    /// Too many failures; the attempt may go on when the oldest failure leaves the window.
    Refused { until: DateTime<Utc> },
    /// So many attempts on this account or from this address at once that this one could not
    /// be counted in time.
    Busy,
}

/// How long an attempt may wait for its turn to be counted.
const ADMISSION_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// A key for `pg_advisory_xact_lock`, from the SHA-256 of a label.
fn lock_key(label: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(label.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Counts the attempt *before* its password is checked, atomically: attempts on one account
/// and from one address are serialised by advisory locks, so a burst of parallel attempts
/// checks at most the limit, whatever the number of instances. The locks are only *tried*: an
/// attempt that finds them taken gives its connection back and tries again a moment later, so
/// that a flood of logins never holds the whole pool waiting.
pub async fn admit_attempt(db: &PgPool, email: &str, client_ip: &str) -> sqlx::Result<Admission> {
    let account = lock_key(&format!("login-account:{}", email.to_lowercase()));
    let address = lock_key(&format!("login-address:{client_ip}"));
    let deadline = tokio::time::Instant::now() + ADMISSION_WAIT;
    let mut tx = loop {
        let mut tx = db.begin().await?;
        let locked = sqlx::query!(
            r#"select pg_try_advisory_xact_lock($1) as "account!", pg_try_advisory_xact_lock($2) as "address!""#,
            account,
            address
        )
        .fetch_one(&mut *tx)
        .await?;
        if locked.account && locked.address {
            break tx;
        }
        tx.rollback().await?;
        if tokio::time::Instant::now() >= deadline {
            return Ok(Admission::Busy);
        }
        let pause = 5 + u64::from(rand::random::<u8>() % 20);
        tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
    };
    let row = sqlx::query!(
        r#"select
             count(*) filter (where email = lower($1) and client_ip = $2) as "pair!",
             count(*) filter (where client_ip = $2) as "address!",
             count(*) filter (where email = lower($1)) as "account!",
             min(attempted_at) filter (where email = lower($1) and client_ip = $2) as pair_oldest,
             min(attempted_at) filter (where client_ip = $2) as address_oldest,
             min(attempted_at) filter (where email = lower($1)) as account_oldest
           from login_failures
           where attempted_at > now() - make_interval(mins => $3)
             and (email = lower($1) or client_ip = $2)"#,
        email,
        client_ip,
        THROTTLE_WINDOW_MINUTES,
    )
    .fetch_one(&mut *tx)
    .await?;
    let window = chrono::Duration::minutes(i64::from(THROTTLE_WINDOW_MINUTES));
    let until = [
        (row.pair >= MAX_FAILURES_PER_PAIR, row.pair_oldest),
        (row.address >= MAX_FAILURES_PER_IP, row.address_oldest),
        (row.account >= MAX_FAILURES_PER_ACCOUNT, row.account_oldest),
    ]
    .into_iter()
    .filter_map(|(over, oldest)| over.then_some(oldest).flatten())
    .map(|oldest| oldest + window)
    .max();
    if let Some(until) = until {
        tx.rollback().await?;
        return Ok(Admission::Refused { until });
    }
    let attempt = sqlx::query_scalar!(
        "insert into login_failures (email, client_ip) values (lower($1), $2) returning id",
        email,
        client_ip
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Admission::Admitted { attempt })
}

/// The password was right: the attempt is not a failure.
pub async fn forget_attempt(db: impl PgExecutor<'_>, attempt: i64) -> sqlx::Result<()> {
    sqlx::query!("delete from login_failures where id = $1", attempt)
        .execute(db)
        .await?;
    Ok(())
}

/// Lifts the lock-out of an account (an administrator's action): its failures are forgotten.
pub async fn clear_failures(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from login_failures where email = (select lower(email) from users where id = $1)",
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn delete_old_failures(db: &PgPool) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from login_failures where attempted_at < now() - make_interval(mins => $1)",
        THROTTLE_WINDOW_MINUTES
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Creates an account; fails on `users_email_key` when the email is taken.
pub async fn create_user(
    db: impl PgExecutor<'_>,
    email: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into users (email, display_name, role, password_hash) values ($1, $2, $3, $4) returning id",
        email,
        display_name,
        role.code(),
        password_hash
    )
    .fetch_one(db)
    .await
}

pub async fn list_accounts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Account>> {
    let rows = sqlx::query!(
        r#"select u.id, u.email, u.display_name, u.role as "role: Role", u.active, u.created_at,
                  (select count(*) from login_failures f
                   where f.email = lower(u.email)
                     and f.attempted_at > now() - make_interval(mins => $1)) as "recent_failures!",
                  u.password_hash <> $2 as "has_password!",
                  case when u.identity_invited_at > now() - make_interval(days => $3)
                       then u.identity_invited_at end as identity_invited_at,
                  i.last_login_at as "proconnect_at?", i.last_acr
           from users u
           left join lateral (select last_login_at, last_acr from user_identities
                              where user_id = u.id order by last_login_at desc limit 1) i on true
           order by u.active desc, u.display_name collate "fr-x-icu""#,
        THROTTLE_WINDOW_MINUTES,
        super::identities::NO_PASSWORD,
        super::identities::INVITATION_DAYS
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Account {
                user: User {
                    id: r.id,
                    email: r.email,
                    display_name: r.display_name,
                    role: r.role,
                },
                active: r.active,
                created_at: r.created_at,
                recent_failures: r.recent_failures,
                has_password: r.has_password,
                proconnect: r.proconnect_at.map(|at| (at, r.last_acr)),
                invited_at: r.identity_invited_at,
            })
        })
        .collect()
}

pub async fn count_users(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from users"#)
        .fetch_one(db)
        .await
}

/// Changes the role (returns whether the account exists); a reader loses the right to edit the products whose person they are.
pub async fn set_role(db: impl PgExecutor<'_>, id: Uuid, role: Role) -> sqlx::Result<bool> {
    let done = sqlx::query_scalar!(
        "with changed as (update users set role = $2, updated_at = now() where id = $1 returning id, role),
              withdrawn as (update people set can_edit = false, updated_at = now()
                            where user_id in (select id from changed where role = 'reader') and can_edit
                            returning product_id),
              -- The product's members show on its pages: their revision moves.
              moved as (update product_health set revision = nextval('product_revisions')
                        where product_id in (select product_id from withdrawn))
         select id from changed",
        id,
        role.code()
    )
    .fetch_optional(db)
    .await?;
    Ok(done.is_some())
}

/// Activates or deactivates an account (returns whether it exists); a deactivated one loses the right to edit products
/// (given again person by person if it comes back).
pub async fn set_active(db: impl PgExecutor<'_>, id: Uuid, active: bool) -> sqlx::Result<bool> {
    let done = sqlx::query_scalar!(
        "with changed as (update users set active = $2, updated_at = now() where id = $1 returning id, active),
              withdrawn as (update people set can_edit = false, updated_at = now()
                            where user_id in (select id from changed where not active) and can_edit
                            returning product_id),
              -- The product's members show on its pages: their revision moves.
              moved as (update product_health set revision = nextval('product_revisions')
                        where product_id in (select product_id from withdrawn))
         select id from changed",
        id,
        active
    )
    .fetch_optional(db)
    .await?;
    Ok(done.is_some())
}

pub async fn set_password(
    db: impl PgExecutor<'_>,
    id: Uuid,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update users set password_hash = $2, updated_at = now() where id = $1",
        id,
        password_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Ends the user's sessions, except the one whose hashed id is `keep`.
pub async fn end_sessions(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    keep: Option<&[u8]>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from sessions where user_id = $1 and ($2::bytea is null or id_hash <> $2)",
        user_id,
        keep
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// The active administrators, by name, to whom a refused agent may write.
pub async fn admin_contacts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"select display_name, email from users where role = 'admin' and active
           order by display_name collate "fr-x-icu" limit 5"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.display_name, r.email))
        .collect())
}

/// Records a ProConnect login's `state` (its SHA-256) as started, and forgets those older than
/// the lifetime of a login.
pub async fn remember_login_state(db: impl PgExecutor<'_>, state_hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "with old as (delete from oidc_logins where started_at < now() - interval '10 minutes')
         insert into oidc_logins (state_hash) values ($1) on conflict do nothing",
        state_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Takes a started login's `state` out: true once, for a login started less than 10 minutes ago.
pub async fn take_login_state(db: impl PgExecutor<'_>, state_hash: &str) -> sqlx::Result<bool> {
    let taken = sqlx::query_scalar!(
        "delete from oidc_logins where state_hash = $1 and started_at > now() - interval '10 minutes'
         returning 1",
        state_hash
    )
    .fetch_optional(db)
    .await?;
    Ok(taken.is_some())
}
