//! Roles and responsibilities: the people of a product and its validated RACI matrix.

pub mod activities;
pub mod db;
pub mod form;
pub mod matrix;
pub mod model;
pub mod people;
mod routes;
pub mod section;
pub mod views;

pub use routes::router;
