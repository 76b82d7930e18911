//! The roles section of the product sheet.

use uuid::Uuid;

use crate::{error::AppResult, state::AppState};

use super::{
    db,
    model::{Team, validate},
    views::*,
};

/// The product sheet's roles section.
pub async fn summary(state: &AppState, product_id: Uuid) -> AppResult<RolesSummary> {
    let (facts, activities, cells) = db::section(&state.db, product_id).await?;
    let report = validate(&activities, &facts, &cells);
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
            .map(|t| (t.label(), facts.iter().filter(|p| p.team == *t).count()))
            .collect(),
        people: facts.len(),
        started: !cells.is_empty(),
        problems: report.errors.len(),
    })
}
