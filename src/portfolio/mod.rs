//! The portfolio dashboard (`/`): every product at a glance. The products issue fills it; until
//! there is a product, it says so and explains what will appear.

use askama::Template;
use axum::{Router, response::Html, routing::get};

use crate::{app::AppState, auth::Viewer, error::AppResult, web::Layout};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/produits", get(products))
}

#[derive(Template)]
#[template(path = "portfolio/index.html")]
struct PortfolioPage {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "portfolio/products.html")]
struct ProductsPage {
    layout: Layout,
}

async fn index(viewer: Viewer) -> AppResult<Html<String>> {
    Ok(Html(
        PortfolioPage {
            layout: viewer.layout.in_section("portefeuille"),
        }
        .render()?,
    ))
}

async fn products(viewer: Viewer) -> AppResult<Html<String>> {
    Ok(Html(
        ProductsPage {
            layout: viewer.layout.in_section("produits"),
        }
        .render()?,
    ))
}
