//! Which account a ProConnect login opens: the one linked to the agent's identity (issuer,
//! subject); else the account an administrator invited to be linked, if the provider vouches for
//! its e-mail; else, as configured, a new reader's account or a refusal. An e-mail alone never
//! opens an existing account.

use sqlx::PgPool;

use super::{
    model::{Role, User},
    oidc::Agent,
};
use crate::{
    audit::{self, Action, Entity, FieldChange, db::Actor, model::subject},
    config::UnknownAgents,
    error::AppResult,
};

/// What the login comes to.
#[derive(Debug)]
pub enum Outcome {
    SignedIn(User),
    Refused(Refusal),
}

/// Why an agent the provider vouched for does not get in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The linked (or invited) account was deactivated by an administrator.
    Deactivated,
    /// No account, and Boussole does not create them.
    Unknown,
    /// An account has this e-mail but is not linked, and no administrator invited it.
    NotLinked,
    /// The provider does not vouch for the e-mail (or gave none).
    EmailNotVerified,
}

/// An invitation to link ProConnect is taken within this many days, or not at all.
pub const INVITATION_DAYS: i32 = 7;

/// Stands for accounts that have no password: no PHC string, so no password ever matches.
pub const NO_PASSWORD: &str = "!proconnect";

pub async fn resolve(db: &PgPool, agent: &Agent, unknown: UnknownAgents) -> AppResult<Outcome> {
    // Twice at most: a first login that races another first login of the same agent finds,
    // the second time, the account the other one made.
    for _ in 0..2 {
        if let Some(outcome) = attempt(db, agent, unknown).await? {
            return Ok(outcome);
        }
    }
    Ok(Outcome::Refused(Refusal::Unknown))
}

/// One try; `None` when another login created the account meanwhile.
async fn attempt(db: &PgPool, agent: &Agent, unknown: UnknownAgents) -> AppResult<Option<Outcome>> {
    let mut tx = db.begin().await?;
    let linked = sqlx::query!(
        r#"update user_identities i
           set last_login_at = now(), last_acr = $3, last_amr = $4, email = coalesce($5, i.email)
           from users u
           where i.issuer = $1 and i.subject = $2 and u.id = i.user_id
           returning u.id, u.email, u.display_name, u.role as "role: Role", u.active"#,
        agent.issuer,
        agent.subject,
        agent.acr,
        &agent.amr,
        agent.email,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(user) = linked {
        if !user.active {
            return Ok(Some(Outcome::Refused(Refusal::Deactivated)));
        }
        tx.commit().await?;
        return Ok(Some(Outcome::SignedIn(User {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
        })));
    }

    let verified = agent.email_verified != Some(false);
    let Some(email) = agent.email.as_deref().filter(|e| !e.trim().is_empty()) else {
        return Ok(Some(Outcome::Refused(Refusal::EmailNotVerified)));
    };
    let existing = sqlx::query!(
        r#"select id, email, display_name, role as "role: Role", active,
                  coalesce(identity_invited_at > now() - make_interval(days => $2), false) as "invited!"
           from users where lower(email) = lower($1) for update"#,
        email,
        INVITATION_DAYS
    )
    .fetch_optional(&mut *tx)
    .await?;
    let user = match existing {
        Some(account) if account.invited => {
            if !verified {
                return Ok(Some(Outcome::Refused(Refusal::EmailNotVerified)));
            }
            if !account.active {
                return Ok(Some(Outcome::Refused(Refusal::Deactivated)));
            }
            let user = User {
                id: account.id,
                email: account.email,
                display_name: account.display_name,
                role: account.role,
            };
            link(&mut tx, agent, &user).await?;
            sqlx::query!(
                "update users set identity_invited_at = null, identity_invited_by = null, updated_at = now()
                 where id = $1",
                user.id
            )
            .execute(&mut *tx)
            .await?;
            record(&mut tx, &user, Action::IdentityLink, agent).await?;
            user
        }
        Some(_) => {
            // A first login of the same agent may have linked the account between our first
            // read and this one (its row is locked now): read again from the start.
            let linked_meanwhile = sqlx::query_scalar!(
                r#"select exists (select 1 from user_identities where issuer = $1 and subject = $2) as "linked!""#,
                agent.issuer,
                agent.subject
            )
            .fetch_one(&mut *tx)
            .await?;
            if linked_meanwhile {
                return Ok(None);
            }
            return Ok(Some(Outcome::Refused(Refusal::NotLinked)));
        }
        None if unknown == UnknownAgents::Refuse => {
            return Ok(Some(Outcome::Refused(Refusal::Unknown)));
        }
        None if !verified => return Ok(Some(Outcome::Refused(Refusal::EmailNotVerified))),
        None => {
            let name = display_name(agent, email);
            let created = sqlx::query_scalar!(
                "insert into users (email, display_name, role, password_hash) values ($1, $2, 'reader', $3)
                 on conflict ((lower(email))) do nothing returning id",
                email,
                name,
                NO_PASSWORD
            )
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = created else {
                // Another login made it between our read and our write: read it again.
                return Ok(None);
            };
            let user = User {
                id,
                email: email.to_owned(),
                display_name: name,
                role: Role::Reader,
            };
            link(&mut tx, agent, &user).await?;
            record(&mut tx, &user, Action::AccountCreate, agent).await?;
            user
        }
    };
    tx.commit().await?;
    Ok(Some(Outcome::SignedIn(user)))
}

/// The audit trail's entry of what the agent's login did to their account.
async fn record(
    tx: &mut sqlx::PgConnection,
    user: &User,
    action: Action,
    agent: &Agent,
) -> sqlx::Result<()> {
    let changes = [
        subject("Compte", &user.email),
        FieldChange {
            field: "identity".into(),
            label: "Identité ProConnect".into(),
            before: String::new(),
            after: format!("{} (émetteur {})", agent.subject, agent.issuer),
        },
    ];
    let actor = Actor::user(user);
    audit::db::record_by(tx, &actor, None, Entity::Account, user.id, action, &changes).await
}

async fn link(tx: &mut sqlx::PgConnection, agent: &Agent, user: &User) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into user_identities (issuer, subject, user_id, email, last_acr, last_amr)
         values ($1, $2, $3, $4, $5, $6)",
        agent.issuer,
        agent.subject,
        user.id,
        agent.email.as_deref().unwrap_or_default(),
        agent.acr,
        &agent.amr
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// "Camille Agent" from ProConnect's given and usual names, else the e-mail.
fn display_name(agent: &Agent, email: &str) -> String {
    let name = [agent.given_name.as_deref(), agent.usual_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let name: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
    if name.is_empty() {
        email.to_owned()
    } else {
        name
    }
}

/// What an invitation to link ProConnect came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Invitation {
    Made,
    /// The account is linked already: one identity per account.
    AlreadyLinked,
    NotFound,
}

/// An administrator invites an account to be linked at its next ProConnect login (within
/// `INVITATION_DAYS`).
pub async fn invite(db: &PgPool, admin: &User, id: uuid::Uuid) -> AppResult<Invitation> {
    let mut tx = db.begin().await?;
    let row = sqlx::query!(
        r#"select email, exists (select 1 from user_identities i where i.user_id = u.id) as "linked!"
           from users u where id = $1 for update"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(Invitation::NotFound);
    };
    if row.linked {
        return Ok(Invitation::AlreadyLinked);
    }
    let email = row.email;
    sqlx::query!(
        "update users set identity_invited_at = now(), identity_invited_by = $2, updated_at = now()
         where id = $1",
        id,
        admin.id
    )
    .execute(&mut *tx)
    .await?;
    audit::db::record_by(
        &mut tx,
        &Actor::user(admin),
        None,
        Entity::Account,
        id,
        Action::IdentityInvite,
        &[subject("Compte", &email)],
    )
    .await?;
    tx.commit().await?;
    Ok(Invitation::Made)
}
