//! Periodic work as jobs: each schedule keeps exactly one live job of its kind (its dedupe key is
//! the kind), and a round that ends queues the next one `every` later in the same transaction. Every
//! runner re-asserts its schedules now and then, which starts the first round on a new database and
//! heals a round lost to a worker that died on its last attempt.

use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{BackgroundJob, Context, JobError, RunningJob, new_job};
use crate::store::{NewJob, SharedStore, StoreError};

/// Finished jobs are kept this long (for the scan panel's "failed: …" and for operators), then pruned.
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct Schedule {
    job: NewJob,
    every: Duration,
}

impl Schedule {
    pub fn new<J: BackgroundJob>(job: &J, every: Duration) -> Self {
        let mut job = new_job(job, Utc::now());
        job.dedupe_key = Some(job.dedupe_key.unwrap_or_else(|| J::KIND.to_string()));
        Self { job, every }
    }

    pub fn kind(&self) -> &str {
        &self.job.kind
    }

    /// The round after one that ends now: up to a tenth of the interval early, at random, so
    /// rounds of many deployments (and of several schedules here) do not fall on the same second
    /// at the registries they ask. Never later: `ensure` would bring a later round forward.
    pub fn next_round(&self) -> NewJob {
        let mut random = [0u8; 8];
        let jitter = match getrandom::fill(&mut random) {
            Ok(()) => self.every.mul_f64((u64::from_le_bytes(random) % 1000) as f64 / 10_000.0),
            Err(_) => Duration::ZERO,
        };
        NewJob { run_at: Utc::now() + chrono_duration(self.every - jitter), ..self.job.clone() }
    }

    /// Queues a round now unless one is live; a live round due later than one interval from now
    /// (the interval was shortened) is brought forward.
    pub async fn ensure(&self, store: &SharedStore) -> Result<(), StoreError> {
        let now = Utc::now();
        if store.enqueue_job(&NewJob { run_at: now, ..self.job.clone() }).await?.is_some() {
            tracing::debug!(kind = %self.job.kind, "scheduled round queued");
        }
        if let Some(key) = &self.job.dedupe_key {
            store.run_job_by(key, now + chrono_duration(self.every)).await?;
        }
        Ok(())
    }
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::days(365))
}

/// Deletes jobs that finished more than a week ago.
#[derive(Serialize, Deserialize)]
pub struct PruneJobs {}

#[async_trait::async_trait]
impl BackgroundJob for PruneJobs {
    const KIND: &'static str = "prune_jobs";
    const MAX_ATTEMPTS: i32 = 1;

    async fn run(&self, context: &Context, _job: &RunningJob) -> Result<(), JobError> {
        let pruned = context.store.prune_jobs(Utc::now() - chrono_duration(RETENTION)).await?;
        tracing::debug!(pruned, "finished jobs pruned");
        Ok(())
    }
}
