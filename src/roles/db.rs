//! Queries on people, RACI activities and cells.

use std::collections::HashMap;

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::model::{Letter, PersonFacts, STANDARD_ACTIVITIES, Team};

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    pub organisation: String,
    pub team: Team,
    pub role_title: String,
    pub allocation: Option<i32>,
    pub expectations: String,
    pub email: String,
    /// The Boussole account of this person, if they have one.
    pub user_id: Option<Uuid>,
    /// The account may edit the product's sheet (needs an account with the editor role).
    pub can_edit: bool,
}

impl Person {
    pub fn facts(&self) -> PersonFacts {
        PersonFacts {
            id: self.id,
            name: self.name.clone(),
            team: self.team,
            role_title: self.role_title.clone(),
            allocation: self.allocation,
        }
    }
}

pub async fn people(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Vec<Person>> {
    let rows = sqlx::query!(
        r#"select id, name, organisation, team as "team: Team", role_title, allocation, expectations, email, user_id,
                  can_edit
           from people
           where product_id = $1
           order by array_position(array['dnum', 'metier', 'prestataire', 'autre'], people.team), name collate "fr-x-icu""#,
        product_id
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Person {
                id: r.id,
                name: r.name,
                organisation: r.organisation,
                team: r.team,
                role_title: r.role_title,
                allocation: r.allocation,
                expectations: r.expectations,
                email: r.email,
                user_id: r.user_id,
                can_edit: r.can_edit,
            })
        })
        .collect()
}

pub async fn save_person(
    tx: &mut PgConnection,
    product_id: Uuid,
    id: Option<Uuid>,
    p: &Person,
) -> sqlx::Result<Uuid> {
    match id {
        None => {
            sqlx::query_scalar!(
                "insert into people (product_id, name, organisation, team, role_title, allocation, expectations, email, user_id, can_edit)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
                product_id,
                p.name,
                p.organisation,
                p.team.code(),
                p.role_title,
                p.allocation,
                p.expectations,
                p.email,
                p.user_id,
                p.can_edit
            )
            .fetch_one(tx)
            .await
        }
        Some(id) => {
            sqlx::query!(
                "update people set name = $3, organisation = $4, team = $5, role_title = $6, allocation = $7, expectations = $8,
                        email = $9, user_id = $10, can_edit = $11, updated_at = now()
                 where product_id = $1 and id = $2",
                product_id,
                id,
                p.name,
                p.organisation,
                p.team.code(),
                p.role_title,
                p.allocation,
                p.expectations,
                p.email,
                p.user_id,
                p.can_edit
            )
            .execute(tx)
            .await?;
            Ok(id)
        }
    }
}

/// An active account a person may be linked to.
pub struct LinkableAccount {
    pub id: Uuid,
    pub name: String,
    /// Editors (and administrators) can be allowed to edit a product; readers cannot.
    pub can_edit: bool,
}

pub async fn linkable_accounts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<LinkableAccount>> {
    sqlx::query_as!(
        LinkableAccount,
        r#"select id, display_name as name, role in ('editor', 'admin') as "can_edit!"
           from users where active order by display_name collate "fr-x-icu""#
    )
    .fetch_all(db)
    .await
}

/// The person of the product linked to this account, added (in the DNUM team) if there is none.
pub async fn account_person(
    tx: &mut PgConnection,
    product_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into people (product_id, name, team, email, user_id)
         select $1, display_name, 'dnum', email, id from users where id = $2
         on conflict (product_id, user_id) where user_id is not null
         do update set updated_at = people.updated_at
         returning id",
        product_id,
        user_id
    )
    .fetch_one(tx)
    .await
}

pub async fn delete_person(tx: &mut PgConnection, product_id: Uuid, id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from people where product_id = $1 and id = $2",
        product_id,
        id
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Activity {
    pub id: Uuid,
    pub name: String,
}

pub async fn activities(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Vec<Activity>> {
    sqlx::query_as!(
        Activity,
        "select id, name from raci_activities where product_id = $1 order by position, created_at",
        product_id
    )
    .fetch_all(db)
    .await
}

/// The standard activities, for a new product.
pub async fn create_standard_activities(
    tx: &mut PgConnection,
    product_id: Uuid,
) -> sqlx::Result<()> {
    let names: Vec<String> = STANDARD_ACTIVITIES
        .iter()
        .map(|n| (*n).to_owned())
        .collect();
    sqlx::query!(
        "insert into raci_activities (product_id, name, position) select $1, x.name, x.position from unnest($2::text[]) with ordinality as x(name, position)",
        product_id,
        &names
    )
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn add_activity(
    tx: &mut PgConnection,
    product_id: Uuid,
    name: &str,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into raci_activities (product_id, name, position)
         select $1, $2, coalesce(max(position), 0) + 1 from raci_activities where product_id = $1 returning id",
        product_id,
        name
    )
    .fetch_one(tx)
    .await
}

pub async fn rename_activity(
    tx: &mut PgConnection,
    product_id: Uuid,
    id: Uuid,
    name: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query!("update raci_activities set name = $3, updated_at = now() where product_id = $1 and id = $2", product_id, id, name)
        .execute(tx)
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete_activity(
    tx: &mut PgConnection,
    product_id: Uuid,
    id: Uuid,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from raci_activities where product_id = $1 and id = $2",
        product_id,
        id
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

pub async fn reorder_activities(tx: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query!(
        "update raci_activities a set position = x.position::int, updated_at = now()
         from unnest($1::uuid[]) with ordinality as x(id, position) where a.id = x.id",
        ids
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// What the sheet's roles section needs, in one query: the people's facts, the activities (in
/// order) and the letters of the matrix.
pub async fn section(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
) -> sqlx::Result<(
    Vec<PersonFacts>,
    Vec<(Uuid, String)>,
    HashMap<(Uuid, Uuid), Letter>,
)> {
    #[derive(serde::Deserialize)]
    struct PersonJson {
        id: Uuid,
        name: String,
        team: String,
        role_title: String,
        allocation: Option<i32>,
    }
    #[derive(serde::Deserialize)]
    struct ActivityJson {
        id: Uuid,
        name: String,
    }
    #[derive(serde::Deserialize)]
    struct CellJson {
        activity_id: Uuid,
        person_id: Uuid,
        letter: String,
    }
    let row = sqlx::query!(
        r#"select
             coalesce((select json_agg(json_build_object('id', id, 'name', name, 'team', team,
                                                         'role_title', role_title, 'allocation', allocation))
                       from people where product_id = $1), '[]') as "people!",
             coalesce((select json_agg(json_build_object('id', id, 'name', name) order by position, created_at)
                       from raci_activities where product_id = $1), '[]') as "activities!",
             coalesce((select json_agg(json_build_object('activity_id', c.activity_id, 'person_id', c.person_id,
                                                         'letter', c.letter))
                       from raci_cells c join raci_activities a on a.id = c.activity_id
                       where a.product_id = $1), '[]') as "cells!""#,
        product_id
    )
    .fetch_one(db)
    .await?;
    let decode = |e: crate::vocabulary::Unknown| sqlx::Error::Decode(Box::new(e));
    let people: Vec<PersonJson> = crate::decode::json(row.people)?;
    let people = people
        .into_iter()
        .map(|p| {
            Ok(PersonFacts {
                id: p.id,
                name: p.name,
                team: Team::try_from(p.team.as_str()).map_err(decode)?,
                role_title: p.role_title,
                allocation: p.allocation,
            })
        })
        .collect::<sqlx::Result<_>>()?;
    let activities: Vec<ActivityJson> = crate::decode::json(row.activities)?;
    let cells: Vec<CellJson> = crate::decode::json(row.cells)?;
    let cells = cells
        .into_iter()
        .map(|c| {
            let letter = Letter::try_from(c.letter.as_str()).map_err(decode)?;
            Ok(((c.activity_id, c.person_id), letter))
        })
        .collect::<sqlx::Result<_>>()?;
    Ok((
        people,
        activities.into_iter().map(|a| (a.id, a.name)).collect(),
        cells,
    ))
}

/// The product's RACI matrix as its pages need it: people (by team, then name), activities,
/// saved letters and the matrix's version, in one statement.
pub struct Matrix {
    pub people: Vec<Person>,
    pub activities: Vec<Activity>,
    pub cells: HashMap<(Uuid, Uuid), Letter>,
    pub version: i32,
}

pub async fn matrix(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Matrix> {
    #[derive(serde::Deserialize)]
    struct CellDocument {
        activity_id: Uuid,
        person_id: Uuid,
        letter: Letter,
    }
    let row = sqlx::query!(
        r#"select p.raci_version,
                  coalesce((select json_agg(d.document order by array_position(array['dnum', 'metier', 'prestataire', 'autre'], d.team),
                                                               d.name collate "fr-x-icu")
                            from person_documents d where d.product_id = p.id), '[]')::text as "people!",
                  coalesce((select json_agg(json_build_object('id', a.id, 'name', a.name) order by a.position, a.created_at)
                            from raci_activities a where a.product_id = p.id), '[]')::text as "activities!",
                  coalesce((select json_agg(json_build_object('activity_id', c.activity_id, 'person_id', c.person_id,
                                                              'letter', c.letter))
                            from raci_cells c join raci_activities a on a.id = c.activity_id
                            where a.product_id = p.id), '[]')::text as "cells!"
           from products p where p.id = $1"#,
        product_id
    )
    .fetch_one(db)
    .await?;
    let cells: Vec<CellDocument> = crate::decode::json_text(&row.cells)?;
    Ok(Matrix {
        people: crate::decode::json_text(&row.people)?,
        activities: crate::decode::json_text(&row.activities)?,
        cells: cells
            .into_iter()
            .map(|c| ((c.activity_id, c.person_id), c.letter))
            .collect(),
        version: row.raci_version,
    })
}

/// Replaces every cell of the product's matrix.
pub async fn replace_cells(
    tx: &mut PgConnection,
    product_id: Uuid,
    cells: &HashMap<(Uuid, Uuid), Letter>,
) -> sqlx::Result<()> {
    sqlx::query!("delete from raci_cells c using raci_activities a where a.id = c.activity_id and a.product_id = $1", product_id)
        .execute(&mut *tx)
        .await?;
    let activities: Vec<Uuid> = cells.keys().map(|(a, _)| *a).collect();
    let people: Vec<Uuid> = cells.keys().map(|(_, p)| *p).collect();
    let letters: Vec<String> = cells.values().map(|l| l.code().to_owned()).collect();
    sqlx::query!(
        "insert into raci_cells (activity_id, person_id, letter) select * from unnest($1::uuid[], $2::uuid[], $3::text[])",
        &activities,
        &people,
        &letters
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A product's RACI matrix as the portfolio sees it: how many activities lack an accountable,
/// have several, lack a responsible; `problems` sums them (an activity can have two).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RaciCounts {
    pub no_a: usize,
    pub several_a: usize,
    pub no_r: usize,
    /// Activities with at least one of these problems.
    pub activities: usize,
}

impl RaciCounts {
    pub fn problems(&self) -> i64 {
        (self.no_a + self.several_a + self.no_r) as i64
    }
}

/// For the dashboard: per product, its RACI counts and whether it has a matrix at all (people
/// and letters). One query.
pub async fn portfolio_problems(
    db: impl PgExecutor<'_>,
    only: Option<&[Uuid]>,
) -> sqlx::Result<HashMap<Uuid, (RaciCounts, bool)>> {
    let rows = sqlx::query!(
        r#"select a.product_id,
                  count(*) filter (where coalesce(x.accountable, 0) = 0) as "no_a!",
                  count(*) filter (where x.accountable > 1) as "several_a!",
                  count(*) filter (where coalesce(x.responsible, 0) = 0) as "no_r!",
                  count(*) filter (where coalesce(x.accountable, 0) <> 1 or coalesce(x.responsible, 0) = 0) as "activities!",
                  bool_or(x.letters > 0) as "filled!"
           from raci_activities a
           left join lateral (select count(*) filter (where c.letter in ('A', 'A+R')) as accountable,
                                     count(*) filter (where c.letter in ('R', 'A+R')) as responsible,
                                     count(*) as letters
                              from raci_cells c where c.activity_id = a.id) x on true
           where $1::uuid[] is null or a.product_id = any($1)
           group by a.product_id"#,
        only
    )
    .fetch_all(db)
    .await?;
    let count = |n: i64| usize::try_from(n).unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|r| {
            let counts = RaciCounts {
                no_a: count(r.no_a),
                several_a: count(r.several_a),
                no_r: count(r.no_r),
                activities: count(r.activities),
            };
            (r.product_id, (counts, r.filled))
        })
        .collect())
}
