//! Background jobs, in the manner of crates.io's worker: each kind is a serde type implementing
//! [`BackgroundJob`] (its payload is its JSON), queued in the store's job table and run by a
//! [`Runner`] that claims due jobs under a renewed lease. Periodic work is a job that queues its next
//! round when it ends, so N replicas run each round once. See `runner` for retries and shutdown.

mod context;
mod runner;
mod schedule;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::{NewJob, SharedStore, StoreError};

pub use context::Context;
pub(crate) use runner::panic_message;
pub use runner::{Runner, RunningJob};
pub use schedule::{PruneJobs, Schedule};

/// Which of the runner's loops take a kind of job: each lane has loops of its own, so hours of
/// scans or a long watch round never hold back a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// Periodic rounds and syncs (watch rounds, advisory syncs, pruning): long, not urgent.
    Background,
    /// Image scans and re-matches: long and CPU-bound.
    Scans,
    /// What someone waits for (event reactions, deliveries, re-checks after a push): short, mostly
    /// waiting on the network, so more of them run at once.
    Prompt,
}

impl Lane {
    /// Claim loops per lane in each process.
    pub fn loops(self) -> usize {
        match self {
            Lane::Background => 2,
            Lane::Scans => 2,
            Lane::Prompt => 4,
        }
    }
}

/// How a job ended badly.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Trying again would fail the same way (a bad reference, an image too large).
    #[error("{0}")]
    Failed(String),
    /// Worth another attempt later (a registry or network hiccup), until the attempt cap.
    #[error("{0}")]
    Retry(String),
    /// Worth another attempt after `after` (the job keeps its own schedule), until the attempt cap.
    #[error("{reason}")]
    RetryAfter { reason: String, after: std::time::Duration },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait::async_trait]
pub trait BackgroundJob: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name stored in the job table; never rename one that may be queued.
    const KIND: &'static str;
    /// Higher runs first among due jobs.
    const PRIORITY: i32 = 0;
    /// Attempts before the job is failed for good (a worker dying mid-job uses one up).
    const MAX_ATTEMPTS: i32 = 3;
    /// The loops that run it.
    const LANE: Lane = Lane::Background;

    /// While a job with this key is queued or running, queueing another is a no-op.
    fn dedupe_key(&self) -> Option<String> {
        None
    }

    async fn run(&self, context: &Context, job: &RunningJob) -> Result<(), JobError>;
}

/// The row that queues `job` to run at `run_at`.
pub fn new_job<J: BackgroundJob>(job: &J, run_at: DateTime<Utc>) -> NewJob {
    NewJob {
        kind: J::KIND.to_string(),
        payload: serde_json::to_string(job).unwrap_or_else(|_| "null".into()),
        dedupe_key: job.dedupe_key(),
        priority: J::PRIORITY,
        run_at,
        max_attempts: J::MAX_ATTEMPTS,
    }
}

/// Queues `job` to run now; its id, or `None` when a live job with the same key exists.
pub async fn enqueue<J: BackgroundJob>(store: &SharedStore, job: &J) -> Result<Option<i64>, StoreError> {
    store.enqueue_job(&new_job(job, Utc::now())).await
}
