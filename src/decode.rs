//! Reading what the database holds into domain types. A value that does not decode is an error
//! (logged, the 500 page), never silently a default: a default would hide data — a measurement
//! list that fails to decode shown as "no measurement" — or show a wrong status. Closed lists
//! decode through their sqlx impls (see [`crate::vocabulary`]).

use serde::de::DeserializeOwned;

/// JSON sent as text (`jsonb::text`) read into its type, without building a
/// `serde_json::Value` first: the cheaper way for many rows.
pub fn json_text<T: DeserializeOwned>(text: &str) -> sqlx::Result<T> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A JSON aggregate (`json_agg`) read into its type.
pub fn json<T: DeserializeOwned>(value: serde_json::Value) -> sqlx::Result<T> {
    serde_json::from_value(value).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
