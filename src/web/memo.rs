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

use askama::Template;
use axum::{
    body::Bytes,
    response::{Html, IntoResponse, Response},
};
use chrono::NaiveDate;
use uuid::Uuid;

use super::etag::ETag;
use crate::error::AppResult;

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

/// Rendered pages by their validator. A page whose `ETag` is computed from everything it shows
/// is the same bytes for the same validator: the share page (the link, its settings, the
/// product's revision, the day, the static files), and the signed-in pages whose validator also
/// names the viewer (`ETag::for_viewer`: the dashboard, the product sheet). Bounded by the bytes
/// kept: past `BUDGET` the memory starts afresh.
#[derive(Default)]
pub struct Rendered(Mutex<Pages>);

#[derive(Default)]
struct Pages {
    bytes: usize,
    by_etag: HashMap<ETag, Bytes>,
}

/// Bytes of pages kept at most: about a hundred dashboards, or a thousand sheets.
const BUDGET: usize = 8 * 1024 * 1024;

impl Rendered {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        // A panic while holding the lock cannot leave a half-written entry: keep going.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, etag: &ETag) -> Option<Bytes> {
        self.lock().by_etag.get(etag).cloned()
    }

    pub fn put(&self, etag: ETag, page: Bytes) {
        let mut pages = self.lock();
        if pages.bytes + page.len() > BUDGET {
            *pages = Pages::default();
        }
        pages.bytes += page.len();
        if let Some(old) = pages.by_etag.insert(etag, page) {
            pages.bytes -= old.len();
        }
    }

    /// The page kept for `etag`, with its validator; None when there is none (or no validator:
    /// a page carrying a message is rendered each time).
    pub fn hit(&self, etag: Option<&ETag>) -> Option<Response> {
        let etag = etag?;
        let page = self.get(etag)?;
        Some(etag.attach(Html(page).into_response()))
    }

    /// `page` rendered, kept under `etag` when there is one, with its validator.
    pub fn keep(&self, etag: Option<ETag>, page: &impl Template) -> AppResult<Response> {
        let page = Bytes::from(page.render()?);
        Ok(match etag {
            Some(etag) => {
                self.put(etag.clone(), page.clone());
                etag.attach(Html(page).into_response())
            }
            None => Html(page).into_response(),
        })
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

    #[test]
    fn rendered_pages_are_kept_by_validator_within_a_budget() {
        let pages = Rendered::default();
        let (one, two) = (ETag::of(&["un"]), ETag::of(&["deux"]));
        pages.put(one.clone(), Bytes::from_static(b"<p>un</p>"));
        assert_eq!(pages.get(&one).as_deref(), Some(&b"<p>un</p>"[..]));
        assert!(pages.get(&two).is_none());
        assert!(pages.hit(None).is_none(), "a page without validator");
        let big = Bytes::from(vec![b'x'; BUDGET / 3]);
        for n in 0..10 {
            pages.put(ETag::of(&[&n.to_string()]), big.clone());
            assert!(pages.lock().bytes <= BUDGET, "bounded");
        }
        assert!(pages.get(&one).is_none(), "started afresh");
    }
}
