//! The roadmap section of the product sheet.

use uuid::Uuid;

use crate::{error::AppResult, state::AppState};

use super::{
    db::{self, Roadmap},
    model::{Scale, standing},
    views::*,
};
use crate::web::filters::today;

/// The product sheet's roadmap section: the roadmap the product's pages show (current, else
/// next, else the last one), if any. One statement.
pub async fn summary(state: &AppState, product_id: Uuid) -> AppResult<Option<RoadmapView>> {
    let (planned, objectives) = db::planned(&state.db, product_id).await?;
    let all: Vec<Roadmap> = planned.iter().map(|p| p.roadmap.clone()).collect();
    let standing = standing(&all, |r| r.window, today());
    let Some(shown) = standing
        .roadmap()
        .and_then(|r| planned.iter().find(|p| p.roadmap.id == r.id))
    else {
        return Ok(None);
    };
    Ok(Some(super::roadmap::view(
        &all,
        shown,
        &objectives,
        Scale::Month,
    )))
}
