//! Events: what was seen (a tag created or moved, a base image updated), raised once per dedupe key.
//! Each event queues an [`EVENT_JOB`] in the same transaction, so reactions (lineage, scans, later
//! notifications) run as jobs, never as calls from the code that saw it.

use app::digest::Digest;
use chrono::{DateTime, Utc};

use super::db::on_pool;
use super::{RepositoryId, Store, StoreError, StoreResult};

/// The job kind that reacts to one event; its payload is `{"event": id}`.
pub const EVENT_JOB: &str = "event";

pub(super) const INSERT_EVENT: &str = "INSERT INTO events (kind, repository_id, tag, digest, detail, dedupe_key, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id";

/// Inserts `$event` (a `&NewEvent`) and the job reacting to it on the open transaction `$tx` of
/// either backend (the transactional outbox); evaluates to the event's id, `None` when its dedupe
/// key was raised before.
macro_rules! raise_in {
    ($tx:expr, $event:expr) => {{
        let event: &$crate::store::events::NewEvent = $event;
        let id: Option<i64> = sqlx::query_scalar($crate::store::events::INSERT_EVENT)
            .bind(&event.kind)
            .bind(event.repository.0)
            .bind(&event.tag)
            .bind(event.digest.as_ref().map(app::digest::Digest::as_str))
            .bind(event.detail.to_string())
            .bind(&event.dedupe_key)
            .bind(chrono::Utc::now())
            .fetch_optional(&mut *$tx)
            .await?;
        if let Some(id) = id {
            let job = $crate::store::jobs::NewJob::event(id);
            sqlx::query($crate::store::jobs::INSERT_JOB)
                .bind(job.kind).bind(job.payload).bind(job.dedupe_key).bind(job.priority)
                .bind(job.run_at).bind(job.max_attempts).bind(chrono::Utc::now())
                .execute(&mut *$tx).await?;
        }
        id
    }};
}
pub(super) use raise_in;

/// An event to raise once: a second raise with the same `dedupe_key` is a no-op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: String,
    pub repository: RepositoryId,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
    pub detail: serde_json::Value,
    pub dedupe_key: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub kind: String,
    pub repository_id: RepositoryId,
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    kind: String,
    repository_id: i64,
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
    detail: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<EventRow> for EventRecord {
    type Error = StoreError;
    fn try_from(row: EventRow) -> StoreResult<Self> {
        Ok(EventRecord {
            id: row.id,
            kind: row.kind,
            repository_id: RepositoryId(row.repository_id),
            registry: row.registry,
            repository: row.repository,
            tag: row.tag,
            digest: row.digest.as_deref().map(Digest::parse).transpose()?,
            detail: serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null),
            created_at: row.created_at,
        })
    }
}

const SELECT_EVENTS: &str = "SELECT e.id, e.kind, e.repository_id, r.registry, r.name AS repository, e.tag, e.digest,
        e.detail, e.created_at FROM events e JOIN repositories r ON r.id = e.repository_id";

impl Store {
    /// Records an event unless one with the same dedupe key exists, and queues its reactions;
    /// true when it was new.
    pub async fn raise_event(&self, event: &NewEvent) -> StoreResult<bool> {
        self.writing(async {
            on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await?;
                let id = raise_in!(tx, event);
                tx.commit().await?;
                Ok(id.is_some())
            })
        })
        .await
    }

    /// Events with an id above `after`, oldest first.
    pub async fn events(&self, after: i64, limit: u32) -> StoreResult<Vec<EventRecord>> {
        let sql = format!("{SELECT_EVENTS} WHERE e.id > $1 ORDER BY e.id LIMIT $2");
        let rows: Vec<EventRow> =
            on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(after).bind(limit as i64).fetch_all(pool).await?);
        rows.into_iter().map(EventRecord::try_from).collect()
    }

    pub async fn event(&self, id: i64) -> StoreResult<Option<EventRecord>> {
        let sql = format!("{SELECT_EVENTS} WHERE e.id = $1");
        let row: Option<EventRow> = on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        row.map(EventRecord::try_from).transpose()
    }
}
