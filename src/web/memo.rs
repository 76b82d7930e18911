//! What a page computed for a product, kept in memory for the next request while the product's
//! revision and the day stay the same; and pages kept whole under a validator that names
//! everything they show.
//!
//! Every write to a product moves its revision in the write's transaction (see
//! `portfolio::db::store_health`), and each request reads the revision with the product, so a
//! change made on any instance is seen at once; the day is part of the key because statuses fall
//! due with it. Bounded: past `CAPACITY` products the memory starts afresh.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::body::Bytes;
use chrono::NaiveDate;
use uuid::Uuid;

use super::etag::ETag;

const CAPACITY: usize = 512;

/// Per product: the revision and day a value was computed for, and the value.
type Kept<V> = HashMap<Uuid, (i64, NaiveDate, Arc<V>)>;

pub struct ByRevision<V>(Mutex<Kept<V>>);

impl<V> Default for ByRevision<V> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

impl<V> ByRevision<V> {
    /// What was kept for `product` at `revision` on `day`, if anything.
    pub fn get(&self, product: Uuid, revision: i64, day: NaiveDate) -> Option<Arc<V>> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match map.get(&product) {
            Some((r, d, value)) if *r == revision && *d == day => Some(value.clone()),
            _ => None,
        }
    }

    pub fn put(&self, product: Uuid, revision: i64, day: NaiveDate, value: Arc<V>) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if map.len() >= CAPACITY && !map.contains_key(&product) {
            map.clear();
        }
        map.insert(product, (revision, day, value));
    }
}

/// Rendered pages by their validator: a page whose `ETag` is computed from everything it shows
/// (the share page: the link, its settings, the product's revision, the day, the static files)
/// is the same bytes for the same validator, whoever asks.
#[derive(Default)]
pub struct Rendered(Mutex<HashMap<ETag, Bytes>>);

impl Rendered {
    pub fn get(&self, etag: &ETag) -> Option<Bytes> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.get(etag).cloned()
    }

    pub fn put(&self, etag: ETag, page: Bytes) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(etag, page);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_kept_for_its_revision_and_day_only() {
        let memo = ByRevision::default();
        let (product, day) = (
            Uuid::new_v4(),
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        );
        memo.put(product, 7, day, Arc::new("fiche"));
        assert_eq!(memo.get(product, 7, day).as_deref(), Some(&"fiche"));
        assert!(memo.get(product, 8, day).is_none(), "a newer revision");
        assert!(
            memo.get(product, 7, day.succ_opt().unwrap()).is_none(),
            "the next day"
        );
        assert!(
            memo.get(Uuid::new_v4(), 7, day).is_none(),
            "another product"
        );
        for _ in 0..CAPACITY {
            memo.put(Uuid::new_v4(), 1, day, Arc::new("autre"));
        }
        assert!(memo.0.lock().unwrap().len() <= CAPACITY, "bounded");
    }
}
