//! `boussole demo`: a realistic data set to explore the application with.

use sqlx::PgPool;

use crate::auth::{
    db,
    model::{self, Role},
};

/// The password of every demo account. Demo data only: never load it on a real instance.
pub const DEMO_PASSWORD: &str = "boussole-demo-2026";

/// (email, display name, role)
pub const DEMO_ACCOUNTS: [(&str, &str, Role); 3] = [
    ("admin@demo.boussole.fr", "Alice Martin", Role::Admin),
    ("editeur@demo.boussole.fr", "Marie Dupont", Role::Editor),
    ("lecteur@demo.boussole.fr", "Jean Leroy", Role::Reader),
];

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Loaded,
    AlreadyLoaded,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "the database already holds data that is not the demo's; use --force to add the demo data anyway"
    )]
    NotEmpty,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Loads the demo data into an empty database. Running it again changes nothing; on a database
/// with other data it refuses unless `force`, which adds or resets the demo data in place.
pub async fn load(db: &PgPool, force: bool) -> Result<Outcome, DemoError> {
    let users = db::count_users(db).await?;
    let demo_present = db::find_credentials(db, DEMO_ACCOUNTS[0].0)
        .await?
        .is_some();
    if users > 0 && !force {
        return if demo_present {
            Ok(Outcome::AlreadyLoaded)
        } else {
            Err(DemoError::NotEmpty)
        };
    }
    let hash = model::hash_password(DEMO_PASSWORD)?;
    let mut tx = db.begin().await?;
    for (email, name, role) in DEMO_ACCOUNTS {
        sqlx::query!(
            "insert into users (email, display_name, role, password_hash) values ($1, $2, $3, $4)
             on conflict (lower(email)) do update
             set display_name = excluded.display_name, role = excluded.role,
                 password_hash = excluded.password_hash, active = true, updated_at = now()",
            email,
            name,
            role.as_str(),
            hash
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Outcome::Loaded)
}
