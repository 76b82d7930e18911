//! The vision section of the product sheet.

use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    state::AppState,
    web::filters,
};

use super::{
    db::{self},
    model::{Part, Review},
    views::*,
};

/// The sheet's vision section.
pub async fn summary(state: &AppState, product_id: Uuid) -> AppResult<VisionSummary> {
    let (vision, contributors, months) = db::section(&state.db, product_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let completeness = vision.text.completeness();
    let review = Review::compute(
        vision.edited_at,
        vision.reviewed_at,
        months,
        filters::today(),
    );
    let last_review = match (vision.reviewed_at, vision.edited_at, &vision.reviewed_by) {
        (Some(reviewed), edited, Some(by)) if Some(reviewed) >= edited => {
            format!(
                "Relue et confirmée le {} par {by}",
                filters::date_short(filters::paris_day(reviewed))
            )
        }
        (_, Some(edited), _) => format!(
            "Modifiée le {}",
            filters::date_short(filters::paris_day(edited))
        ),
        _ => String::new(),
    };
    let next_review = match review {
        Review::UpToDate { due, .. } => {
            format!("Prochaine relecture avant le {}", filters::date_short(due))
        }
        Review::Due { due, .. } => format!(
            "À revoir depuis le {} (relecture tous les {months} mois)",
            filters::date_short(due)
        ),
        Review::NotWritten => String::new(),
    };
    Ok(VisionSummary {
        statement: vision.text.statement.clone(),
        elements: Part::ELEMENTS
            .iter()
            .map(|p| (p.label(), vision.text.get(*p).to_owned()))
            .collect(),
        alignment: vision.text.alignment.clone(),
        checklist: completeness.checklist(),
        score: completeness.score(),
        written: !vision.text.is_empty(),
        due: review.is_due(),
        last_review,
        next_review,
        contributors,
    })
}
