//! The roles section of the product sheet.

use uuid::Uuid;

use crate::{error::AppResult, state::AppState};

use super::{
    db::{self, Person},
    model::{Team, validate},
    views::*,
};

/// The product sheet's roles section.
pub async fn summary(state: &AppState, product_id: Uuid) -> AppResult<RolesSummary> {
    let people = db::people(&state.db, product_id).await?;
    let activities = db::activities(&state.db, product_id).await?;
    let cells = db::cells(&state.db, product_id).await?;
    let facts: Vec<_> = people.iter().map(Person::facts).collect();
    let report = validate(
        &activities
            .iter()
            .map(|a| (a.id, a.name.clone()))
            .collect::<Vec<_>>(),
        &facts,
        &cells,
    );
    Ok(RolesSummary {
        business_owner: facts
            .iter()
            .find(|p| p.is_business_owner())
            .map(|p| p.name.clone()),
        product_owner: facts
            .iter()
            .find(|p| p.is_product_owner())
            .map(|p| p.name.clone()),
        teams: Team::ALL
            .iter()
            .map(|t| (t.label(), people.iter().filter(|p| p.team == *t).count()))
            .collect(),
        people: people.len(),
        started: !cells.is_empty(),
        problems: report.errors.len(),
    })
}
