//! Every product's dashboard row, kept in memory between requests while the portfolio's change
//! stamp and the day stay the same.
//!
//! Each request still reads the stamp (one small statement, see `db::change_stamp`): every write
//! moves it in its own transaction, so a row changed on another instance is seen at once, and
//! no instance shows rows older than what its request's stamp says. Only when the stamp or the
//! day has moved are the 1,000 rows read and decoded again. The viewer's own products, read
//! with the stamp, are marked per request.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{health, model::Row};

#[derive(Default)]
pub struct RowCache(Mutex<Option<Cached>>);

struct Cached {
    stamp: String,
    day: NaiveDate,
    rows: Arc<Vec<Row>>,
}

impl RowCache {
    /// Every product's row as of `stamp` (read by the caller before this) on `today`.
    pub async fn rows(
        &self,
        db: &PgPool,
        stamp: &str,
        today: NaiveDate,
    ) -> sqlx::Result<Arc<Vec<Row>>> {
        if let Some(cached) = self.lock().as_ref()
            && cached.stamp == stamp
            && cached.day == today
        {
            return Ok(cached.rows.clone());
        }
        // Read after the stamp, the rows are at least that recent: at worst newer, and the
        // next request, seeing a newer stamp, reads them again.
        let mut rows = health::rows(db, None, today).await?;
        // In the default order already: sorting it again per request is then a single pass.
        rows.sort_by(|a, b| a.keys.name.cmp(&b.keys.name));
        let rows = Arc::new(rows);
        *self.lock() = Some(Cached {
            stamp: stamp.to_owned(),
            day: today,
            rows: rows.clone(),
        });
        Ok(rows)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        // A panic while holding the lock cannot leave a half-written entry: keep going.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
