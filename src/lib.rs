//! Boussole: the web application in which the DNUM of the French social ministries steers its
//! digital products.

pub mod admin;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod config;
pub mod decode;
pub mod demo;
pub mod error;
pub mod indicators;
pub mod ops;
pub mod pages;
pub mod portfolio;
pub mod products;
pub mod roadmaps;
pub mod roles;
pub mod state;
pub mod telemetry;
pub mod vision;
pub mod vocabulary;
pub mod web;

pub use app::{router, serve};
pub use state::AppState;

/// The embedded migrations, applied by `boussole migrate` and by the test harness.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();
