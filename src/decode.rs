//! Reading what the database holds into domain types. A value that does not decode is an error
//! (logged, the 500 page), never silently a default: a default would hide data — a measurement
//! list that fails to decode shown as "no measurement" — or show a wrong status. Closed lists
//! decode through their sqlx impls (see [`crate::vocabulary`]).

use serde::de::DeserializeOwned;

/// A JSON aggregate (`json_agg`) read into its type.
pub fn json<T: DeserializeOwned>(value: serde_json::Value) -> sqlx::Result<T> {
    serde_json::from_value(value).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
