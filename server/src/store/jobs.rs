//! The job table: durable background work claimed under a lease. A job whose worker died is claimed
//! again once its lease runs out (up to its attempt cap); a dedupe key is unique among live jobs
//! only, so recurring work can be queued again once its last round finished.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::db::{Db, on_pool};
use super::{Store, StoreResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => JobState::Queued,
        }
    }

    pub fn is_live(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

/// How a claimed job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOutcome<'a> {
    Done,
    /// Queued again, to run at `at`.
    Retry { error: &'a str, at: DateTime<Utc> },
    Failed { error: &'a str },
}

/// A job to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJob {
    pub kind: String,
    /// JSON.
    pub payload: String,
    /// While a job with this key is queued or running, queueing another is a no-op.
    pub dedupe_key: Option<String>,
    /// Higher runs first among due jobs.
    pub priority: i32,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
}

impl NewJob {
    /// The reaction to event `id` (see `events`).
    pub(super) fn event(id: i64) -> Self {
        NewJob {
            kind: super::EVENT_JOB.into(),
            payload: serde_json::json!({ "event": id }).to_string(),
            dedupe_key: None,
            priority: 10,
            run_at: Utc::now(),
            max_attempts: 3,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: Option<String>,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub progress_done: i32,
    pub progress_total: i32,
    pub error: Option<String>,
    pub run_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    payload: String,
    dedupe_key: Option<String>,
    state: String,
    attempts: i32,
    max_attempts: i32,
    progress_done: i32,
    progress_total: i32,
    error: Option<String>,
    run_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<JobRow> for Job {
    fn from(r: JobRow) -> Self {
        Job {
            id: r.id,
            kind: r.kind,
            payload: r.payload,
            dedupe_key: r.dedupe_key,
            state: JobState::parse(&r.state),
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            progress_done: r.progress_done,
            progress_total: r.progress_total,
            error: r.error,
            run_at: r.run_at,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str =
    "id, kind, payload, dedupe_key, state, attempts, max_attempts, progress_done, progress_total, error, run_at, updated_at";

pub(super) const INSERT_JOB: &str =
    "INSERT INTO jobs (kind, payload, dedupe_key, priority, run_at, max_attempts, state, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $7) ON CONFLICT DO NOTHING RETURNING id";

/// Which due job a claim takes: queued and due, or running with its lease run out (its worker
/// died), highest priority first, then oldest. `{kinds}` and `{lock}` are the dialect's.
const CLAIM: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $2, worker = $3,
        updated_at = $1
     WHERE id = (SELECT id FROM jobs WHERE kind {kinds}
                   AND ((state = 'queued' AND run_at <= $1) OR (state = 'running' AND lease_until < $1))
                   AND attempts < max_attempts
                 ORDER BY priority DESC, run_at, id LIMIT 1 {lock})
     RETURNING ";

/// The claim a worker holds: `$1` the job, `$2` the worker, `$3` the attempt it claimed (a fencing
/// token: the same worker claiming the job again after its lease ran out holds a newer attempt).
const HELD: &str = "id = $1 AND worker = $2 AND attempts = $3 AND state = 'running'";

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5))
}

impl Store {
    /// The clock leases are read by: the database's on PostgreSQL, where replicas on several hosts
    /// may disagree by seconds (one ahead by a lease would take every running job away); this
    /// machine's on SQLite, which only processes of one machine share.
    async fn lease_clock(&self) -> StoreResult<DateTime<Utc>> {
        match &self.db {
            Db::Sqlite(_) => Ok(Utc::now()),
            Db::Postgres(pool) => Ok(sqlx::query_scalar("SELECT now()").fetch_one(pool).await?),
        }
    }

    /// Queues a job unless a live one has the same dedupe key; its id when queued.
    pub async fn enqueue_job(&self, job: &NewJob) -> StoreResult<Option<i64>> {
        let queued: Option<i64> = on_pool!(&self.db, pool => sqlx::query_scalar(INSERT_JOB)
            .bind(&job.kind)
            .bind(&job.payload)
            .bind(&job.dedupe_key)
            .bind(job.priority)
            .bind(job.run_at)
            .bind(job.max_attempts)
            .bind(Utc::now())
            .fetch_optional(pool)
            .await?);
        if queued.is_some() {
            self.changed();
        }
        Ok(queued)
    }

    /// Brings a queued job with `dedupe_key` forward to `run_at` when it was due later (a schedule
    /// whose interval was shortened); true when one was.
    pub async fn run_job_by(&self, dedupe_key: &str, run_at: DateTime<Utc>) -> StoreResult<bool> {
        let sql = "UPDATE jobs SET run_at = $2 WHERE dedupe_key = $1 AND state = 'queued' AND run_at > $2";
        let changed =
            on_pool!(&self.db, pool => sqlx::query(sql).bind(dedupe_key).bind(run_at).execute(pool).await?.rows_affected());
        if changed > 0 {
            self.changed();
        }
        Ok(changed > 0)
    }

    /// Takes the most urgent due job of one of `kinds` for `worker`, under a lease of `lease`.
    /// Running jobs whose lease ran out after their last attempt are failed first.
    pub async fn claim_job(&self, kinds: &[&str], worker: &str, lease: Duration) -> StoreResult<Option<Job>> {
        let now = self.lease_clock().await?;
        // No attempt left: failed (a worker died during the last one, or, for a job queued by an
        // older release, attempts were used up before there was a cap).
        let exhausted = "UPDATE jobs SET state = 'failed', lease_until = NULL, finished_at = $1, updated_at = $1,
                error = 'gave up after ' || attempts || ' attempts: the worker running it stopped each time'
             WHERE attempts >= max_attempts AND (state = 'queued' OR (state = 'running' AND lease_until < $1))";
        let gave_up = on_pool!(&self.db, pool => sqlx::query(exhausted).bind(now).execute(pool).await?.rows_affected());
        let kinds_json = serde_json::to_string(kinds).unwrap_or_default();
        let row: Option<JobRow> = match &self.db {
            Db::Sqlite(pool) => {
                let sql = CLAIM.replace("{kinds}", "IN (SELECT value FROM json_each($4))").replace("{lock}", "");
                sqlx::query_as(&(sql + COLUMNS))
                    .bind(now)
                    .bind(lease_end(now, lease))
                    .bind(worker)
                    .bind(kinds_json)
                    .fetch_optional(pool)
                    .await?
            }
            // SKIP LOCKED: replicas claiming at once each take a different job, none waits.
            Db::Postgres(pool) => {
                let sql = CLAIM.replace("{kinds}", "= ANY($4)").replace("{lock}", "FOR UPDATE SKIP LOCKED");
                sqlx::query_as(&(sql + COLUMNS))
                    .bind(now)
                    .bind(lease_end(now, lease))
                    .bind(worker)
                    .bind(kinds)
                    .fetch_optional(pool)
                    .await?
            }
        };
        // An idle poll changes nothing a page shows: in-memory pages stay.
        if gave_up > 0 || row.is_some() {
            self.changed();
        }
        Ok(row.map(Job::from))
    }

    /// Extends the lease of the claim `attempt` of job `id` by `worker`; false when the job is no
    /// longer that claim's (its lease ran out and it was claimed again), and the work should stop.
    pub async fn renew_job(&self, id: i64, worker: &str, attempt: i32, lease: Duration) -> StoreResult<bool> {
        let until = lease_end(self.lease_clock().await?, lease);
        let sql = format!("UPDATE jobs SET lease_until = $4 WHERE {HELD}");
        let changed = on_pool!(&self.db, pool => sqlx::query(&sql)
            .bind(id).bind(worker).bind(attempt).bind(until).execute(pool).await?.rows_affected());
        Ok(changed == 1)
    }

    pub async fn job_progress(&self, id: i64, done: i64, total: i64) -> StoreResult<()> {
        self.writing(async {
            let sql = "UPDATE jobs SET progress_done = $2, progress_total = $3, updated_at = $4 WHERE id = $1 AND state = 'running'";
            on_pool!(&self.db, pool => sqlx::query(sql)
                .bind(id).bind(done as i32).bind(total as i32).bind(Utc::now()).execute(pool).await.map(drop)?);
            Ok(())
        })
        .await
    }

    /// Ends the claim `attempt` of job `id` by `worker` as `outcome` says and, in the same
    /// transaction, queues `next` (a schedule's next round), so no moment passes with neither the
    /// job nor its successor live. False (and nothing written) when the claim was no longer held.
    pub async fn finish_job(
        &self,
        (id, worker, attempt): (i64, &str, i32),
        outcome: JobOutcome<'_>,
        next: Option<&NewJob>,
    ) -> StoreResult<bool> {
        self.writing(async {
            let now = Utc::now();
            let (state, error, retry_at, finished) = match outcome {
                JobOutcome::Done => (JobState::Done, None, None, Some(now)),
                JobOutcome::Retry { error, at } => (JobState::Queued, Some(error), Some(at), None),
                JobOutcome::Failed { error } => (JobState::Failed, Some(error), None, Some(now)),
            };
            // A retry starts its progress again.
            let sql = format!(
                "UPDATE jobs SET state = $4, error = $5, run_at = COALESCE($6, run_at), finished_at = $7,
                    lease_until = NULL, worker = NULL, updated_at = $8,
                    progress_done = CASE WHEN $6 IS NULL THEN progress_done ELSE 0 END,
                    progress_total = CASE WHEN $6 IS NULL THEN progress_total ELSE 0 END
                 WHERE {HELD}"
            );
            on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await?;
                let held = sqlx::query(&sql)
                    .bind(id).bind(worker).bind(attempt)
                    .bind(state.as_str()).bind(error).bind(retry_at).bind(finished).bind(now)
                    .execute(&mut *tx).await?.rows_affected() == 1;
                if let (true, Some(job)) = (held, next) {
                    sqlx::query(INSERT_JOB)
                        .bind(&job.kind).bind(&job.payload).bind(&job.dedupe_key).bind(job.priority)
                        .bind(job.run_at).bind(job.max_attempts).bind(now)
                        .execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(held)
            })
        })
        .await
    }

    /// Hands the claim `attempt` of job `id` back to the queue untouched (its worker is stopping):
    /// the attempt does not count.
    pub async fn release_job(&self, id: i64, worker: &str, attempt: i32) -> StoreResult<()> {
        self.writing(async {
            let sql = format!(
                "UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_until = NULL, worker = NULL,
                    progress_done = 0, progress_total = 0, updated_at = $4 WHERE {HELD}"
            );
            on_pool!(&self.db, pool => sqlx::query(&sql)
                .bind(id).bind(worker).bind(attempt).bind(Utc::now()).execute(pool).await.map(drop)?);
            Ok(())
        })
        .await
    }

    /// The newest job with this dedupe key, whatever its state.
    pub async fn latest_job(&self, dedupe_key: &str) -> StoreResult<Option<Job>> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE dedupe_key = $1 ORDER BY id DESC LIMIT 1");
        let row: Option<JobRow> =
            on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(dedupe_key).fetch_optional(pool).await?);
        Ok(row.map(Job::from))
    }

    pub async fn job(&self, id: i64) -> StoreResult<Option<Job>> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
        let row: Option<JobRow> = on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        Ok(row.map(Job::from))
    }

    /// Jobs queued or running, most urgent first (for status pages and tests).
    pub async fn live_jobs(&self) -> StoreResult<Vec<Job>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM jobs WHERE state IN ('queued', 'running') ORDER BY priority DESC, run_at, id"
        );
        let rows: Vec<JobRow> = on_pool!(&self.db, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Job::from).collect())
    }

    /// Deletes jobs that finished before `before`; how many.
    pub async fn prune_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.writing(async {
            let sql = "DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < $1";
            Ok(on_pool!(&self.db, pool => sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()))
        })
        .await
    }
}
