//! Objectives and indicators: baseline, targets, measurements, computed status, charts,
//! the indicator library and CSV import / export.

pub mod chart;
pub mod csv;
pub mod csv_io;
pub mod db;
pub mod form;
pub mod indicator;
pub mod library;
pub mod measurements;
pub mod model;
pub mod objectives;
mod routes;
pub mod views;

pub use routes::router;
