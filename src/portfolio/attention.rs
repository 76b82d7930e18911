//! "À traiter": the tiles at the top of the dashboard, each a count read from the stored health
//! of the active products and a link to the list that names them.

use chrono::{Days, NaiveDate, Utc};

use super::{
    lists::{self, List},
    model::{RoadmapState, Row},
};

/// Days within which a roadmap ending, or a share link expiring, is worth a look.
pub const ROADMAP_ENDING_DAYS: u64 = 30;
pub const LINK_EXPIRING_DAYS: u64 = 14;
/// Days without any change after which a product is "sans modification".
pub const INACTIVE_DAYS: i64 = 90;

pub struct Tile {
    pub count: usize,
    /// What is counted, after the number: "indicateurs en retard".
    pub label: String,
    pub url: String,
}

fn tile(count: usize, one: &str, many: &str, url: String) -> Tile {
    Tile {
        count,
        label: if count > 1 { many } else { one }.to_owned(),
        url,
    }
}

/// Whether the product has made no change for `INACTIVE_DAYS`.
pub fn inactive(row: &Row) -> bool {
    (Utc::now() - row.updated_at).num_days() >= INACTIVE_DAYS
}

pub fn tiles(rows: &[Row], today: NaiveDate) -> Vec<Tile> {
    let active: Vec<&Row> = rows.iter().filter(|r| !r.archived).collect();
    let count = |f: &dyn Fn(&Row) -> bool| active.iter().filter(|r| f(r)).count();
    let sum = |f: &dyn Fn(&Row) -> usize| active.iter().map(|r| f(r)).sum::<usize>();
    let soon = today + Days::new(ROADMAP_ENDING_DAYS);
    let link_soon = today + Days::new(LINK_EXPIRING_DAYS);
    vec![
        tile(
            count(&|r| r.vision_score < 6 || r.vision_review.is_due()),
            "vision à revoir ou incomplète",
            "visions à revoir ou incomplètes",
            lists::link(List::Visions, &["incomplete", "a-revoir"]),
        ),
        tile(
            sum(&|r| r.indicators.late),
            "indicateur en retard",
            "indicateurs en retard",
            lists::link(List::Indicators, &["en-retard"]),
        ),
        tile(
            sum(&|r| r.indicators.stale),
            "indicateur sans mesure récente",
            "indicateurs sans mesure récente",
            lists::link(List::Indicators, &["obsolete"]),
        ),
        tile(
            count(
                &|r| matches!(r.roadmap, RoadmapState::InProgress { window, .. } if window.last_day() <= soon),
            ),
            "roadmap se terminant sous 30 jours",
            "roadmaps se terminant sous 30 jours",
            lists::link(List::Roadmaps, &["fin-30-jours"]),
        ),
        tile(
            count(&|r| !r.roadmap.in_progress()),
            "produit sans roadmap en cours",
            "produits sans roadmap en cours",
            lists::link(List::Roadmaps, &["sans-en-cours"]),
        ),
        tile(
            sum(&|r| r.raci.activities),
            "activité RACI à corriger (A ou R)",
            "activités RACI à corriger (A ou R)",
            lists::link(List::Raci, &[]),
        ),
        tile(
            sum(&|r| r.high_risks),
            "risque ou dépendance fort et ouvert",
            "risques et dépendances forts et ouverts",
            lists::link(List::Risks, &["fort-ouvert"]),
        ),
        tile(
            count(&|r| r.share_expiry.is_some_and(|d| d <= link_soon)),
            "produit dont un lien de partage expire sous 14 jours",
            "produits dont un lien de partage expire sous 14 jours",
            lists::link(List::Roadmaps, &["lien-14-jours"]),
        ),
        tile(
            count(&inactive),
            "produit sans modification depuis 90 jours",
            "produits sans modification depuis 90 jours",
            "/?inactifs=90&tri=maj".into(),
        ),
    ]
}
