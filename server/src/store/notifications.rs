//! Notifications: users' channels, their watches, and the delivery outbox with its attempt log.
//! Nothing here shows on a kept page, so these writes leave the page cache alone.

use chrono::{DateTime, Utc};

use super::db::on_pool;
use super::jobs::{INSERT_JOB, NewJob};
use super::{RepositoryId, Store, StoreResult, UserId};

/// A channel row. `sealed` holds its secret; it never leaves the server.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChannelRecord {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub kind: String,
    pub target: String,
    /// JSON.
    pub settings: String,
    pub sealed: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
}

impl std::fmt::Debug for ChannelRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChannelRecord({} {} {:?} -> {})", self.id, self.kind, self.name, self.target)
    }
}

/// A channel to save; its secret is sealed once its id is known (the seal is bound to it).
pub struct NewChannel<'a> {
    pub user: UserId,
    pub name: &'a str,
    pub kind: &'a str,
    pub target: &'a str,
    pub settings: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WatchRecord {
    pub id: i64,
    pub user_id: i64,
    pub repository_id: i64,
    pub registry: String,
    pub repository: String,
    /// `private` or `public`.
    pub visibility: String,
    pub tag: Option<String>,
    /// JSON arrays.
    pub include: String,
    pub exclude: String,
    pub events: String,
    pub min_severity: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct NewWatch<'a> {
    pub user: UserId,
    /// SHA-256 (hex) of the refresh-hook token.
    pub hook_hash: &'a str,
    pub repository: RepositoryId,
    pub tag: Option<&'a str>,
    pub include: &'a str,
    pub exclude: &'a str,
    pub events: &'a str,
    pub min_severity: Option<&'a str>,
    pub channels: &'a [i64],
}

/// One message for one channel, sent until delivered or given up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    pub channel: i64,
    pub event: Option<i64>,
    pub event_type: String,
    pub message_id: String,
    pub payload: String,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: i64,
    pub channel_id: i64,
    pub event_id: Option<i64>,
    pub event_type: String,
    pub message_id: String,
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    pub status_code: Option<i32>,
    /// `delivered`, `retry` or `failed`.
    pub outcome: String,
    pub detail: String,
}

/// What one attempt found, to be logged and applied to its delivery and channel.
#[derive(Clone, Debug)]
pub struct Attempted<'a> {
    pub delivery: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    pub status_code: Option<i32>,
    pub outcome: &'a str,
    pub detail: &'a str,
}

/// The end of an insert that a per-user limit bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capped {
    Saved(i64),
    /// The user has as many as the limit allows.
    Full,
    /// A row with the same unique name exists.
    Duplicate,
}

/// Taken first in a capped insert on PostgreSQL: the same user's inserts take turns, so each
/// counts the rows of the one before (READ COMMITTED would let two both count 49 and both insert).
/// On SQLite the insert statement itself holds the write lock while it counts.
const LOCK_USER: &str = "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE";

const CHANNEL_COLUMNS: &str = "id, user_id, name, kind, target, settings, sealed, created_at, failing_since, disabled_at, disabled_reason";
const WATCH_SELECT: &str = "SELECT w.id, w.user_id, w.repository_id, r.registry, r.name AS repository, r.visibility,
        w.tag, w.include, w.exclude, w.events, w.min_severity, w.created_at
     FROM watches w JOIN repositories r ON r.id = w.repository_id";
const DELIVERY_COLUMNS: &str =
    "id, channel_id, event_id, event_type, message_id, payload, state, attempts, created_at, finished_at";

impl Store {
    /// Saves a channel, its secret sealed by `seal` for the new id, in one transaction, unless
    /// `user` has `limit` channels or one of that name already.
    pub async fn insert_channel(
        &self,
        new: &NewChannel<'_>,
        limit: usize,
        seal: impl FnOnce(i64) -> Option<Vec<u8>>,
    ) -> StoreResult<Capped> {
        let insert = "INSERT INTO channels (user_id, name, kind, target, settings, created_at)
             SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM channels WHERE user_id = $1) < $7
             ON CONFLICT (user_id, name) DO NOTHING RETURNING id";
        let set_secret = "UPDATE channels SET sealed = $2 WHERE id = $1";
        let count = "SELECT COUNT(*) FROM channels WHERE user_id = $1";
        let postgres = self.db.is_postgres();
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query(LOCK_USER).bind(new.user.0).execute(&mut *tx).await?;
            }
            let id: Option<i64> = sqlx::query_scalar(insert)
                .bind(new.user.0).bind(new.name).bind(new.kind).bind(new.target).bind(new.settings).bind(Utc::now())
                .bind(limit as i64)
                .fetch_optional(&mut *tx).await?;
            let outcome = match id {
                Some(id) => {
                    if let Some(sealed) = seal(id) {
                        sqlx::query(set_secret).bind(id).bind(sealed).execute(&mut *tx).await?;
                    }
                    Capped::Saved(id)
                }
                None => {
                    let n: i64 = sqlx::query_scalar(count).bind(new.user.0).fetch_one(&mut *tx).await?;
                    if n >= limit as i64 { Capped::Full } else { Capped::Duplicate }
                }
            };
            tx.commit().await?;
            Ok(outcome)
        })
    }

    pub async fn channels(&self, user: UserId) -> StoreResult<Vec<ChannelRecord>> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE user_id = $1 ORDER BY id");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(user.0).fetch_all(pool).await?))
    }

    pub async fn channel(&self, id: i64) -> StoreResult<Option<ChannelRecord>> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = $1");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// Deletes `user`'s channel `id` (its deliveries and its place in watches go with it).
    pub async fn delete_channel(&self, user: UserId, id: i64) -> StoreResult<bool> {
        let sql = "DELETE FROM channels WHERE id = $1 AND user_id = $2";
        let deleted = on_pool!(&self.db, pool => sqlx::query(sql).bind(id).bind(user.0).execute(pool).await?.rows_affected());
        Ok(deleted > 0)
    }

    /// Saves a watch and its channels in one transaction, unless `user` has `limit` watches.
    pub async fn insert_watch(&self, new: &NewWatch<'_>, limit: usize) -> StoreResult<Capped> {
        let insert = "INSERT INTO watches
                 (user_id, repository_id, tag, include, exclude, events, min_severity, created_at, hook_hash)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE (SELECT COUNT(*) FROM watches WHERE user_id = $1) < $10
             RETURNING id";
        let link = "INSERT INTO watch_channels (watch_id, channel_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        let postgres = self.db.is_postgres();
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query(LOCK_USER).bind(new.user.0).execute(&mut *tx).await?;
            }
            let id: Option<i64> = sqlx::query_scalar(insert)
                .bind(new.user.0).bind(new.repository.0).bind(new.tag).bind(new.include).bind(new.exclude)
                .bind(new.events).bind(new.min_severity).bind(Utc::now()).bind(new.hook_hash).bind(limit as i64)
                .fetch_optional(&mut *tx).await?;
            let Some(id) = id else { return Ok(Capped::Full) };
            for channel in new.channels {
                sqlx::query(link).bind(id).bind(channel).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Capped::Saved(id))
        })
    }

    pub async fn watches(&self, user: UserId) -> StoreResult<Vec<WatchRecord>> {
        let sql = format!("{WATCH_SELECT} WHERE w.user_id = $1 ORDER BY w.id");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(user.0).fetch_all(pool).await?))
    }

    pub async fn watch(&self, id: i64) -> StoreResult<Option<WatchRecord>> {
        let sql = format!("{WATCH_SELECT} WHERE w.id = $1");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// The watch whose refresh-hook token hashes to `hook_hash`.
    pub async fn watch_by_hook(&self, hook_hash: &str) -> StoreResult<Option<WatchRecord>> {
        let sql = format!("{WATCH_SELECT} WHERE w.hook_hash = $1");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(hook_hash).fetch_optional(pool).await?))
    }

    /// Every watch of `repository`, for an event there.
    pub async fn watches_of(&self, repository: RepositoryId) -> StoreResult<Vec<WatchRecord>> {
        let sql = format!("{WATCH_SELECT} WHERE w.repository_id = $1 ORDER BY w.id");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(repository.0).fetch_all(pool).await?))
    }

    /// Every watch, for a round of the watcher.
    pub async fn all_watches(&self) -> StoreResult<Vec<WatchRecord>> {
        let sql = format!("{WATCH_SELECT} ORDER BY r.registry, r.name, w.id");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// The channels of watch `id`.
    pub async fn watch_channels(&self, id: i64) -> StoreResult<Vec<i64>> {
        let sql = "SELECT channel_id FROM watch_channels WHERE watch_id = $1 ORDER BY channel_id";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(id).fetch_all(pool).await?))
    }

    pub async fn delete_watch(&self, user: UserId, id: i64) -> StoreResult<bool> {
        let sql = "DELETE FROM watches WHERE id = $1 AND user_id = $2";
        let deleted = on_pool!(&self.db, pool => sqlx::query(sql).bind(id).bind(user.0).execute(pool).await?.rows_affected());
        Ok(deleted > 0)
    }

    /// Stores each delivery with the job that sends it (`job` for the new delivery's id; none for
    /// one sent at once), in one transaction; a delivery of the same event to the same channel
    /// stored before is skipped. The ids of the deliveries stored now.
    pub async fn enqueue_deliveries(
        &self,
        deliveries: &[NewDelivery],
        job: impl Fn(i64) -> Option<NewJob>,
    ) -> StoreResult<Vec<i64>> {
        let insert = "INSERT INTO deliveries (channel_id, event_id, event_type, message_id, payload, state, created_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT DO NOTHING RETURNING id";
        let now = Utc::now();
        let ids = on_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let mut ids = Vec::new();
            for d in deliveries {
                let id: Option<i64> = sqlx::query_scalar(insert)
                    .bind(d.channel).bind(d.event).bind(&d.event_type).bind(&d.message_id).bind(&d.payload).bind(now)
                    .fetch_optional(&mut *tx).await?;
                let Some(id) = id else { continue };
                if let Some(job) = job(id) {
                    sqlx::query(INSERT_JOB)
                        .bind(job.kind).bind(job.payload).bind(job.dedupe_key).bind(job.priority)
                        .bind(job.run_at).bind(job.max_attempts).bind(now)
                        .execute(&mut *tx).await?;
                }
                ids.push(id);
            }
            tx.commit().await?;
            ids
        });
        if !ids.is_empty() {
            // Wakes nothing kept in memory, but job claims look at it to poll sooner.
            self.changed();
        }
        Ok(ids)
    }

    pub async fn delivery(&self, id: i64) -> StoreResult<Option<DeliveryRecord>> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// The newest `limit` deliveries of `channel`, newest first.
    pub async fn deliveries(&self, channel: i64, limit: u32) -> StoreResult<Vec<DeliveryRecord>> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE channel_id = $1 ORDER BY id DESC LIMIT $2");
        Ok(on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(channel).bind(i64::from(limit)).fetch_all(pool).await?))
    }

    /// Every attempt at the deliveries `ids`, in order.
    pub async fn delivery_attempts(&self, ids: &[i64]) -> StoreResult<Vec<AttemptRecord>> {
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let sqlite = "SELECT delivery_id, attempt, started_at, duration_ms, status_code, outcome, detail
             FROM delivery_attempts WHERE delivery_id IN (SELECT value FROM json_each($1)) ORDER BY delivery_id, attempt";
        let postgres = "SELECT delivery_id, attempt, started_at, duration_ms, status_code, outcome, detail
             FROM delivery_attempts WHERE delivery_id IN (SELECT value::bigint FROM json_array_elements_text($1::json))
             ORDER BY delivery_id, attempt";
        Ok(match &self.db {
            super::db::Db::Sqlite(pool) => sqlx::query_as(sqlite).bind(ids).fetch_all(pool).await?,
            super::db::Db::Postgres(pool) => sqlx::query_as(postgres).bind(ids).fetch_all(pool).await?,
        })
    }

    /// Logs an attempt and applies it: to the delivery (its count and, unless retried, its end)
    /// and to its channel (failing since when; cleared by a delivery). The attempt's number.
    pub async fn record_attempt(&self, attempted: &Attempted<'_>) -> StoreResult<i32> {
        let state = match attempted.outcome {
            "delivered" => "delivered",
            "failed" => "failed",
            _ => "pending",
        };
        let delivery = "UPDATE deliveries SET attempts = attempts + 1, state = $2,
                finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $3 END
             WHERE id = $1 RETURNING attempts";
        let log = "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, outcome, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7)";
        // A delivery clears the channel's failing streak; anything else starts one if none runs.
        let channel = "UPDATE channels SET failing_since = CASE WHEN $3 THEN NULL ELSE COALESCE(failing_since, $2) END
             WHERE id = (SELECT channel_id FROM deliveries WHERE id = $1)";
        let now = Utc::now();
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let attempt: i32 = sqlx::query_scalar(delivery)
                .bind(attempted.delivery).bind(state).bind(now).fetch_one(&mut *tx).await?;
            sqlx::query(log)
                .bind(attempted.delivery).bind(attempt).bind(attempted.started_at).bind(attempted.duration_ms)
                .bind(attempted.status_code).bind(attempted.outcome).bind(attempted.detail)
                .execute(&mut *tx).await?;
            sqlx::query(channel)
                .bind(attempted.delivery).bind(attempted.started_at).bind(attempted.outcome == "delivered")
                .execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(attempt)
        })
    }

    /// Disables channel `id`, saying why; true when it was enabled.
    pub async fn disable_channel(&self, id: i64, reason: &str) -> StoreResult<bool> {
        let sql = "UPDATE channels SET disabled_at = $2, disabled_reason = $3 WHERE id = $1 AND disabled_at IS NULL";
        let changed = on_pool!(&self.db, pool => sqlx::query(sql)
            .bind(id).bind(Utc::now()).bind(reason).execute(pool).await?.rows_affected());
        Ok(changed > 0)
    }

    /// Enables `user`'s channel `id` again (its owner fixed the receiver); true when it was disabled.
    pub async fn enable_channel(&self, user: UserId, id: i64) -> StoreResult<bool> {
        let sql = "UPDATE channels SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL
             WHERE id = $1 AND user_id = $2 AND disabled_at IS NOT NULL";
        let changed = on_pool!(&self.db, pool => sqlx::query(sql).bind(id).bind(user.0).execute(pool).await?.rows_affected());
        Ok(changed > 0)
    }

    /// Sends delivery `id` again (same message id) with a new job; false when it is still pending.
    pub async fn redeliver(&self, id: i64, job: NewJob) -> StoreResult<bool> {
        let reopen = "UPDATE deliveries SET state = 'pending', finished_at = NULL WHERE id = $1 AND state <> 'pending'";
        let queued = on_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let reopened = sqlx::query(reopen).bind(id).execute(&mut *tx).await?.rows_affected();
            // The last attempt's job may still be finishing (its dedupe key live): then nothing
            // is reopened, rather than a pending delivery without a job.
            let queued = reopened > 0
                && sqlx::query(INSERT_JOB)
                    .bind(job.kind).bind(job.payload).bind(job.dedupe_key).bind(job.priority)
                    .bind(job.run_at).bind(job.max_attempts).bind(Utc::now())
                    .execute(&mut *tx).await?.rows_affected() > 0;
            if queued { tx.commit().await? } else { tx.rollback().await? }
            queued
        });
        if queued {
            self.changed();
        }
        Ok(queued)
    }
}
