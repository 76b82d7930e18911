//! Queries on products, their reference lists, members and phase history.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::web::version::{self, Stale, Version};

use super::model::{Decision, PhaseChangeInput, ProductInput, RefItem, Rgaa, Typology};

/// A product as stored, with the names of its direction and phase.
#[derive(Clone, Debug)]
pub struct Product {
    pub id: Uuid,
    pub input: ProductInput,
    pub direction_name: String,
    pub phase_id: Uuid,
    pub phase_name: String,
    pub phase_since: NaiveDate,
    pub archived: bool,
    pub version: i32,
    /// The latest change of anything on the product (from its audit trail), not only its row.
    pub updated_at: DateTime<Utc>,
    /// Moves with every change to anything on the product (see `portfolio::db::store_health`).
    pub revision: i64,
    /// Whether the viewer it was read for is a member who may edit it.
    pub viewer_is_member: bool,
    /// The phase changes, latest first.
    pub phase_history: Vec<PhaseChange>,
    /// The members who may edit it, by name.
    pub member_names: Vec<String>,
}

pub async fn directions(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<RefItem>> {
    sqlx::query_as!(
        RefItem,
        r#"select id, name, position, false as "optional!" from directions order by position, name"#
    )
    .fetch_all(db)
    .await
}

pub async fn phases(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<RefItem>> {
    sqlx::query_as!(
        RefItem,
        "select id, name, position, optional from phases order by position, name"
    )
    .fetch_all(db)
    .await
}

/// The directions and the phases, in one query (for pages that name both).
pub async fn directions_and_phases(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<(Vec<RefItem>, Vec<RefItem>)> {
    let rows = sqlx::query!(
        r#"select true as "direction!", id as "id!", name as "name!", position as "position!", false as "optional!"
           from directions
           union all
           select false, id, name, position, optional from phases
           order by 1 desc, 4, 3"#
    )
    .fetch_all(db)
    .await?;
    let (mut directions, mut phases) = (Vec::new(), Vec::new());
    for r in rows {
        let item = RefItem {
            id: r.id,
            name: r.name,
            position: r.position,
            optional: r.optional,
        };
        if r.direction {
            directions.push(item);
        } else {
            phases.push(item);
        }
    }
    Ok((directions, phases))
}

/// The product at `slug`, with its phase history and the names of its members, and whether
/// `viewer` is one of the members who may edit it: one statement for everything a product's
/// pages need of it.
pub async fn find_by_slug(
    db: impl PgExecutor<'_>,
    slug: &str,
    viewer: Option<Uuid>,
) -> sqlx::Result<Option<Product>> {
    let row = sqlx::query!(
        r#"select p.id, p.slug, p.name, p.description, p.direction_id, d.name as direction_name, p.typology as "typology: Typology",
                  p.public_url, p.repository_url, p.stats_url, p.rgaa as "rgaa: Rgaa", p.dsfr, p.homologated, p.homologation_date,
                  p.rgpd_register, p.phase_id, ph.name as phase_name, p.phase_since, p.archived_at, p.version,
                  greatest(p.updated_at, (select a.at from audit_events a where a.product_id = p.id order by a.id desc limit 1)) as "updated_at!",
                  coalesce((select h.revision from product_health h where h.product_id = p.id), 0) as "revision!",
                  exists (select 1 from people m where m.product_id = p.id and m.user_id = $2 and m.can_edit) as "viewer_is_member!",
                  coalesce((select json_agg(json_build_object('changed_on', c.changed_on, 'from_phase', f.name, 'phase', t.name,
                                                              'decision', c.decision, 'comment', c.comment, 'changed_by', u.display_name)
                                            order by c.changed_on desc, c.created_at desc)
                            from phase_changes c
                            join phases t on t.id = c.phase_id
                            left join phases f on f.id = c.from_phase_id
                            left join users u on u.id = c.changed_by
                            where c.product_id = p.id), '[]')::text as "phase_history!",
                  array(select u.display_name from people m join users u on u.id = m.user_id
                        where m.product_id = p.id and m.can_edit order by u.display_name collate "fr-x-icu") as "member_names!"
           from products p
           join directions d on d.id = p.direction_id
           join phases ph on ph.id = p.phase_id
           where p.slug = $1"#,
        slug,
        viewer
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Product {
            id: r.id,
            input: ProductInput {
                name: r.name,
                slug: r.slug,
                description: r.description,
                direction_id: r.direction_id,
                typology: r.typology,
                public_url: r.public_url,
                repository_url: r.repository_url,
                stats_url: r.stats_url,
                rgaa: r.rgaa,
                dsfr: r.dsfr,
                homologated: r.homologated,
                homologation_date: r.homologation_date,
                rgpd_register: r.rgpd_register,
            },
            direction_name: r.direction_name,
            phase_id: r.phase_id,
            phase_name: r.phase_name,
            phase_since: r.phase_since,
            archived: r.archived_at.is_some(),
            version: r.version,
            updated_at: r.updated_at,
            revision: r.revision,
            viewer_is_member: r.viewer_is_member,
            phase_history: crate::decode::json_text(&r.phase_history)?,
            member_names: r.member_names,
        })
    })
    .transpose()
}

/// The current slug of the product that used to be reached at `old`.
pub async fn renamed_to(db: impl PgExecutor<'_>, old: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "select p.slug from product_old_slugs o join products p on p.id = o.product_id where o.slug = $1",
        old
    )
    .fetch_optional(db)
    .await
}

/// Whether another product uses this slug, now or as a former slug.
pub async fn slug_taken(
    db: impl PgExecutor<'_>,
    slug: &str,
    by_other_than: Option<Uuid>,
) -> sqlx::Result<bool> {
    let taken = sqlx::query_scalar!(
        r#"select exists (select 1 from products where slug = $1 and id is distinct from $2)
               or exists (select 1 from product_old_slugs where slug = $1 and product_id is distinct from $2) as "taken!""#,
        slug,
        by_other_than
    )
    .fetch_one(db)
    .await?;
    Ok(taken)
}

pub async fn insert(
    tx: &mut PgConnection,
    input: &ProductInput,
    phase_id: Uuid,
    phase_since: NaiveDate,
    created_by: Uuid,
) -> sqlx::Result<Uuid> {
    let id = sqlx::query_scalar!(
        "insert into products (slug, name, description, direction_id, typology, public_url, repository_url, stats_url,
                               rgaa, dsfr, homologated, homologation_date, rgpd_register, phase_id, phase_since, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         returning id",
        input.slug,
        input.name,
        input.description,
        input.direction_id,
        input.typology.code(),
        input.public_url,
        input.repository_url,
        input.stats_url,
        input.rgaa.code(),
        input.dsfr,
        input.homologated,
        input.homologation_date,
        input.rgpd_register,
        phase_id,
        phase_since,
        created_by
    )
    .fetch_one(&mut *tx)
    .await?;
    crate::vision::db::create(tx, id).await?;
    crate::roles::db::create_standard_activities(tx, id).await?;
    Ok(id)
}

/// Updates the product if it is still at `version`; returns the rows affected (0: stale).
pub async fn update(
    tx: &mut PgConnection,
    id: Uuid,
    version: Version,
    input: &ProductInput,
) -> sqlx::Result<Result<(), Stale>> {
    let done = sqlx::query!(
        "update products set slug = $3, name = $4, description = $5, direction_id = $6, typology = $7,
                public_url = $8, repository_url = $9, stats_url = $10, rgaa = $11, dsfr = $12, homologated = $13,
                homologation_date = $14, rgpd_register = $15, version = version + 1, updated_at = now()
         where id = $1 and version = $2",
        id,
        version.number(),
        input.slug,
        input.name,
        input.description,
        input.direction_id,
        input.typology.code(),
        input.public_url,
        input.repository_url,
        input.stats_url,
        input.rgaa.code(),
        input.dsfr,
        input.homologated,
        input.homologation_date,
        input.rgpd_register
    )
    .execute(&mut *tx)
    .await?;
    Ok(version::guard(done.rows_affected()))
}

/// Keeps `old` redirecting to the product after a rename (and forgets `new` as a former slug).
pub async fn remember_old_slug(
    tx: &mut PgConnection,
    id: Uuid,
    old: &str,
    new: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from product_old_slugs where slug = $1 and product_id = $2",
        new,
        id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into product_old_slugs (slug, product_id) values ($1, $2)
         on conflict (slug) do update set product_id = excluded.product_id",
        old,
        id
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn set_archived(tx: &mut PgConnection, id: Uuid, archived: bool) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update products set archived_at = case when $2 then coalesce(archived_at, now()) end, updated_at = now()
         where id = $1 and (archived_at is not null) <> $2",
        id,
        archived
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected())
}

/// Whether the account is a person of the product allowed to edit its sheet.
/// A person of the product who may edit its sheet, with their account.
pub struct Member {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    pub active: bool,
}

pub async fn members(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Vec<Member>> {
    sqlx::query_as!(
        Member,
        "select u.id as user_id, u.display_name as name, u.email, u.role, u.active
         from people p join users u on u.id = p.user_id
         where p.product_id = $1 and p.can_edit order by u.display_name collate \"fr-x-icu\"",
        product_id
    )
    .fetch_all(db)
    .await
}

/// Active editors who may not edit the product yet (admins edit everything anyway).
pub async fn member_candidates(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
) -> sqlx::Result<Vec<Member>> {
    sqlx::query_as!(
        Member,
        "select u.id as user_id, u.display_name as name, u.email, u.role, u.active
         from users u
         where u.active and u.role = 'editor'
           and not exists (select 1 from people p where p.product_id = $1 and p.user_id = u.id and p.can_edit)
         order by u.display_name collate \"fr-x-icu\"",
        product_id
    )
    .fetch_all(db)
    .await
}

/// Lets an active editor edit the product: the person linked to their account may, a person
/// being added for them if there is none. Returns the person's name, or None if the account
/// cannot be given the right (unknown, inactive, not an editor, already allowed).
pub async fn add_member(
    tx: &mut PgConnection,
    product_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "insert into people (product_id, name, team, email, user_id, can_edit)
         select $1, display_name, 'dnum', email, id, true from users
         where id = $2 and active and role = 'editor'
         on conflict (product_id, user_id) where user_id is not null
         do update set can_edit = true, updated_at = now() where not people.can_edit
         returning name",
        product_id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await
}

/// Withdraws the right to edit; the person stays among the product's people. Returns their
/// name, or None if they could not edit.
pub async fn remove_member(
    tx: &mut PgConnection,
    product_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "update people set can_edit = false, updated_at = now()
         where product_id = $1 and user_id = $2 and can_edit returning name",
        product_id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct PhaseChange {
    pub changed_on: NaiveDate,
    pub from_phase: Option<String>,
    pub phase: String,
    pub decision: Option<String>,
    pub comment: String,
    pub changed_by: Option<String>,
}

/// Records a phase change and moves the product to its new phase.
pub async fn record_phase_change(
    tx: &mut PgConnection,
    product_id: Uuid,
    from_phase: Option<Uuid>,
    change: &PhaseChangeInput,
    changed_by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into phase_changes (product_id, from_phase_id, phase_id, changed_on, comment, decision, changed_by)
         values ($1, $2, $3, $4, $5, $6, $7)",
        product_id,
        from_phase,
        change.phase_id,
        change.changed_on,
        change.comment,
        change.decision.map(Decision::code),
        changed_by
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update products set phase_id = $2, phase_since = $3, updated_at = now() where id = $1",
        product_id,
        change.phase_id,
        change.changed_on
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The name of a product and the time of its latest change, its own or any in its audit trail
/// (share links aside: creating the link is not a change of what it shows).
pub struct ListedProduct {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub archived: bool,
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<ListedProduct>> {
    sqlx::query_as!(
        ListedProduct,
        r#"select slug, name, description, archived_at is not null as "archived!" from products order by archived_at is not null, name collate "fr-x-icu""#
    )
    .fetch_all(db)
    .await
}

/// Products whose name is close to `name` — trigram similarity of 0.8 or more, case and accents
/// aside ("Aide au répit" and "Aide au Répit"; not "Produit 1" and "Produit 10") — closest first.
pub async fn similar_names(
    db: impl PgExecutor<'_>,
    name: &str,
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        "select slug, name from products
         where similarity(unaccent(lower(name)), unaccent(lower($1))) >= 0.8
         order by similarity(unaccent(lower(name)), unaccent(lower($1))) desc, name collate \"fr-x-icu\"
         limit 5",
        name
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.slug, r.name)).collect())
}
