//! The audit trail: every change to a product and what belongs to it — who, when, which entity,
//! each field's before / after — written in the same transaction as the change. Append-only.

pub mod db;
pub mod model;

pub use model::{Action, Entity, Field, FieldChange};
