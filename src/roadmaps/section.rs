//! The roadmap section of the product sheet.

use uuid::Uuid;

use crate::{error::AppResult, indicators::db::Objective, state::AppState};

use super::{
    db::{self},
    model::{Scale, standing},
    views::*,
};
use crate::web::filters::today;

/// The product sheet's roadmap section: the current roadmap, if any.
pub async fn summary(
    state: &AppState,
    product_id: Uuid,
    objectives: &[Objective],
) -> AppResult<Option<RoadmapView>> {
    let all = db::roadmaps(&state.db, product_id).await?;
    let standing = standing(&all, |r| r.window, today());
    let Some(r) = standing.roadmap() else {
        return Ok(None);
    };
    let initiatives = db::initiatives(&state.db, r.id).await?;
    let risks = db::risks(&state.db, r.id).await?;
    let mut view = RoadmapView::build(
        r,
        objectives,
        &initiatives,
        &risks,
        Scale::Month,
        today(),
        standing.current().is_some(),
    );
    view.standing_note = standing.note(|r| r.window);
    Ok(Some(view))
}
