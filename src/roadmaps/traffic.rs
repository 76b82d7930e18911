//! What a view of a public link costs the database: nothing.
//!
//! Valid views are counted in memory and added to `share_links.views` every few seconds and at
//! shutdown, so that a crash loses at most those seconds of counts. Each instance limits the
//! requests of an address in memory; only requests for unknown tokens (guesses) are counted in
//! the database, where every instance sees them: that is the limit that matters against
//! guessing, and a guesser's requests are the only ones that write.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
};

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// How often the counted views reach the database.
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Default)]
pub struct Traffic {
    views: Mutex<HashMap<Uuid, Views>>,
    requests: Mutex<Requests>,
}

#[derive(Clone, Copy)]
struct Views {
    count: i64,
    last: DateTime<Utc>,
}

/// Requests per address in the current and previous minute.
#[derive(Default)]
struct Requests {
    minute: i64,
    this: HashMap<String, u32>,
    previous: HashMap<String, u32>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves counters, which stay usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Traffic {
    /// Counts a request from `address`; returns the requests of the last 60 seconds on this
    /// instance, estimated as the database limit does: this minute's count plus the previous
    /// minute's, weighted by how much of it is still within 60 seconds.
    pub fn hit(&self, address: &str, now: DateTime<Utc>) -> f64 {
        let minute = now.timestamp().div_euclid(60);
        let mut requests = lock(&self.requests);
        if minute != requests.minute {
            // A new minute: what was "this" becomes "previous" if it is the minute just before.
            let this = std::mem::take(&mut requests.this);
            requests.previous = if minute == requests.minute + 1 {
                this
            } else {
                HashMap::new()
            };
            requests.minute = minute;
        }
        let this = requests.this.entry(address.to_owned()).or_default();
        *this += 1;
        let this = f64::from(*this);
        let previous = f64::from(requests.previous.get(address).copied().unwrap_or(0));
        let elapsed = now.timestamp().rem_euclid(60) as f64 / 60.0;
        this + previous * (1.0 - elapsed)
    }

    /// Counts a view of the link.
    pub fn view(&self, link: Uuid, at: DateTime<Utc>) {
        let mut views = lock(&self.views);
        let entry = views.entry(link).or_insert(Views { count: 0, last: at });
        entry.count += 1;
        entry.last = entry.last.max(at);
    }

    /// Views counted on this instance and not yet in the database.
    pub fn pending(&self, link: Uuid) -> i64 {
        lock(&self.views).get(&link).map_or(0, |v| v.count)
    }

    /// Adds the counted views to the database, in one statement. When it fails, the counts
    /// are kept for the next flush.
    pub async fn flush(&self, db: &PgPool) -> sqlx::Result<()> {
        let taken = std::mem::take(&mut *lock(&self.views));
        if taken.is_empty() {
            return Ok(());
        }
        let (mut ids, mut counts, mut lasts) = (Vec::new(), Vec::new(), Vec::new());
        for (id, v) in &taken {
            ids.push(*id);
            counts.push(v.count);
            lasts.push(v.last);
        }
        let done = sqlx::query!(
            "update share_links l set views = l.views + x.count,
                    last_viewed_at = greatest(l.last_viewed_at, x.last)
             from unnest($1::uuid[], $2::int8[], $3::timestamptz[]) as x(id, count, last)
             where l.id = x.id",
            &ids,
            &counts,
            &lasts
        )
        .execute(db)
        .await;
        if let Err(error) = done {
            let mut views = lock(&self.views);
            for (id, v) in taken {
                let entry = views.entry(id).or_insert(Views {
                    count: 0,
                    last: v.last,
                });
                entry.count += v.count;
                entry.last = entry.last.max(v.last);
            }
            return Err(error);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        // 1,800,000,000 s is 30,000,000 whole minutes after the epoch.
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn requests_are_counted_per_address_over_a_sliding_minute() {
        let traffic = Traffic::default();
        for _ in 0..10 {
            traffic.hit("10.0.0.1", at(50));
        }
        assert_eq!(traffic.hit("10.0.0.2", at(50)), 1.0, "another address");
        // 30 s into the next minute, half of the previous minute still counts.
        assert_eq!(traffic.hit("10.0.0.1", at(90)), 1.0 + 10.0 * 0.5);
        // Two minutes later, nothing of it.
        assert_eq!(traffic.hit("10.0.0.1", at(200)), 1.0);
    }

    #[test]
    fn views_add_up_until_flushed() {
        let traffic = Traffic::default();
        let link = Uuid::new_v4();
        traffic.view(link, at(1));
        traffic.view(link, at(2));
        assert_eq!(traffic.pending(link), 2);
        assert_eq!(traffic.pending(Uuid::new_v4()), 0);
    }
}
