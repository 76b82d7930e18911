//! Roadmaps of 3 to 6 months: priority objectives, key initiatives, dependencies and risks,
//! the calendar, and revocable public share links.

pub mod db;
pub mod form;
pub mod handlers;
pub mod model;
mod routes;
pub mod views;

pub use routes::router;
