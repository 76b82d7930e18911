//! Objectives and indicators: baseline, targets, measurements, computed status, charts,
//! the indicator library and CSV import / export.

pub mod chart;
pub mod csv_io;
pub mod db;
pub mod form;
pub mod handlers;
pub mod library;
pub mod model;
mod routes;
pub mod views;

pub use routes::router;
