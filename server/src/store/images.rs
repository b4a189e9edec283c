//! Repositories and the content they hold: manifests (bytes kept), configs, layers; badge tokens.

use app::digest::Digest;
use chrono::Utc;
use sqlx::Row;

use super::db::{Db, on_pool};
use super::{Store, StoreResult, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepositoryId(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    pub(super) fn parse(s: &str) -> Self {
        if s == "private" { Visibility::Private } else { Visibility::Public }
    }
}

/// Which repositories a query may return, as a viewer's visibility becomes one SQL condition
/// ([`VisibleTo::condition`]): lists are filtered where they are made, never after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisibleTo {
    /// Every repository: the operator, administrators, the background jobs.
    All,
    /// Public repositories only: anonymous visitors.
    Public,
    /// Public ones and this one (a badge token's).
    Repository(RepositoryId),
    /// Public ones and the private ones this user's own credentials read (a grant).
    User(UserId),
}

impl VisibleTo {
    /// The condition on repository alias `r`, taking parameters `$n`, `$n+1`, `$n+2`: bind them
    /// with [`VisibleTo::params`], in that order.
    pub(super) fn condition(r: &str, n: usize) -> String {
        format!(
            "({r}.visibility = 'public' OR ${n} OR {r}.id = ${} OR EXISTS (SELECT 1 FROM repository_grants g
               WHERE g.repository_id = {r}.id AND g.user_id = ${}))",
            n + 1,
            n + 2
        )
    }

    /// Everything, this repository, this user: unused ones bound as false and NULL.
    pub(super) fn params(self) -> (bool, Option<i64>, Option<i64>) {
        match self {
            VisibleTo::All => (true, None, None),
            VisibleTo::Public => (false, None, None),
            VisibleTo::Repository(id) => (false, Some(id.0), None),
            VisibleTo::User(id) => (false, None, Some(id.0)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    pub id: RepositoryId,
    pub registry: String,
    pub name: String,
    pub visibility: Visibility,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerRecord {
    pub digest: Digest,
    pub media_type: String,
    pub size: i64,
}

/// A manifest exactly as the registry served it (bytes kept, so its digest stays checkable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestRecord {
    pub digest: Digest,
    pub media_type: String,
    pub body: Vec<u8>,
    pub config_digest: Option<Digest>,
    pub layers: Vec<LayerRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRecord {
    pub digest: Digest,
    pub body: Vec<u8>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub repositories: u64,
    pub manifests: u64,
    pub tags: u64,
}

impl Store {
    pub async fn upsert_repository(&self, registry: &str, name: &str, visibility: Visibility) -> StoreResult<Repository> {
        self.writing(async {
            // Once a repository needed credentials it stays private.
            let sql = "INSERT INTO repositories (registry, name, visibility, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (registry, name) DO UPDATE SET visibility =
                   CASE WHEN repositories.visibility = 'private' THEN 'private' ELSE excluded.visibility END
                 RETURNING id, visibility";
            let (id, visibility): (i64, String) = on_pool!(&self.db, pool => sqlx::query_as(sql)
                .bind(registry)
                .bind(name)
                .bind(visibility.as_str())
                .bind(Utc::now())
                .fetch_one(pool)
                .await?);
            Ok(Repository {
                id: RepositoryId(id),
                registry: registry.to_string(),
                name: name.to_string(),
                visibility: Visibility::parse(&visibility),
            })
        })
        .await
    }

    pub async fn repository(&self, registry: &str, name: &str) -> StoreResult<Option<Repository>> {
        let sql = "SELECT id, visibility FROM repositories WHERE registry = $1 AND name = $2";
        let row: Option<(i64, String)> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).bind(registry).bind(name).fetch_optional(pool).await?);
        Ok(row.map(|(id, visibility)| Repository {
            id: RepositoryId(id),
            registry: registry.to_string(),
            name: name.to_string(),
            visibility: Visibility::parse(&visibility),
        }))
    }

    /// Stores a manifest and its layer list once; storing the same digest again is a no-op, but
    /// links it to `repository` (where it may have been first seen under another name).
    pub async fn put_manifest(&self, repository: RepositoryId, manifest: &ManifestRecord) -> StoreResult<()> {
        self.writing(async {
            match &self.db {
                Db::Sqlite(pool) => {
                    sqlite_put_manifest(pool, repository, manifest).await?;
                }
                Db::Postgres(pool) => {
                    let mut tx = pool.begin().await?;
                    let top = "INSERT INTO manifests (digest, media_type, size, body, config_digest, fetched_at)
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (digest) DO NOTHING";
                    sqlx::query(top)
                        .bind(manifest.digest.as_str())
                        .bind(&manifest.media_type)
                        .bind(manifest.body.len() as i64)
                        .bind(&manifest.body)
                        .bind(manifest.config_digest.as_ref().map(Digest::as_str))
                        .bind(Utc::now())
                        .execute(&mut *tx)
                        .await?;
                    let layers = "INSERT INTO layers (digest, media_type, size)
                         SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[]) ON CONFLICT (digest) DO NOTHING";
                    let digests: Vec<&str> = manifest.layers.iter().map(|l| l.digest.as_str()).collect();
                    let types: Vec<&str> = manifest.layers.iter().map(|l| l.media_type.as_str()).collect();
                    let sizes: Vec<i64> = manifest.layers.iter().map(|l| l.size).collect();
                    sqlx::query(layers).bind(&digests).bind(&types).bind(&sizes).execute(&mut *tx).await?;
                    let links = "INSERT INTO manifest_layers (manifest_digest, position, layer_digest)
                         SELECT $1, position - 1, layer_digest FROM UNNEST($2::TEXT[]) WITH ORDINALITY AS l (layer_digest, position)
                         ON CONFLICT DO NOTHING";
                    sqlx::query(links).bind(manifest.digest.as_str()).bind(&digests).execute(&mut *tx).await?;
                    let link = "INSERT INTO repository_manifests (repository_id, manifest_digest) VALUES ($1, $2) ON CONFLICT DO NOTHING";
                    sqlx::query(link).bind(repository.0).bind(manifest.digest.as_str()).execute(&mut *tx).await?;
                    tx.commit().await?;
                }
            }
            Ok(())
        })
        .await
    }

    pub async fn manifest(&self, digest: &Digest) -> StoreResult<Option<ManifestRecord>> {
        let top = "SELECT media_type, body, config_digest FROM manifests WHERE digest = $1";
        let layers = "SELECT l.digest, l.media_type, l.size FROM manifest_layers ml JOIN layers l ON l.digest = ml.layer_digest
             WHERE ml.manifest_digest = $1 ORDER BY ml.position";
        on_pool!(&self.db, pool => {
            let Some(row) = sqlx::query(top).bind(digest.as_str()).fetch_optional(pool).await? else { return Ok(None) };
            let layers: Vec<(String, String, i64)> =
                sqlx::query_as(layers).bind(digest.as_str()).fetch_all(pool).await?;
            let config_digest: Option<String> = row.get("config_digest");
            let layer = |(digest, media_type, size): (String, String, i64)| {
                Ok(LayerRecord { digest: Digest::parse(&digest)?, media_type, size })
            };
            Ok(Some(ManifestRecord {
                digest: digest.clone(),
                media_type: row.get("media_type"),
                body: row.get("body"),
                config_digest: config_digest.as_deref().map(Digest::parse).transpose()?,
                layers: layers.into_iter().map(layer).collect::<StoreResult<_>>()?,
            }))
        })
    }

    /// The repository `registry`/`name`, only when `visible` may see it: one a viewer may not see
    /// reads as one never stored.
    pub async fn visible_repository(
        &self,
        registry: &str,
        name: &str,
        visible: VisibleTo,
    ) -> StoreResult<Option<Repository>> {
        let sql = format!(
            "SELECT r.id, r.visibility FROM repositories r WHERE r.registry = $1 AND r.name = $2 AND {}",
            VisibleTo::condition("r", 3)
        );
        let (all, repository, user) = visible.params();
        let row: Option<(i64, String)> = on_pool!(&self.db, pool => sqlx::query_as(&sql)
            .bind(registry).bind(name).bind(all).bind(repository).bind(user)
            .fetch_optional(pool).await?);
        Ok(row.map(|(id, visibility)| Repository {
            id: RepositoryId(id),
            registry: registry.to_string(),
            name: name.to_string(),
            visibility: Visibility::parse(&visibility),
        }))
    }

    /// Whether the manifest was seen in this repository (not only in another, maybe private, one).
    pub async fn repository_has_manifest(&self, repository: RepositoryId, digest: &Digest) -> StoreResult<bool> {
        let sql = "SELECT 1 FROM repository_manifests WHERE repository_id = $1 AND manifest_digest = $2";
        let row: Option<(i32,)> = on_pool!(&self.db, pool => sqlx::query_as(sql)
            .bind(repository.0)
            .bind(digest.as_str())
            .fetch_optional(pool)
            .await?);
        Ok(row.is_some())
    }

    pub async fn put_config(&self, config: &ConfigRecord) -> StoreResult<()> {
        self.writing(async {
            let sql = "INSERT INTO configs (digest, size, body, fetched_at) VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING";
            on_pool!(&self.db, pool => sqlx::query(sql)
                .bind(config.digest.as_str())
                .bind(config.body.len() as i64)
                .bind(&config.body)
                .bind(Utc::now())
                .execute(pool)
                .await.map(drop)?);
            Ok(())
        })
        .await
    }

    pub async fn config(&self, digest: &Digest) -> StoreResult<Option<ConfigRecord>> {
        let sql = "SELECT body FROM configs WHERE digest = $1";
        let body: Option<Vec<u8>> =
            on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(digest.as_str()).fetch_optional(pool).await?);
        Ok(body.map(|body| ConfigRecord { digest: digest.clone(), body }))
    }

    pub async fn counts(&self) -> StoreResult<Counts> {
        let sql = "SELECT (SELECT COUNT(*) FROM repositories), (SELECT COUNT(*) FROM manifests), (SELECT COUNT(*) FROM tags)";
        let (repositories, manifests, tags): (i64, i64, i64) =
            on_pool!(&self.db, pool => sqlx::query_as(sql).fetch_one(pool).await?);
        let count = |n: i64| n.max(0) as u64;
        Ok(Counts { repositories: count(repositories), manifests: count(manifests), tags: count(tags) })
    }

    pub async fn badge_token(&self, repository: RepositoryId) -> StoreResult<Option<String>> {
        let sql = "SELECT token FROM badge_tokens WHERE repository_id = $1";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(repository.0).fetch_optional(pool).await?))
    }

    /// When the repository's badge token was made, if it has one.
    pub async fn badge_token_created(
        &self,
        repository: RepositoryId,
    ) -> StoreResult<Option<chrono::DateTime<Utc>>> {
        let sql = "SELECT created_at FROM badge_tokens WHERE repository_id = $1";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(repository.0).fetch_optional(pool).await?))
    }

    /// Sets (or replaces) the repository's badge token.
    pub async fn set_badge_token(&self, repository: RepositoryId, token: &str) -> StoreResult<()> {
        self.writing(async {
            let sql = "INSERT INTO badge_tokens (repository_id, token, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (repository_id) DO UPDATE SET token = excluded.token, created_at = excluded.created_at";
            on_pool!(&self.db, pool => sqlx::query(sql).bind(repository.0).bind(token).bind(Utc::now()).execute(pool).await.map(drop)?);
            Ok(())
        })
        .await
    }
}

/// SQLite's `put_manifest`: one multi-statement query (each statement idempotent), since a round
/// trip to the connection's thread per statement would cost more than the inserts. sqlx binds `?`
/// placeholders across the statements in order of appearance.
async fn sqlite_put_manifest(
    pool: &sqlx::SqlitePool,
    repository: RepositoryId,
    manifest: &ManifestRecord,
) -> StoreResult<()> {
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
    sql.push_str("INSERT INTO repository_manifests (repository_id, manifest_digest) VALUES (?, ?) ON CONFLICT DO NOTHING");
    let mut query = sqlx::query(&sql)
        .bind(manifest.digest.as_str())
        .bind(&manifest.media_type)
        .bind(manifest.body.len() as i64)
        .bind(&manifest.body)
        .bind(manifest.config_digest.as_ref().map(Digest::as_str))
        .bind(Utc::now());
    for layer in &manifest.layers {
        query = query.bind(layer.digest.as_str()).bind(&layer.media_type).bind(layer.size);
    }
    for layer in &manifest.layers {
        query = query.bind(manifest.digest.as_str()).bind(layer.digest.as_str());
    }
    let mut tx = pool.begin().await?;
    query.bind(repository.0).bind(manifest.digest.as_str()).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
