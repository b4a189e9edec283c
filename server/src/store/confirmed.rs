//! Content a repository's registry served: configs and layer blobs whose bytes were read from it
//! (and matched their digest). Stored content is shown or reused under a repository only when that
//! repository served it, or a public one did: a digest that someone else's manifest names proves
//! nothing, since it may be a private image's. What anonymous visitors may count lives here too.

use app::digest::Digest;
use chrono::Utc;

use super::db::on_pool;
use super::{ConfigRecord, Counts, RepositoryId, Store, StoreResult};

impl Store {
    /// The config, when `repository` served it or a public repository did (`None`: public ones only).
    pub async fn config_in(
        &self,
        digest: &Digest,
        repository: Option<RepositoryId>,
    ) -> StoreResult<Option<ConfigRecord>> {
        let sql = "SELECT c.body FROM configs c WHERE c.digest = $1 AND EXISTS (
                 SELECT 1 FROM repository_configs rc JOIN repositories r ON r.id = rc.repository_id
                 WHERE rc.config_digest = c.digest AND (rc.repository_id = $2 OR r.visibility = 'public'))";
        let body: Option<Vec<u8>> = on_pool!(&self.db, pool => sqlx::query_scalar(sql)
            .bind(digest.as_str())
            .bind(repository.map(|r| r.0))
            .fetch_optional(pool)
            .await?);
        Ok(body.map(|body| ConfigRecord { digest: digest.clone(), body }))
    }

    /// Stores the config (once) and records that `repository` served it.
    pub async fn put_config_in(&self, repository: RepositoryId, config: &ConfigRecord) -> StoreResult<()> {
        self.writing(async {
            let put = "INSERT INTO configs (digest, size, body, fetched_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (digest) DO NOTHING";
            let link = "INSERT INTO repository_configs (config_digest, repository_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING";
            on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await?;
                sqlx::query(put)
                    .bind(config.digest.as_str())
                    .bind(config.body.len() as i64)
                    .bind(&config.body)
                    .bind(Utc::now())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(link).bind(config.digest.as_str()).bind(repository.0).execute(&mut *tx).await?;
                tx.commit().await?;
            });
            Ok(())
        })
        .await
    }

    /// What an earlier pass of this analyser version kept of a layer, when the layer was read from
    /// `registry`/`name` or from a public repository.
    pub async fn layer_analysis_in(
        &self,
        layer: &Digest,
        analyser_version: i32,
        registry: &str,
        name: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        let sql = "SELECT la.body FROM layer_analyses la WHERE la.layer_digest = $1 AND la.analyser_version = $2
             AND EXISTS (SELECT 1 FROM repository_layers rl JOIN repositories r ON r.id = rl.repository_id
                 WHERE rl.layer_digest = la.layer_digest
                   AND ((r.registry = $3 AND r.name = $4) OR r.visibility = 'public'))";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql)
            .bind(layer.as_str())
            .bind(analyser_version)
            .bind(registry)
            .bind(name)
            .fetch_optional(pool)
            .await?))
    }

    /// Stores what a pass kept of a layer (once per analyser version) and records that
    /// `registry`/`name` served the layer (its stored row: the scan inspected it first).
    pub async fn put_layer_analysis_from(
        &self,
        layer: &Digest,
        analyser_version: i32,
        body: &[u8],
        registry: &str,
        name: &str,
    ) -> StoreResult<()> {
        self.writing(async {
            let put =
                "INSERT INTO layer_analyses (layer_digest, analyser_version, body, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (layer_digest, analyser_version) DO NOTHING";
            let link = "INSERT INTO repository_layers (layer_digest, repository_id)
                 SELECT $1, id FROM repositories WHERE registry = $2 AND name = $3 ON CONFLICT DO NOTHING";
            on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await?;
                sqlx::query(put)
                    .bind(layer.as_str())
                    .bind(analyser_version)
                    .bind(body)
                    .bind(Utc::now())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(link).bind(layer.as_str()).bind(registry).bind(name).execute(&mut *tx).await?;
                tx.commit().await?;
            });
            Ok(())
        })
        .await
    }

    /// What anonymous visitors may count: public repositories that hold something, the manifests
    /// they hold, their tags. Private repositories, and rows made for names that turned out not to
    /// exist, change none of these.
    pub async fn public_counts(&self) -> StoreResult<Counts> {
        let sql = "SELECT
             (SELECT COUNT(*) FROM repositories r WHERE r.visibility = 'public'
                AND EXISTS (SELECT 1 FROM repository_manifests rm WHERE rm.repository_id = r.id)),
             (SELECT COUNT(DISTINCT rm.manifest_digest) FROM repository_manifests rm
                JOIN repositories r ON r.id = rm.repository_id WHERE r.visibility = 'public'),
             (SELECT COUNT(*) FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.visibility = 'public')";
        let (repositories, manifests, tags): (i64, i64, i64) =
            on_pool!(&self.db, pool => sqlx::query_as(sql).fetch_one(pool).await?);
        let count = |n: i64| n.max(0) as u64;
        Ok(Counts { repositories: count(repositories), manifests: count(manifests), tags: count(tags) })
    }
}
