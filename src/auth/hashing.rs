//! Password hashing with a bounded footprint.
//!
//! Argon2id needs about 19 MiB per hash. Unbounded, a burst of login attempts runs one hash per
//! attempt at once and the process grows by gigabytes (the allocator then keeps the memory).
//! Here a fixed number of dedicated threads do all the hashing — so at most that many hashes,
//! and that many allocator arenas, are ever alive — and an attempt that cannot get a turn
//! within a short wait gets the 429 page with `Retry-After`.

use std::{
    sync::{Arc, LazyLock, Mutex, mpsc},
    time::Duration,
};

use tokio::sync::{Semaphore, oneshot};

use crate::error::{AppError, AppResult};

use super::model;

/// How long an attempt may wait for a hashing turn before being told to retry.
const WAIT: Duration = Duration::from_secs(2);
/// Seconds announced in `Retry-After` when every hashing turn is taken.
pub const RETRY_AFTER_SECS: u64 = 5;

type Job = Box<dyn FnOnce(&mut model::HashMemory) + Send>;

/// Checked when the account is unknown, so that a failure takes as long either way.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| model::hash_password("une phrase qui ne sert à rien").unwrap_or_default());

/// The hashing threads and the turns to use them. Cheap to clone.
#[derive(Clone)]
pub struct Hasher {
    turns: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
}

impl Hasher {
    /// One hashing thread per core but one (at least one, at most eight): a flood of logins
    /// must leave a core to PostgreSQL and to the pages of everyone else.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_threads(cores.saturating_sub(1).clamp(1, 8))
    }

    pub fn with_threads(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || {
                    // This thread's argon2 memory: allocated by its first hash, then reused.
                    let mut memory = model::HashMemory::new();
                    loop {
                        // The lock is held only to take the next job, never while hashing.
                        let job = match queue.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return, // the hasher was dropped
                        }
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        Self {
            turns: Arc::new(Semaphore::new(threads)),
            jobs,
        }
    }

    /// Runs `work` on a hashing thread once a turn is free; 429 if none frees up in time.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut model::HashMemory) -> T + Send + 'static,
    ) -> AppResult<T> {
        let turn = tokio::time::timeout(WAIT, Arc::clone(&self.turns).acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|e| AppError::Internal(e.into()))?;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _turn = turn;
            let _ = done.send(work(memory));
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("password hashing threads stopped")))?;
        result
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("password hashing job lost")))
    }

    /// Whether `password` matches the stored PHC string. Without a hash (unknown account) a
    /// dummy one is checked, and the answer is false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> AppResult<bool> {
        // An account without a password (made by ProConnect) takes as long as an unknown one.
        let hash = hash.filter(|h| h != super::identities::NO_PASSWORD);
        self.run(move |memory| match hash {
            Some(hash) => model::verify_password_in(&password, &hash, memory),
            None => {
                model::verify_password_in(&password, &DUMMY_HASH, memory);
                false
            }
        })
        .await
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: String) -> AppResult<String> {
        self.run(move |memory| model::hash_password_in(&password, memory))
            .await?
            .map_err(AppError::Internal)
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

fn busy() -> AppError {
    AppError::TooManyRequests {
        message: "Le service reçoit trop de demandes de connexion en ce moment : réessayez dans quelques secondes.".into(),
        retry_after: RETRY_AFTER_SECS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_and_verifies_on_its_threads() {
        let hasher = Hasher::with_threads(1);
        let hash = hasher.hash("une phrase de passe".into()).await.unwrap();
        assert!(
            hasher
                .verify("une phrase de passe".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("une autre".into(), Some(hash)).await.unwrap());
        assert!(
            !hasher
                .verify("une phrase de passe".into(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_caller_that_cannot_get_a_turn_is_told_to_retry() {
        let hasher = Hasher::with_threads(1);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let busy_hasher = hasher.clone();
        let holder = tokio::spawn(async move {
            busy_hasher
                .run(move |_| {
                    let _ = hold.recv();
                })
                .await
        });
        // Let the holder take the only turn.
        while hasher.turns.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = hasher.verify("x".into(), None).await;
        assert!(matches!(
            refused,
            Err(AppError::TooManyRequests { retry_after, .. }) if retry_after == RETRY_AFTER_SECS
        ));
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();
    }
}
