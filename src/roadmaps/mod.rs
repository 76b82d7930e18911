//! Roadmaps of 3 to 6 months: priority objectives, key initiatives, dependencies and risks,
//! the calendar, and revocable public share links.

pub mod db;
pub mod form;
pub mod items;
pub mod model;
pub mod roadmap;
mod routes;
pub mod section;
pub mod share;
pub mod traffic;
pub mod views;

pub use routes::router;
