//! Tags: pointers with a history of every period they named a digest. What a recording changed is
//! written as an event in the same transaction (see `events`).

use app::digest::Digest;
use chrono::{DateTime, Utc};

use super::db::{Db, on_pool};
use super::events::{NewEvent, raise_in};
use super::{RepositoryId, Store, StoreResult};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagRecord {
    pub repository: RepositoryId,
    pub name: String,
    pub digest: Digest,
    pub first_seen: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagHistoryEntry {
    pub digest: Digest,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// What recording a tag observation changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagChange {
    /// New, or pushed again after it was deleted.
    Created,
    Unchanged,
    Moved { from: Digest },
    Deleted { from: Digest },
}

impl TagChange {
    /// The event a change raises: `tag.created`, `tag.moved`, `tag.deleted`, or none.
    pub fn event_kind(&self) -> Option<&'static str> {
        match self {
            TagChange::Created => Some("tag.created"),
            TagChange::Moved { .. } => Some("tag.moved"),
            TagChange::Deleted { .. } => Some("tag.deleted"),
            TagChange::Unchanged => None,
        }
    }

    /// The event a change raises (none when unchanged), with the digest the tag named before
    /// (`from`) and names now (`to`, none once deleted) as its detail.
    fn event(&self, repository: RepositoryId, tag: &str, digest: &Digest, dedupe_key: String) -> Option<NewEvent> {
        let kind = self.event_kind()?;
        let (from, to) = match self {
            TagChange::Moved { from } => (Some(from), Some(digest)),
            TagChange::Deleted { from } => (Some(from), None),
            _ => (None, Some(digest)),
        };
        Some(NewEvent {
            kind: kind.to_string(),
            repository,
            tag: Some(tag.to_string()),
            digest: Some(digest.clone()),
            detail: serde_json::json!({ "from": from, "to": to }),
            dedupe_key,
        })
    }
}

const INSERT_TAG: &str = "INSERT INTO tags (repository_id, name, digest, first_seen, checked_at)
     VALUES ($1, $2, $3, $4, $4) ON CONFLICT (repository_id, name) DO NOTHING RETURNING id";
const INSERT_HISTORY: &str =
    "INSERT INTO tag_history (tag_id, digest, first_seen, last_seen) VALUES ($1, $2, $3, $3) RETURNING id";
const TOUCH_TAG: &str = "UPDATE tags SET checked_at = $1 WHERE id = $2";
const TOUCH_HISTORY: &str =
    "UPDATE tag_history SET last_seen = $1 WHERE id = (SELECT MAX(id) FROM tag_history WHERE tag_id = $2)";
const MOVE_TAG: &str =
    "UPDATE tags SET digest = $1, first_seen = $2, checked_at = $2, deleted_at = NULL WHERE id = $3";
/// A tag confirmed at `$1` or later (a concurrent view saw it) is not deleted by an observation made
/// before: the newer one wins.
const DELETE_TAG: &str = "UPDATE tags SET deleted_at = $1, checked_at = $1
     WHERE repository_id = $2 AND name = $3 AND deleted_at IS NULL AND checked_at < $1 RETURNING id, digest";
const LATEST_PERIOD: &str = "SELECT MAX(id) FROM tag_history WHERE tag_id = $1";

impl Store {
    /// Records that `tag` pointed at `digest` at `seen_at`, extending or starting its history. A
    /// created or moved tag raises its event (and queues its reactions) in the same transaction.
    pub async fn record_tag(
        &self,
        repository: RepositoryId,
        tag: &str,
        digest: &Digest,
        seen_at: DateTime<Utc>,
    ) -> StoreResult<TagChange> {
        self.writing(async {
            // SQLite: the INSERT comes first so the transaction takes the write lock before it reads.
            // PostgreSQL: insert-or-lock, so two replicas recording the same tag serialise on the row.
            let select = self.select_tag_for_update();
            on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await?;
                let created: Option<i64> = sqlx::query_scalar(INSERT_TAG)
                    .bind(repository.0).bind(tag).bind(digest.as_str()).bind(seen_at)
                    .fetch_optional(&mut *tx).await?;
                let (tag_id, change) = match created {
                    Some(id) => (id, TagChange::Created),
                    None => {
                        let (id, current, deleted): (i64, String, Option<DateTime<Utc>>) =
                            sqlx::query_as(select).bind(repository.0).bind(tag).fetch_one(&mut *tx).await?;
                        let change = match (deleted, *digest == current) {
                            (Some(_), _) => TagChange::Created,
                            (None, true) => TagChange::Unchanged,
                            (None, false) => TagChange::Moved { from: Digest::parse(&current)? },
                        };
                        if change == TagChange::Unchanged {
                            sqlx::query(TOUCH_TAG).bind(seen_at).bind(id).execute(&mut *tx).await?;
                            sqlx::query(TOUCH_HISTORY).bind(seen_at).bind(id).execute(&mut *tx).await?;
                        } else {
                            sqlx::query(MOVE_TAG).bind(digest.as_str()).bind(seen_at).bind(id).execute(&mut *tx).await?;
                        }
                        (id, change)
                    }
                };
                if let Some(kind) = change.event_kind() {
                    let period: i64 = sqlx::query_scalar(INSERT_HISTORY)
                        .bind(tag_id).bind(digest.as_str()).bind(seen_at)
                        .fetch_one(&mut *tx).await?;
                    if let Some(event) = change.event(repository, tag, digest, format!("{kind}:{tag_id}:{period}")) {
                        raise_in!(tx, &event);
                    }
                }
                tx.commit().await?;
                Ok(change)
            })
        })
        .await
    }

    /// Records that the registry no longer had `tag` at `seen_at` (its history stays): `tag.deleted`
    /// is raised in the same transaction. `Unchanged` when it was not stored, already deleted, or
    /// confirmed since `seen_at`.
    pub async fn record_tag_deleted(
        &self,
        repository: RepositoryId,
        tag: &str,
        seen_at: DateTime<Utc>,
    ) -> StoreResult<TagChange> {
        self.writing(async {
            on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await?;
                // One statement, so SQLite takes the write lock before anything is read.
                let deleted: Option<(i64, String)> = sqlx::query_as(DELETE_TAG)
                    .bind(seen_at).bind(repository.0).bind(tag)
                    .fetch_optional(&mut *tx).await?;
                let Some((tag_id, current)) = deleted else { return Ok(TagChange::Unchanged) };
                let period: Option<i64> = sqlx::query_scalar(LATEST_PERIOD).bind(tag_id).fetch_one(&mut *tx).await?;
                let key = format!("tag.deleted:{tag_id}:{}", period.unwrap_or(0));
                let current = Digest::parse(&current)?;
                let change = TagChange::Deleted { from: current.clone() };
                if let Some(event) = change.event(repository, tag, &current, key) {
                    raise_in!(tx, &event);
                }
                tx.commit().await?;
                Ok(change)
            })
        })
        .await
    }

    /// The tag row, locked for the transaction on PostgreSQL (SQLite holds the write lock already:
    /// `record_tag` inserts first).
    fn select_tag_for_update(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "SELECT id, digest, deleted_at FROM tags WHERE repository_id = $1 AND name = $2",
            Db::Postgres(_) => {
                "SELECT id, digest, deleted_at FROM tags WHERE repository_id = $1 AND name = $2 FOR UPDATE"
            }
        }
    }

    /// The names of the repository's tags that exist (as last seen).
    pub async fn live_tags(&self, repository: RepositoryId) -> StoreResult<Vec<String>> {
        let sql = "SELECT name FROM tags WHERE repository_id = $1 AND deleted_at IS NULL ORDER BY name";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(repository.0).fetch_all(pool).await?))
    }

    pub async fn tag(&self, repository: RepositoryId, tag: &str) -> StoreResult<Option<TagRecord>> {
        let sql = "SELECT digest, first_seen, checked_at FROM tags
             WHERE repository_id = $1 AND name = $2 AND deleted_at IS NULL";
        let row: Option<(String, DateTime<Utc>, DateTime<Utc>)> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).bind(repository.0).bind(tag).fetch_optional(pool).await?);
        let Some((digest, first_seen, checked_at)) = row else { return Ok(None) };
        let digest = Digest::parse(&digest)?;
        Ok(Some(TagRecord { repository, name: tag.to_string(), digest, first_seen, checked_at }))
    }

    /// Newest first.
    pub async fn tag_history(&self, repository: RepositoryId, tag: &str) -> StoreResult<Vec<TagHistoryEntry>> {
        let sql = "SELECT h.digest, h.first_seen, h.last_seen FROM tag_history h JOIN tags t ON t.id = h.tag_id
             WHERE t.repository_id = $1 AND t.name = $2 ORDER BY h.id DESC";
        let rows: Vec<(String, DateTime<Utc>, DateTime<Utc>)> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).bind(repository.0).bind(tag).fetch_all(pool).await?);
        let period = |(digest, first_seen, last_seen): (String, _, _)| {
            Ok(TagHistoryEntry { digest: Digest::parse(&digest)?, first_seen, last_seen })
        };
        rows.into_iter().map(period).collect()
    }

    /// The repository's tags that name `digest` now, by name.
    pub async fn tags_on(&self, repository: RepositoryId, digest: &Digest) -> StoreResult<Vec<String>> {
        let sql = "SELECT name FROM tags WHERE repository_id = $1 AND digest = $2 AND deleted_at IS NULL ORDER BY name";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql)
            .bind(repository.0)
            .bind(digest.as_str())
            .fetch_all(pool)
            .await?))
    }
}

