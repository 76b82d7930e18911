//! Writing and reading the audit trail.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::auth::model::User;

use super::model::{Action, Entity, FieldChange};

/// Records a change; call it inside the transaction that makes the change.
pub async fn record(
    tx: &mut PgConnection,
    actor: &User,
    product_id: Uuid,
    entity: Entity,
    entity_id: Uuid,
    action: Action,
    changes: &[FieldChange],
) -> Result<(), sqlx::Error> {
    record_by(
        tx,
        &Actor::user(actor),
        Some(product_id),
        entity,
        entity_id,
        action,
        changes,
    )
    .await
}

/// Who made a change, as the audit trail names them: a user, or an API key (named after its
/// label, and attached to the user who created it).
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub name: String,
}

impl Actor {
    pub fn user(user: &User) -> Self {
        Self {
            id: Some(user.id),
            name: user.display_name.clone(),
        }
    }
}

/// Records a change by `actor`; call it inside the transaction that makes the change. A change
/// of no product in particular (a key on the whole portfolio) has no `product_id`.
pub async fn record_by(
    tx: &mut PgConnection,
    actor: &Actor,
    product_id: Option<Uuid>,
    entity: Entity,
    entity_id: Uuid,
    action: Action,
    changes: &[FieldChange],
) -> Result<(), sqlx::Error> {
    let changes = serde_json::to_value(changes).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query!(
        "insert into audit_events (actor_id, actor_name, product_id, entity, entity_id, action, changes)
         values ($1, $2, $3, $4, $5, $6, $7)",
        actor.id,
        actor.name,
        product_id,
        entity.code(),
        entity_id,
        action.code(),
        changes
    )
    .execute(tx)
    .await?;
    Ok(())
}

pub struct Event {
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub action: String,
    pub changes: Vec<FieldChange>,
}

/// A page of a product's history, newest first; `limit + 1` rows tell whether more follow.
pub async fn product_history(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Event>> {
    let rows = sqlx::query!(
        "select at, actor_name, action, changes from audit_events where product_id = $1 order by id desc limit $2 offset $3",
        product_id,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Event {
                at: r.at,
                actor_name: r.actor_name,
                action: r.action,
                changes: crate::decode::json(r.changes)?,
            })
        })
        .collect()
}

/// Who last changed an entity, and when: shown on the conflict page.
pub async fn last_change(
    db: impl PgExecutor<'_>,
    entity: Entity,
    entity_id: Uuid,
) -> sqlx::Result<Option<(String, DateTime<Utc>)>> {
    let row = sqlx::query!(
        "select actor_name, at from audit_events where entity = $1 and entity_id = $2 order by id desc limit 1",
        entity.code(),
        entity_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.actor_name, r.at)))
}
