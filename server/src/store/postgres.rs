//! The multi-instance deployment: several `shipshape serve` replicas on one PostgreSQL database.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};

use super::*;

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn open(url: &str, max_connections: u32) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        // Replicas starting together: sqlx serialises migrations with an advisory lock.
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn backend_name(&self) -> &'static str {
        "PostgreSQL"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn upsert_repository(&self, registry: &str, name: &str, visibility: Visibility) -> StoreResult<Repository> {
        // Once a repository needed credentials it stays private.
        let row = sqlx::query(
            "INSERT INTO repositories (registry, name, visibility, created_at) VALUES ($1, $2, $3, $4)
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
        let row = sqlx::query("SELECT id, visibility FROM repositories WHERE registry = $1 AND name = $2")
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
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO manifests (digest, media_type, size, body, config_digest, fetched_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (digest) DO NOTHING",
        )
        .bind(&manifest.digest)
        .bind(&manifest.media_type)
        .bind(manifest.body.len() as i64)
        .bind(&manifest.body)
        .bind(&manifest.config_digest)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            for (position, layer) in manifest.layers.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO layers (digest, media_type, size) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING",
                )
                .bind(&layer.digest)
                .bind(&layer.media_type)
                .bind(layer.size)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO manifest_layers (manifest_digest, position, layer_digest) VALUES ($1, $2, $3)",
                )
                .bind(&manifest.digest)
                .bind(position as i32)
                .bind(&layer.digest)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query(
            "INSERT INTO repository_manifests (repository_id, manifest_digest) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(repository.0)
        .bind(&manifest.digest)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn repository_has_manifest(&self, repository: RepositoryId, digest: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 FROM repository_manifests WHERE repository_id = $1 AND manifest_digest = $2")
            .bind(repository.0)
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn manifest(&self, digest: &str) -> StoreResult<Option<ManifestRecord>> {
        let Some(row) = sqlx::query("SELECT media_type, body, config_digest FROM manifests WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let layers = sqlx::query(
            "SELECT l.digest, l.media_type, l.size FROM manifest_layers ml JOIN layers l ON l.digest = ml.layer_digest
             WHERE ml.manifest_digest = $1 ORDER BY ml.position",
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
            "INSERT INTO configs (digest, size, body, fetched_at) VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING",
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
            sqlx::query("SELECT body FROM configs WHERE digest = $1").bind(digest).fetch_optional(&self.pool).await?;
        Ok(row.map(|row| ConfigRecord { digest: digest.to_string(), body: row.get("body") }))
    }

    async fn record_tag(
        &self,
        repository: RepositoryId,
        tag: &str,
        digest: &str,
        seen_at: DateTime<Utc>,
    ) -> StoreResult<TagChange> {
        // Insert-or-lock: two replicas recording the same tag at once serialise on the row.
        let mut tx = self.pool.begin().await?;
        let created = sqlx::query(
            "INSERT INTO tags (repository_id, name, digest, first_seen, checked_at) VALUES ($1, $2, $3, $4, $4)
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
            let row = sqlx::query("SELECT id, digest FROM tags WHERE repository_id = $1 AND name = $2 FOR UPDATE")
                .bind(repository.0)
                .bind(tag)
                .fetch_one(&mut *tx)
                .await?;
            let tag_id: i64 = row.get("id");
            let current: String = row.get("digest");
            if current == digest {
                sqlx::query("UPDATE tags SET checked_at = $1 WHERE id = $2")
                    .bind(seen_at)
                    .bind(tag_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE tag_history SET last_seen = $1 WHERE id = (SELECT MAX(id) FROM tag_history WHERE tag_id = $2)",
                )
                .bind(seen_at)
                .bind(tag_id)
                .execute(&mut *tx)
                .await?;
                TagChange::Unchanged
            } else {
                sqlx::query("UPDATE tags SET digest = $1, first_seen = $2, checked_at = $2 WHERE id = $3")
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
        let row = sqlx::query("SELECT digest, first_seen, checked_at FROM tags WHERE repository_id = $1 AND name = $2")
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
             WHERE t.repository_id = $1 AND t.name = $2 ORDER BY h.id DESC",
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
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO image_chains (manifest_digest, top_chain, layer_count, created) VALUES ($1, $2, $3, $4)
             ON CONFLICT (manifest_digest) DO NOTHING",
        )
        .bind(&chain.manifest_digest)
        .bind(top)
        .bind(chain.chain.len() as i64)
        .bind(chain.created)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            let positions: Vec<i64> = (0..chain.chain.len() as i64).collect();
            sqlx::query(
                "INSERT INTO chain_links (manifest_digest, position, chain_id)
                 SELECT $1, position, chain_id FROM UNNEST($2::BIGINT[], $3::TEXT[]) AS links (position, chain_id)",
            )
            .bind(&chain.manifest_digest)
            .bind(&positions)
            .bind(&chain.chain)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn image_chain(&self, manifest_digest: &str) -> StoreResult<Option<ChainImage>> {
        let row = sqlx::query_as::<_, ChainRow>(
            "SELECT manifest_digest, top_chain, layer_count, created FROM image_chains WHERE manifest_digest = $1",
        )
        .bind(manifest_digest)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(ChainImage::from))
    }

    async fn images_with_top_chain(&self, top_chains: &[String]) -> StoreResult<Vec<ChainImage>> {
        let rows = sqlx::query_as::<_, ChainRow>(
            "SELECT manifest_digest, top_chain, layer_count, created FROM image_chains WHERE top_chain = ANY($1)",
        )
        .bind(top_chains)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ChainImage::from).collect())
    }

    async fn images_built_on(&self, chain_id: &str, layer_count: usize) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT i.manifest_digest FROM chain_links c JOIN image_chains i ON i.manifest_digest = c.manifest_digest
             WHERE c.chain_id = $1 AND c.position = $2 AND i.layer_count > $3 ORDER BY i.manifest_digest",
        )
        .bind(chain_id)
        .bind(layer_count as i64 - 1)
        .bind(layer_count as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|row| row.get("manifest_digest")).collect())
    }

    async fn put_index_children(&self, index_digest: &str, children: &[String]) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO index_children (index_digest, child_digest) SELECT $1, UNNEST($2::TEXT[]) ON CONFLICT DO NOTHING",
        )
        .bind(index_digest)
        .bind(children)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn index_children(&self, index_digest: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT child_digest FROM index_children WHERE index_digest = $1 ORDER BY child_digest")
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
             WHERE h.digest = $1 OR h.digest IN (SELECT index_digest FROM index_children WHERE child_digest = $1)
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
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING",
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
             FROM events e JOIN repositories r ON r.id = e.repository_id WHERE e.id > $1 ORDER BY e.id LIMIT $2",
        )
        .bind(after)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(EventRecord::from).collect())
    }

    async fn tags_on(&self, repository: RepositoryId, digest: &str) -> StoreResult<Vec<String>> {
        let names = sqlx::query_scalar("SELECT name FROM tags WHERE repository_id = $1 AND digest = $2 ORDER BY name")
            .bind(repository.0)
            .bind(digest)
            .fetch_all(&self.pool)
            .await?;
        Ok(names)
    }

    async fn badge_token(&self, repository: RepositoryId) -> StoreResult<Option<String>> {
        let token = sqlx::query_scalar("SELECT token FROM badge_tokens WHERE repository_id = $1")
            .bind(repository.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(token)
    }

    async fn set_badge_token(&self, repository: RepositoryId, token: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO badge_tokens (repository_id, token, created_at) VALUES ($1, $2, $3)
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
                "INSERT INTO advisories (id, modified, source, body) VALUES ($1, $2, $3, $4)
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
            sqlx::query("DELETE FROM advisory_packages WHERE advisory_id = $1")
                .bind(&advisory.id)
                .execute(&mut *tx)
                .await?;
            for (ecosystem, name) in &advisory.packages {
                sqlx::query(
                    "INSERT INTO advisory_packages (advisory_id, ecosystem, name) VALUES ($1, $2, $3)
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
             WHERE p.ecosystem = $1 AND p.name = ANY($2)) ORDER BY a.id",
        )
        .bind(ecosystem)
        .bind(names)
        .fetch_all(&self.pool)
        .await?;
        Ok(bodies)
    }

    async fn record_vulndb_source(&self, source: &VulnDbSource) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO vulndb_sources (source, records, newest_modified, imported_at, etag) VALUES ($1, $2, $3, $4, $5)
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
            sqlx::query_scalar("SELECT body FROM layer_analyses WHERE layer_digest = $1 AND analyser_version = $2")
                .bind(layer_digest)
                .bind(analyser_version)
                .fetch_optional(&self.pool)
                .await?;
        Ok(body)
    }

    async fn put_layer_analysis(&self, layer_digest: &str, analyser_version: i32, body: &[u8]) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO layer_analyses (layer_digest, analyser_version, body, created_at) VALUES ($1, $2, $3, $4)
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
            "INSERT INTO scan_results (manifest_digest, report, scanned_at) VALUES ($1, $2, $3)
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
            "SELECT report, scanned_at FROM scan_results WHERE manifest_digest = $1",
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
             VALUES ($1, $2, $3, 'queued', $4, $4) ON CONFLICT (dedupe_key) DO NOTHING",
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
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $3, updated_at = $2
             WHERE id = (SELECT id FROM jobs WHERE kind = $1
                         AND (state = 'queued' OR (state = 'running' AND lease_until < $2))
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
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
        sqlx::query("UPDATE jobs SET progress_done = $2, progress_total = $3, updated_at = $4 WHERE id = $1")
            .bind(id)
            .bind(done)
            .bind(total)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn finish_job(&self, id: i64, error: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET state = $2, error = $3, lease_until = NULL, updated_at = $4 WHERE id = $1")
            .bind(id)
            .bind(if error.is_some() { "failed" } else { "done" })
            .bind(error)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn job(&self, dedupe_key: &str) -> StoreResult<Option<Job>> {
        let job = sqlx::query_as::<_, Job>("SELECT id, kind, subject, dedupe_key, state, attempts, progress_done, progress_total, error, updated_at FROM jobs WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(job)
    }

    async fn retry_job(&self, dedupe_key: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', error = NULL, progress_done = 0, updated_at = $2
             WHERE dedupe_key = $1 AND state IN ('failed', 'done')",
        )
        .bind(dedupe_key)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

async fn insert_history(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    tag_id: i64,
    digest: &str,
    seen_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO tag_history (tag_id, digest, first_seen, last_seen) VALUES ($1, $2, $3, $3)")
        .bind(tag_id)
        .bind(digest)
        .bind(seen_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
