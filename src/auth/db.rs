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
}

struct UserRow {
    id: Uuid,
    email: String,
    display_name: String,
    role: String,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        // The check constraint guarantees a known role; reading one we do not know is safest as a reader.
        let role = Role::parse(&row.role).unwrap_or(Role::Reader);
        User {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role,
        }
    }
}

pub async fn find_active_user(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<User>> {
    let row = sqlx::query_as!(
        UserRow,
        "select id, email, display_name, role from users where id = $1 and active",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(User::from))
}

/// The active account with this email (any case) and its password hash.
pub async fn find_credentials(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<(User, String)>> {
    let row = sqlx::query!(
        "select id, email, display_name, role, password_hash from users where lower(email) = lower($1) and active",
        email
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        let user = User::from(UserRow {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: r.role,
        });
        (user, r.password_hash)
    }))
}

pub async fn password_hash(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("select password_hash from users where id = $1", id)
        .fetch_optional(db)
        .await
}

pub async fn record_failure(
    db: impl PgExecutor<'_>,
    email: &str,
    client_ip: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into login_failures (email, client_ip) values (lower($1), $2)",
        email,
        client_ip
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Failures in the window for this email and for this address, and when the oldest of them
/// leaves the window.
pub struct RecentFailures {
    pub for_email: i64,
    pub for_ip: i64,
    pub email_window_ends: Option<DateTime<Utc>>,
    pub ip_window_ends: Option<DateTime<Utc>>,
}

pub async fn recent_failures(
    db: impl PgExecutor<'_>,
    email: &str,
    client_ip: &str,
) -> sqlx::Result<RecentFailures> {
    let row = sqlx::query!(
        r#"select
             count(*) filter (where email = lower($1)) as "for_email!",
             count(*) filter (where client_ip = $2) as "for_ip!",
             min(attempted_at) filter (where email = lower($1)) + make_interval(mins => $3) as email_window_ends,
             min(attempted_at) filter (where client_ip = $2) + make_interval(mins => $3) as ip_window_ends
           from login_failures
           where attempted_at > now() - make_interval(mins => $3)
             and (email = lower($1) or client_ip = $2)"#,
        email,
        client_ip,
        THROTTLE_WINDOW_MINUTES,
    )
    .fetch_one(db)
    .await?;
    Ok(RecentFailures {
        for_email: row.for_email,
        for_ip: row.for_ip,
        email_window_ends: row.email_window_ends,
        ip_window_ends: row.ip_window_ends,
    })
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
        role.as_str(),
        password_hash
    )
    .fetch_one(db)
    .await
}

pub async fn list_accounts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Account>> {
    let rows = sqlx::query!(
        "select id, email, display_name, role, active, created_at from users order by active desc, lower(display_name)"
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Account {
            user: User::from(UserRow {
                id: r.id,
                email: r.email,
                display_name: r.display_name,
                role: r.role,
            }),
            active: r.active,
            created_at: r.created_at,
        })
        .collect())
}

pub async fn count_users(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from users"#)
        .fetch_one(db)
        .await
}

/// Returns whether an account was changed.
pub async fn set_role(db: impl PgExecutor<'_>, id: Uuid, role: Role) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update users set role = $2, updated_at = now() where id = $1",
        id,
        role.as_str()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_active(db: impl PgExecutor<'_>, id: Uuid, active: bool) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update users set active = $2, updated_at = now() where id = $1",
        id,
        active
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
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
