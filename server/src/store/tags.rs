//! Tags: pointers with a history of every period they named a digest. What a recording changed is
//! written as an event in the same transaction (see `events`).

use chrono::{DateTime, Utc};

use super::db::{Db, on_pool};
use super::events::INSERT_EVENT;
use super::jobs::{INSERT_JOB, NewJob};
use super::{RepositoryId, Store, StoreResult};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagRecord {
    pub repository: RepositoryId,
    pub name: String,
    pub digest: String,
    pub first_seen: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TagHistoryEntry {
    pub digest: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// What recording a tag observation changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagChange {
    Created,
    Unchanged,
    Moved { from: String },
}

impl TagChange {
    /// The event a change raises: `tag.created`, `tag.moved`, or none.
    pub fn event_kind(&self) -> Option<&'static str> {
        match self {
            TagChange::Created => Some("tag.created"),
            TagChange::Moved { .. } => Some("tag.moved"),
            TagChange::Unchanged => None,
        }
    }
}

const INSERT_TAG: &str = "INSERT INTO tags (repository_id, name, digest, first_seen, checked_at)
     VALUES ($1, $2, $3, $4, $4) ON CONFLICT (repository_id, name) DO NOTHING RETURNING id";
const INSERT_HISTORY: &str =
    "INSERT INTO tag_history (tag_id, digest, first_seen, last_seen) VALUES ($1, $2, $3, $3) RETURNING id";
const TOUCH_TAG: &str = "UPDATE tags SET checked_at = $1 WHERE id = $2";
const TOUCH_HISTORY: &str =
    "UPDATE tag_history SET last_seen = $1 WHERE id = (SELECT MAX(id) FROM tag_history WHERE tag_id = $2)";
const MOVE_TAG: &str = "UPDATE tags SET digest = $1, first_seen = $2, checked_at = $2 WHERE id = $3";

impl Store {
    /// Records that `tag` pointed at `digest` at `seen_at`, extending or starting its history. A
    /// created or moved tag raises its event (and queues its reactions) in the same transaction.
    pub async fn record_tag(
        &self,
        repository: RepositoryId,
        tag: &str,
        digest: &str,
        seen_at: DateTime<Utc>,
    ) -> StoreResult<TagChange> {
        // SQLite: the INSERT comes first so the transaction takes the write lock before it reads.
        // PostgreSQL: insert-or-lock, so two replicas recording the same tag serialise on the row.
        let select = match self.db {
            Db::Sqlite(_) => "SELECT id, digest FROM tags WHERE repository_id = $1 AND name = $2",
            Db::Postgres(_) => "SELECT id, digest FROM tags WHERE repository_id = $1 AND name = $2 FOR UPDATE",
        };
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let created: Option<i64> = sqlx::query_scalar(INSERT_TAG)
                .bind(repository.0).bind(tag).bind(digest).bind(seen_at)
                .fetch_optional(&mut *tx).await?;
            let (tag_id, change) = match created {
                Some(id) => (id, TagChange::Created),
                None => {
                    let (id, current): (i64, String) =
                        sqlx::query_as(select).bind(repository.0).bind(tag).fetch_one(&mut *tx).await?;
                    if current == digest {
                        sqlx::query(TOUCH_TAG).bind(seen_at).bind(id).execute(&mut *tx).await?;
                        sqlx::query(TOUCH_HISTORY).bind(seen_at).bind(id).execute(&mut *tx).await?;
                    } else {
                        sqlx::query(MOVE_TAG).bind(digest).bind(seen_at).bind(id).execute(&mut *tx).await?;
                    }
                    (id, if current == digest { TagChange::Unchanged } else { TagChange::Moved { from: current } })
                }
            };
            if let Some(kind) = change.event_kind() {
                let period: i64 = sqlx::query_scalar(INSERT_HISTORY)
                    .bind(tag_id).bind(digest).bind(seen_at)
                    .fetch_one(&mut *tx).await?;
                let from = match &change { TagChange::Moved { from } => Some(from.as_str()), _ => None };
                let detail = serde_json::json!({ "from": from, "to": digest }).to_string();
                let event: i64 = sqlx::query_scalar(INSERT_EVENT)
                    .bind(kind).bind(repository.0).bind(tag).bind(digest).bind(detail)
                    .bind(format!("{kind}:{tag_id}:{period}")).bind(Utc::now())
                    .fetch_one(&mut *tx).await?;
                let job = NewJob::event(event);
                sqlx::query(INSERT_JOB)
                    .bind(job.kind).bind(job.payload).bind(job.dedupe_key).bind(job.priority)
                    .bind(job.run_at).bind(job.max_attempts).bind(Utc::now())
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(change)
        })
    }

    pub async fn tag(&self, repository: RepositoryId, tag: &str) -> StoreResult<Option<TagRecord>> {
        let sql = "SELECT digest, first_seen, checked_at FROM tags WHERE repository_id = $1 AND name = $2";
        let row: Option<(String, DateTime<Utc>, DateTime<Utc>)> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).bind(repository.0).bind(tag).fetch_optional(pool).await?);
        Ok(row.map(|(digest, first_seen, checked_at)| TagRecord {
            repository,
            name: tag.to_string(),
            digest,
            first_seen,
            checked_at,
        }))
    }

    /// Newest first.
    pub async fn tag_history(&self, repository: RepositoryId, tag: &str) -> StoreResult<Vec<TagHistoryEntry>> {
        let sql = "SELECT h.digest, h.first_seen, h.last_seen FROM tag_history h JOIN tags t ON t.id = h.tag_id
             WHERE t.repository_id = $1 AND t.name = $2 ORDER BY h.id DESC";
        Ok(on_pool!(&self.db, pool => sqlx::query_as(sql).bind(repository.0).bind(tag).fetch_all(pool).await?))
    }

    /// The repository's tags that name `digest` now, by name.
    pub async fn tags_on(&self, repository: RepositoryId, digest: &str) -> StoreResult<Vec<String>> {
        let sql = "SELECT name FROM tags WHERE repository_id = $1 AND digest = $2 ORDER BY name";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(repository.0).bind(digest).fetch_all(pool).await?))
    }
}
