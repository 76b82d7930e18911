//! Reading what the database holds into domain types. A value that does not decode is an error
//! (logged, the 500 page), never silently a default: a default would hide data — a measurement
//! list that fails to decode shown as "no measurement" — or show a wrong status.

use serde::de::DeserializeOwned;

/// A JSON aggregate (`json_agg`) read into its type.
pub fn json<T: DeserializeOwned>(value: serde_json::Value) -> sqlx::Result<T> {
    serde_json::from_value(value).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A value of a closed list (`kind`, `status`…) that the database constraint should have kept
/// known; `column` and `raw` say which one was not.
pub fn known<T>(parsed: Option<T>, column: &str, raw: &str) -> sqlx::Result<T> {
    parsed.ok_or_else(|| {
        sqlx::Error::Decode(format!("unknown value {raw:?} in column {column}").into())
    })
}
