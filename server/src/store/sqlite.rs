//! The embedded default: one SQLite file, WAL mode, created on first start.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::*;

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn open(path: &Path, max_connections: u32) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| StoreError::CreateDir { path: dir.display().to_string(), source })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // A connection to a local file does not go stale: no ping before each checkout (sqlx pings
        // by default, one more round trip to the connection's thread per query).
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        let migrator = sqlx::migrate!("../migrations/sqlite");
        if !schema_is_current(&pool, &migrator).await {
            migrator.run(&pool).await?;
        }
        Ok(Self { pool })
    }
}

/// Whether every embedded migration is applied, unchanged, in one query (sqlx's own check takes
/// three round trips to the connection's thread, a noticeable share of a short command). Anything
/// unexpected, a missing table included, answers false and lets sqlx decide.
async fn schema_is_current(pool: &SqlitePool, migrator: &sqlx::migrate::Migrator) -> bool {
    let Ok(rows) =
        sqlx::query("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version").fetch_all(pool).await
    else {
        return false;
    };
    let applied: Vec<(i64, Vec<u8>, bool)> =
        rows.iter().map(|r| (r.get("version"), r.get("checksum"), r.get("success"))).collect();
    let wanted: Vec<(i64, Vec<u8>, bool)> = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| (m.version, m.checksum.to_vec(), true))
        .collect();
    applied == wanted
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "SQLite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn upsert_repository(&self, registry: &str, name: &str, visibility: Visibility) -> StoreResult<Repository> {
        // Once a repository needed credentials it stays private.
        let row = sqlx::query(
            "INSERT INTO repositories (registry, name, visibility, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (registry, name) DO UPDATE SET visibility =
               CASE WHEN repositories.visibility = 'private' THEN 'private' ELSE excluded.visibility END
             RETURNING id, visibility",
        )
        .bind(registry)
        .bind(name)
        .bind(visibility.as_str())
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await?;
        Ok(Repository {
            id: RepositoryId(row.get("id")),
            registry: registry.to_string(),
            name: name.to_string(),
            visibility: Visibility::parse(row.get("visibility")),
        })
    }

    async fn repository(&self, registry: &str, name: &str) -> StoreResult<Option<Repository>> {
        let row = sqlx::query("SELECT id, visibility FROM repositories WHERE registry = ?1 AND name = ?2")
            .bind(registry)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| Repository {
            id: RepositoryId(row.get("id")),
            registry: registry.to_string(),
            name: name.to_string(),
            visibility: Visibility::parse(row.get("visibility")),
        }))
    }

    async fn put_manifest(&self, repository: RepositoryId, manifest: &ManifestRecord) -> StoreResult<()> {
        // One multi-statement query inside the transaction (each statement idempotent): a round
        // trip to the connection's thread per statement would cost more than the inserts. sqlx
        // binds `?` placeholders across the statements in order of appearance.
        let mut sql = String::from(
            "INSERT INTO manifests (digest, media_type, size, body, config_digest, fetched_at)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING;",
        );
        if !manifest.layers.is_empty() {
            let layers = vec!["(?, ?, ?)"; manifest.layers.len()].join(", ");
            let links: Vec<String> = (0..manifest.layers.len()).map(|i| format!("(?, {i}, ?)")).collect();
            sql.push_str(&format!(
                "INSERT INTO layers (digest, media_type, size) VALUES {layers} ON CONFLICT (digest) DO NOTHING;
                 INSERT INTO manifest_layers (manifest_digest, position, layer_digest) VALUES {} ON CONFLICT DO NOTHING;",
                links.join(", ")
            ));
        }
        sql.push_str(
            "INSERT INTO repository_manifests (repository_id, manifest_digest) VALUES (?, ?) ON CONFLICT DO NOTHING",
        );
        let mut query = sqlx::query(&sql)
            .bind(&manifest.digest)
            .bind(&manifest.media_type)
            .bind(manifest.body.len() as i64)
            .bind(&manifest.body)
            .bind(&manifest.config_digest)
            .bind(Utc::now());
        for layer in &manifest.layers {
            query = query.bind(&layer.digest).bind(&layer.media_type).bind(layer.size);
        }
        for layer in &manifest.layers {
            query = query.bind(&manifest.digest).bind(&layer.digest);
        }
        let mut tx = self.pool.begin().await?;
        query.bind(repository.0).bind(&manifest.digest).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn repository_has_manifest(&self, repository: RepositoryId, digest: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 FROM repository_manifests WHERE repository_id = ?1 AND manifest_digest = ?2")
            .bind(repository.0)
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn manifest(&self, digest: &str) -> StoreResult<Option<ManifestRecord>> {
        let Some(row) = sqlx::query("SELECT media_type, body, config_digest FROM manifests WHERE digest = ?1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let layers = sqlx::query(
            "SELECT l.digest, l.media_type, l.size FROM manifest_layers ml JOIN layers l ON l.digest = ml.layer_digest
             WHERE ml.manifest_digest = ?1 ORDER BY ml.position",
        )
        .bind(digest)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|l| LayerRecord { digest: l.get("digest"), media_type: l.get("media_type"), size: l.get("size") })
        .collect();
        Ok(Some(ManifestRecord {
            digest: digest.to_string(),
            media_type: row.get("media_type"),
            body: row.get("body"),
            config_digest: row.get("config_digest"),
            layers,
        }))
    }

    async fn put_config(&self, config: &ConfigRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO configs (digest, size, body, fetched_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (digest) DO NOTHING",
        )
        .bind(&config.digest)
        .bind(config.body.len() as i64)
        .bind(&config.body)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn config(&self, digest: &str) -> StoreResult<Option<ConfigRecord>> {
        let row =
            sqlx::query("SELECT body FROM configs WHERE digest = ?1").bind(digest).fetch_optional(&self.pool).await?;
        Ok(row.map(|row| ConfigRecord { digest: digest.to_string(), body: row.get("body") }))
    }

    async fn record_tag(
        &self,
        repository: RepositoryId,
        tag: &str,
        digest: &str,
        seen_at: DateTime<Utc>,
    ) -> StoreResult<TagChange> {
        // The INSERT comes first so the transaction takes SQLite's write lock before it reads.
        let mut tx = self.pool.begin().await?;
        let created = sqlx::query(
            "INSERT INTO tags (repository_id, name, digest, first_seen, checked_at) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (repository_id, name) DO NOTHING RETURNING id",
        )
        .bind(repository.0)
        .bind(tag)
        .bind(digest)
        .bind(seen_at)
        .fetch_optional(&mut *tx)
        .await?;
        let change = if let Some(row) = created {
            insert_history(&mut tx, row.get("id"), digest, seen_at).await?;
            TagChange::Created
        } else {
            let row = sqlx::query("SELECT id, digest FROM tags WHERE repository_id = ?1 AND name = ?2")
                .bind(repository.0)
                .bind(tag)
                .fetch_one(&mut *tx)
                .await?;
            let tag_id: i64 = row.get("id");
            let current: String = row.get("digest");
            if current == digest {
                sqlx::query("UPDATE tags SET checked_at = ?1 WHERE id = ?2")
                    .bind(seen_at)
                    .bind(tag_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE tag_history SET last_seen = ?1 WHERE id = (SELECT MAX(id) FROM tag_history WHERE tag_id = ?2)",
                )
                .bind(seen_at)
                .bind(tag_id)
                .execute(&mut *tx)
                .await?;
                TagChange::Unchanged
            } else {
                sqlx::query("UPDATE tags SET digest = ?1, first_seen = ?2, checked_at = ?2 WHERE id = ?3")
                    .bind(digest)
                    .bind(seen_at)
                    .bind(tag_id)
                    .execute(&mut *tx)
                    .await?;
                insert_history(&mut tx, tag_id, digest, seen_at).await?;
                TagChange::Moved { from: current }
            }
        };
        tx.commit().await?;
        Ok(change)
    }

    async fn tag(&self, repository: RepositoryId, tag: &str) -> StoreResult<Option<TagRecord>> {
        let row = sqlx::query("SELECT digest, first_seen, checked_at FROM tags WHERE repository_id = ?1 AND name = ?2")
            .bind(repository.0)
            .bind(tag)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| TagRecord {
            repository,
            name: tag.to_string(),
            digest: row.get("digest"),
            first_seen: row.get("first_seen"),
            checked_at: row.get("checked_at"),
        }))
    }

    async fn tag_history(&self, repository: RepositoryId, tag: &str) -> StoreResult<Vec<TagHistoryEntry>> {
        let rows = sqlx::query(
            "SELECT h.digest, h.first_seen, h.last_seen FROM tag_history h JOIN tags t ON t.id = h.tag_id
             WHERE t.repository_id = ?1 AND t.name = ?2 ORDER BY h.id DESC",
        )
        .bind(repository.0)
        .bind(tag)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| TagHistoryEntry {
                digest: row.get("digest"),
                first_seen: row.get("first_seen"),
                last_seen: row.get("last_seen"),
            })
            .collect())
    }

    async fn counts(&self) -> StoreResult<Counts> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM repositories) AS repositories, (SELECT COUNT(*) FROM manifests) AS manifests,
                    (SELECT COUNT(*) FROM tags) AS tags",
        )
        .fetch_one(&self.pool)
        .await?;
        let count = |name: &str| row.get::<i64, _>(name).max(0) as u64;
        Ok(Counts { repositories: count("repositories"), manifests: count("manifests"), tags: count("tags") })
    }

    async fn put_image_chain(&self, chain: &ImageChain) -> StoreResult<()> {
        let Some(top) = chain.chain.last() else { return Ok(()) };
        // One round trip: both statements in one query (sqlx binds `?` across them in order). Both
        // are idempotent, so no transaction is needed: a crash between them is healed by the next call.
        let links: Vec<String> = (0..chain.chain.len()).map(|p| format!("(?, {p}, ?)")).collect();
        let sql = format!(
            "INSERT INTO image_chains (manifest_digest, top_chain, layer_count, created) VALUES (?, ?, ?, ?)
             ON CONFLICT (manifest_digest) DO NOTHING;
             INSERT INTO chain_links (manifest_digest, position, chain_id) VALUES {} ON CONFLICT DO NOTHING",
            links.join(", ")
        );
        let mut query =
            sqlx::query(&sql).bind(&chain.manifest_digest).bind(top).bind(chain.chain.len() as i64).bind(chain.created);
        for id in &chain.chain {
            query = query.bind(&chain.manifest_digest).bind(id);
        }
        query.execute(&self.pool).await?;
        Ok(())
    }

    async fn image_chain(&self, manifest_digest: &str) -> StoreResult<Option<ChainImage>> {
        let row = sqlx::query_as::<_, ChainRow>(
            "SELECT manifest_digest, top_chain, layer_count, created FROM image_chains WHERE manifest_digest = ?1",
        )
        .bind(manifest_digest)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(ChainImage::from))
    }

    async fn images_with_top_chain(&self, top_chains: &[String]) -> StoreResult<Vec<ChainImage>> {
        if top_chains.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = sqlx::QueryBuilder::new(
            "SELECT manifest_digest, top_chain, layer_count, created FROM image_chains WHERE top_chain IN (",
        );
        let mut list = query.separated(", ");
        for chain in top_chains {
            list.push_bind(chain);
        }
        query.push(")");
        Ok(query.build_query_as::<ChainRow>().fetch_all(&self.pool).await?.into_iter().map(ChainImage::from).collect())
    }

    async fn images_built_on(&self, chain_id: &str, layer_count: usize) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT i.manifest_digest FROM chain_links c JOIN image_chains i ON i.manifest_digest = c.manifest_digest
             WHERE c.chain_id = ?1 AND c.position = ?2 AND i.layer_count > ?3 ORDER BY i.manifest_digest",
        )
        .bind(chain_id)
        .bind(layer_count as i64 - 1)
        .bind(layer_count as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|row| row.get("manifest_digest")).collect())
    }

    async fn put_index_children(&self, index_digest: &str, children: &[String]) -> StoreResult<()> {
        if children.is_empty() {
            return Ok(());
        }
        let mut insert = sqlx::QueryBuilder::new("INSERT INTO index_children (index_digest, child_digest) ");
        insert.push_values(children, |mut row, child| {
            row.push_bind(index_digest).push_bind(child);
        });
        insert.push(" ON CONFLICT DO NOTHING");
        insert.build().execute(&self.pool).await?;
        Ok(())
    }

    async fn index_children(&self, index_digest: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT child_digest FROM index_children WHERE index_digest = ?1 ORDER BY child_digest")
            .bind(index_digest)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|row| row.get("child_digest")).collect())
    }

    async fn tags_naming(&self, manifest_digest: &str) -> StoreResult<Vec<TagNaming>> {
        let rows = sqlx::query_as::<_, NamingRow>(
            "SELECT r.id AS repository_id, r.registry, r.name AS repository, r.visibility, t.id AS tag_id,
                    t.name AS tag, t.digest AS current_digest, h.first_seen,
                    (SELECT MIN(n.first_seen) FROM tag_history n WHERE n.tag_id = h.tag_id AND n.id > h.id) AS moved_at
             FROM tag_history h JOIN tags t ON t.id = h.tag_id JOIN repositories r ON r.id = t.repository_id
             WHERE h.digest = ?1 OR h.digest IN (SELECT index_digest FROM index_children WHERE child_digest = ?1)
             ORDER BY h.id",
        )
        .bind(manifest_digest)
        .fetch_all(&self.pool)
        .await?;
        Ok(latest_naming(rows))
    }

    async fn raise_event(&self, event: &NewEvent) -> StoreResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO events (kind, repository_id, tag, digest, detail, dedupe_key, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(&event.kind)
        .bind(event.repository.0)
        .bind(&event.tag)
        .bind(&event.digest)
        .bind(event.detail.to_string())
        .bind(&event.dedupe_key)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    async fn events(&self, after: i64, limit: u32) -> StoreResult<Vec<EventRecord>> {
        let rows = sqlx::query_as::<_, EventRow>(
            "SELECT e.id, e.kind, r.registry, r.name AS repository, e.tag, e.digest, e.detail, e.created_at
             FROM events e JOIN repositories r ON r.id = e.repository_id WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
        )
        .bind(after)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(EventRecord::from).collect())
    }

    async fn tags_on(&self, repository: RepositoryId, digest: &str) -> StoreResult<Vec<String>> {
        let names = sqlx::query_scalar("SELECT name FROM tags WHERE repository_id = ?1 AND digest = ?2 ORDER BY name")
            .bind(repository.0)
            .bind(digest)
            .fetch_all(&self.pool)
            .await?;
        Ok(names)
    }

    async fn badge_token(&self, repository: RepositoryId) -> StoreResult<Option<String>> {
        let token = sqlx::query_scalar("SELECT token FROM badge_tokens WHERE repository_id = ?1")
            .bind(repository.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(token)
    }

    async fn set_badge_token(&self, repository: RepositoryId, token: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO badge_tokens (repository_id, token, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (repository_id) DO UPDATE SET token = excluded.token, created_at = excluded.created_at",
        )
        .bind(repository.0)
        .bind(token)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn put_advisories(&self, source: &str, advisories: &[AdvisoryRecord]) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let mut written = 0;
        for advisory in advisories {
            let changed = sqlx::query(
                "INSERT INTO advisories (id, modified, source, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET modified = excluded.modified, source = excluded.source, body = excluded.body
                 WHERE advisories.modified < excluded.modified",
            )
            .bind(&advisory.id)
            .bind(advisory.modified)
            .bind(source)
            .bind(&advisory.body)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                continue;
            }
            written += 1;
            sqlx::query("DELETE FROM advisory_packages WHERE advisory_id = ?1")
                .bind(&advisory.id)
                .execute(&mut *tx)
                .await?;
            for (ecosystem, name) in &advisory.packages {
                sqlx::query(
                    "INSERT INTO advisory_packages (advisory_id, ecosystem, name) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                )
                .bind(&advisory.id)
                .bind(ecosystem)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(written)
    }

    async fn advisories_for(&self, ecosystem: &str, names: &[String]) -> StoreResult<Vec<String>> {
        let bodies = sqlx::query_scalar(
            "SELECT a.body FROM advisories a WHERE a.id IN (SELECT p.advisory_id FROM advisory_packages p
             WHERE p.ecosystem = ?1 AND p.name IN (SELECT value FROM json_each(?2))) ORDER BY a.id",
        )
        .bind(ecosystem)
        .bind(serde_json::to_string(names).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        Ok(bodies)
    }

    async fn record_vulndb_source(&self, source: &VulnDbSource) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO vulndb_sources (source, records, newest_modified, imported_at, etag) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (source) DO UPDATE SET records = excluded.records, newest_modified = excluded.newest_modified,
             imported_at = excluded.imported_at, etag = excluded.etag",
        )
        .bind(&source.source)
        .bind(source.records)
        .bind(source.newest_modified)
        .bind(source.imported_at)
        .bind(&source.etag)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn vulndb_sources(&self) -> StoreResult<Vec<VulnDbSource>> {
        let sources = sqlx::query_as::<_, VulnDbSource>(
            "SELECT source, records, newest_modified, imported_at, etag FROM vulndb_sources ORDER BY source",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(sources)
    }

    async fn layer_analysis(&self, layer_digest: &str, analyser_version: i32) -> StoreResult<Option<Vec<u8>>> {
        let body =
            sqlx::query_scalar("SELECT body FROM layer_analyses WHERE layer_digest = ?1 AND analyser_version = ?2")
                .bind(layer_digest)
                .bind(analyser_version)
                .fetch_optional(&self.pool)
                .await?;
        Ok(body)
    }

    async fn put_layer_analysis(&self, layer_digest: &str, analyser_version: i32, body: &[u8]) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO layer_analyses (layer_digest, analyser_version, body, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (layer_digest, analyser_version) DO NOTHING",
        )
        .bind(layer_digest)
        .bind(analyser_version)
        .bind(body)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn put_scan_result(&self, manifest_digest: &str, report: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO scan_results (manifest_digest, report, scanned_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (manifest_digest) DO UPDATE SET report = excluded.report, scanned_at = excluded.scanned_at",
        )
        .bind(manifest_digest)
        .bind(report)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn scan_result(&self, manifest_digest: &str) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        let row = sqlx::query_as::<_, (String, DateTime<Utc>)>(
            "SELECT report, scanned_at FROM scan_results WHERE manifest_digest = ?1",
        )
        .bind(manifest_digest)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
    }

    async fn enqueue_job(&self, kind: &str, subject: &str, dedupe_key: &str) -> StoreResult<bool> {
        let now = Utc::now();
        let inserted = sqlx::query(
            "INSERT INTO jobs (kind, subject, dedupe_key, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'queued', ?4, ?4) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(kind)
        .bind(subject)
        .bind(dedupe_key)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    async fn claim_job(&self, kind: &str, lease: std::time::Duration) -> StoreResult<Option<Job>> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(15));
        let job = sqlx::query_as::<_, Job>(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?3, updated_at = ?2
             WHERE id = (SELECT id FROM jobs WHERE kind = ?1
                         AND (state = 'queued' OR (state = 'running' AND lease_until < ?2))
                         ORDER BY id LIMIT 1)
             RETURNING id, kind, subject, dedupe_key, state, attempts, progress_done, progress_total, error, updated_at",
        )
        .bind(kind)
        .bind(now)
        .bind(until)
        .fetch_optional(&self.pool)
        .await?;
        Ok(job)
    }

    async fn job_progress(&self, id: i64, done: i64, total: i64) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET progress_done = ?2, progress_total = ?3, updated_at = ?4 WHERE id = ?1")
            .bind(id)
            .bind(done)
            .bind(total)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn finish_job(&self, id: i64, error: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET state = ?2, error = ?3, lease_until = NULL, updated_at = ?4 WHERE id = ?1")
            .bind(id)
            .bind(if error.is_some() { "failed" } else { "done" })
            .bind(error)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn job(&self, dedupe_key: &str) -> StoreResult<Option<Job>> {
        let job = sqlx::query_as::<_, Job>("SELECT id, kind, subject, dedupe_key, state, attempts, progress_done, progress_total, error, updated_at FROM jobs WHERE dedupe_key = ?1")
            .bind(dedupe_key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(job)
    }

    async fn retry_job(&self, dedupe_key: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', error = NULL, progress_done = 0, updated_at = ?2
             WHERE dedupe_key = ?1 AND state IN ('failed', 'done')",
        )
        .bind(dedupe_key)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

async fn insert_history(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    tag_id: i64,
    digest: &str,
    seen_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO tag_history (tag_id, digest, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)")
        .bind(tag_id)
        .bind(digest)
        .bind(seen_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
