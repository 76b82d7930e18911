//! Roles and responsibilities: the people of a product and its validated RACI matrix.

pub mod db;
pub mod form;
pub mod handlers;
pub mod model;
mod routes;
pub mod views;

pub use routes::router;
