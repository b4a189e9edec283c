//! The runner: loops that claim due jobs of the registered kinds and run them, a few loops per
//! [`Lane`](super::Lane) so long work never holds back short work. A running job's lease
//! is renewed while it runs, so a lease only runs out when its worker died; then another worker
//! claims it (up to the attempt cap). A failed attempt worth retrying is queued again with
//! exponential backoff. On shutdown the loops stop claiming and hand their running jobs back.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::FutureExt;
use tokio::sync::watch;

use super::schedule::Schedule;
use super::{BackgroundJob, Context, JobError, Lane};
use crate::store::{Job, JobOutcome, SharedStore, StoreError};

/// How long a claimed job is a worker's without a renewal; renewed every third of it.
const LEASE: Duration = Duration::from_secs(30);
/// How often an idle loop looks for due work.
const POLL: Duration = Duration::from_millis(500);
/// The first retry's delay; each further one waits four times longer.
const FIRST_RETRY: Duration = Duration::from_secs(30);

type BoxFuture<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;
type Handler = Arc<dyn for<'a> Fn(&'a Context, &'a str, &'a RunningJob) -> BoxFuture<'a> + Send + Sync>;

/// The job being run, for progress reports.
pub struct RunningJob {
    pub id: i64,
    /// 1 on the first attempt.
    pub attempt: i32,
    store: SharedStore,
}

impl RunningJob {
    pub async fn progress(&self, done: i64, total: i64) -> Result<(), StoreError> {
        self.store.job_progress(self.id, done, total).await
    }
}

pub struct Runner {
    context: Context,
    handlers: HashMap<&'static str, (Lane, Handler)>,
    schedules: Vec<Schedule>,
    worker: String,
}

impl Runner {
    pub fn new(context: Context) -> Self {
        let mut tag = [0u8; 4];
        let _ = getrandom::fill(&mut tag);
        let worker = format!("{}-{}", std::process::id(), hex::encode(tag));
        Self { context, handlers: HashMap::new(), schedules: Vec::new(), worker }
    }

    /// Lets this runner take jobs of kind `J`.
    pub fn register<J: BackgroundJob>(mut self) -> Self {
        let handler: Handler = Arc::new(|context, payload, job| {
            Box::pin(async move {
                let parsed: J = serde_json::from_str(payload)
                    .map_err(|e| JobError::Failed(format!("unreadable {} payload: {e}", J::KIND)))?;
                parsed.run(context, job).await
            })
        });
        self.handlers.insert(J::KIND, (J::LANE, handler));
        self
    }

    /// Runs `job` every `every`, once per round across every runner on the database.
    pub fn every<J: BackgroundJob>(self, job: J, every: Duration) -> Self {
        let mut runner = self.register::<J>();
        runner.schedules.push(Schedule::new(&job, every));
        runner
    }

    pub fn store(&self) -> &SharedStore {
        &self.context.store
    }

    /// Runs the loops until `shutdown` turns true, then hands running jobs back and returns.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let runner = Arc::new(self);
        tracing::info!(worker = %runner.worker, kinds = ?runner.kinds(), "job runner started");
        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(runner.clone().keep_schedules(shutdown.clone())));
        for (lane, kinds) in runner.kinds_by_lane() {
            for _ in 0..lane.loops() {
                tasks.push(tokio::spawn(runner.clone().claim_loop(kinds.clone(), shutdown.clone())));
            }
        }
        for task in tasks {
            let _ = task.await;
        }
        tracing::info!(worker = %runner.worker, "job runner stopped");
    }

    /// Runs due jobs one after another until none is due; how many ran (tests, one-shot commands).
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let (_keep, shutdown) = watch::channel(false);
        let mut ran = 0;
        let kinds = self.kinds();
        while self.run_one(&kinds, &mut shutdown.clone()).await? {
            ran += 1;
        }
        Ok(ran)
    }

    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = self.handlers.keys().copied().collect();
        kinds.sort_unstable();
        kinds
    }

    /// The registered kinds, grouped by the lane that runs them.
    fn kinds_by_lane(&self) -> BTreeMap<Lane, Vec<&'static str>> {
        let mut lanes: BTreeMap<Lane, Vec<&'static str>> = BTreeMap::new();
        for (kind, (lane, _)) in &self.handlers {
            lanes.entry(*lane).or_default().push(kind);
        }
        lanes
    }

    async fn keep_schedules(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            for schedule in &self.schedules {
                if let Err(e) = schedule.ensure(self.store()).await {
                    tracing::warn!(kind = schedule.kind(), error = %e, "schedule not kept: store unavailable");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                _ = stopping(&mut shutdown) => return,
            }
        }
    }

    async fn claim_loop(self: Arc<Self>, kinds: Vec<&'static str>, mut shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            let pause = match self.run_one(&kinds, &mut shutdown).await {
                Ok(true) => continue,
                Ok(false) => POLL,
                Err(e) => {
                    tracing::warn!(error = %e, "job queue: store unavailable");
                    Duration::from_secs(5)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stopping(&mut shutdown) => {}
            }
        }
    }

    /// Claims and runs one due job of `kinds`; false when none was due.
    async fn run_one(&self, kinds: &[&'static str], shutdown: &mut watch::Receiver<bool>) -> Result<bool, StoreError> {
        let Some(job) = self.store().claim_job(kinds, &self.worker, LEASE).await? else { return Ok(false) };
        let Some((_, handler)) = self.handlers.get(job.kind.as_str()).cloned() else { return Ok(true) };
        let running = RunningJob { id: job.id, attempt: job.attempts, store: self.store().clone() };
        let mut work = Box::pin(AssertUnwindSafe(handler(&self.context, &job.payload, &running)).catch_unwind());
        // Renewed by a task of its own: renewing in this loop left `work` unpolled while the
        // renewal waited for a connection, and the connections `work` held (a write transaction
        // among them) were never given back: the pool and SQLite's write lock stalled until timeouts.
        let mut lease = tokio::spawn(keep_lease(self.store().clone(), self.worker.clone(), job.id, job.attempts));
        let _stop_renewing = AbortOnDrop(lease.abort_handle());
        let result = tokio::select! {
            result = &mut work => result,
            _ = &mut lease => {
                tracing::warn!(id = job.id, kind = %job.kind, "job lease lost to another worker; stopped");
                return Ok(true);
            }
            _ = stopping(shutdown) => {
                // Dropped first: whatever the work holds (a connection, a write) is let go
                // before the hand-back needs it.
                drop(work);
                self.store().release_job(job.id, &self.worker, job.attempts).await?;
                tracing::info!(id = job.id, kind = %job.kind, "job handed back: the worker is stopping");
                return Ok(true);
            }
        };
        let result = result.unwrap_or_else(|panic| Err(JobError::Failed(panic_message(panic))));
        self.finish(&job, result).await?;
        Ok(true)
    }

    async fn finish(&self, job: &Job, result: Result<(), JobError>) -> Result<(), StoreError> {
        let next = self.schedules.iter().find(|s| s.kind() == job.kind).map(Schedule::next_round);
        let outcome_error = match &result {
            Ok(()) => None,
            Err(e) => Some(e.to_string()),
        };
        let outcome = match (&result, outcome_error.as_deref()) {
            (Ok(()), _) => JobOutcome::Done,
            (Err(JobError::Failed(_)), Some(error)) => JobOutcome::Failed { error },
            (Err(JobError::RetryAfter { after, .. }), Some(error)) if job.attempts < job.max_attempts => {
                let at = Utc::now() + chrono::Duration::from_std(*after).unwrap_or(chrono::Duration::hours(1));
                JobOutcome::Retry { error, at }
            }
            (Err(_), Some(error)) if job.attempts < job.max_attempts => {
                let backoff = FIRST_RETRY * 4u32.saturating_pow(job.attempts.saturating_sub(1) as u32);
                let at = Utc::now() + chrono::Duration::from_std(backoff).unwrap_or(chrono::Duration::hours(1));
                JobOutcome::Retry { error, at }
            }
            (Err(_), error) => JobOutcome::Failed { error: error.unwrap_or_default() },
        };
        // A periodic job's retry is its next round.
        let (outcome, next) = match (outcome, next) {
            (JobOutcome::Retry { error, .. }, Some(next)) => (JobOutcome::Failed { error }, Some(next)),
            (outcome, next) => (outcome, next),
        };
        match &outcome {
            JobOutcome::Done => tracing::debug!(id = job.id, kind = %job.kind, "job done"),
            JobOutcome::Retry { error, at } => tracing::info!(id = job.id, kind = %job.kind, error, %at, "job will be retried"),
            JobOutcome::Failed { error } => tracing::warn!(id = job.id, kind = %job.kind, error, "job failed"),
        }
        let claim = (job.id, self.worker.as_str(), job.attempts);
        if !self.store().finish_job(claim, outcome, next.as_ref()).await? {
            tracing::warn!(id = job.id, kind = %job.kind, "job finished after its lease was lost; outcome dropped");
        }
        Ok(())
    }
}

/// Renews the claim on job `id` every third of the lease; returns once the lease was lost.
async fn keep_lease(store: SharedStore, worker: String, id: i64, attempt: i32) {
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + LEASE / 3, LEASE / 3);
    loop {
        renew.tick().await;
        match store.renew_job(id, &worker, attempt, LEASE).await {
            Ok(true) => {}
            Ok(false) => return,
            // The database is busy or away: the lease still has two thirds left; try again.
            Err(e) => tracing::warn!(id, error = %e, "job lease not renewed"),
        }
    }
}

/// Stops the lease's renewals however the run ends (finished, handed back, dropped).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves once the runner is told to stop (or its sender is gone).
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

pub(crate) fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".into());
    format!("the job panicked: {what}")
}
