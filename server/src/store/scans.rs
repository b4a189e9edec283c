//! Scans: what a layer pass kept (per analyser version), and each platform image's scan report.

use app::digest::Digest;
use chrono::{DateTime, Utc};

use super::db::on_pool;
use super::{Store, StoreResult};

impl Store {
    /// What an earlier pass of this analyser version kept of a layer.
    pub async fn layer_analysis(&self, layer_digest: &Digest, analyser_version: i32) -> StoreResult<Option<Vec<u8>>> {
        let sql = "SELECT body FROM layer_analyses WHERE layer_digest = $1 AND analyser_version = $2";
        Ok(on_pool!(&self.db, pool => sqlx::query_scalar(sql)
            .bind(layer_digest.as_str())
            .bind(analyser_version)
            .fetch_optional(pool)
            .await?))
    }

    pub async fn put_layer_analysis(&self, layer: &Digest, analyser_version: i32, body: &[u8]) -> StoreResult<()> {
        self.writing(async {
            let sql = "INSERT INTO layer_analyses (layer_digest, analyser_version, body, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (layer_digest, analyser_version) DO NOTHING";
            on_pool!(&self.db, pool => sqlx::query(sql)
                .bind(layer.as_str())
                .bind(analyser_version)
                .bind(body)
                .bind(Utc::now())
                .execute(pool)
                .await.map(drop)?);
            Ok(())
        })
        .await
    }

    pub async fn put_scan_result(&self, manifest_digest: &Digest, report: &str) -> StoreResult<()> {
        self.writing(async {
            let sql = "INSERT INTO scan_results (manifest_digest, report, scanned_at) VALUES ($1, $2, $3)
                 ON CONFLICT (manifest_digest) DO UPDATE SET report = excluded.report, scanned_at = excluded.scanned_at";
            on_pool!(&self.db, pool => sqlx::query(sql)
                .bind(manifest_digest.as_str())
                .bind(report)
                .bind(Utc::now())
                .execute(pool)
                .await.map(drop)?);
            Ok(())
        })
        .await
    }

    /// Replaces a stored report's findings (matched again) without changing when it was scanned.
    pub async fn replace_scan_report(&self, manifest_digest: &Digest, report: &str) -> StoreResult<()> {
        self.writing(async {
            let sql = "UPDATE scan_results SET report = $2 WHERE manifest_digest = $1";
            on_pool!(&self.db, pool => sqlx::query(sql)
                .bind(manifest_digest.as_str())
                .bind(report)
                .execute(pool)
                .await.map(drop)?);
            Ok(())
        })
        .await
    }

    /// The stored scan report (JSON) and when it was made.
    pub async fn scan_result(&self, manifest_digest: &Digest) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        let sql = "SELECT report, scanned_at FROM scan_results WHERE manifest_digest = $1";
        Ok(on_pool!(&self.db, pool => sqlx::query_as(sql).bind(manifest_digest.as_str()).fetch_optional(pool).await?))
    }

    /// Every scanned image's digest, in order, a page at a time (after `after`; from the first
    /// without).
    pub async fn scanned_digests(&self, after: Option<&Digest>, limit: u32) -> StoreResult<Vec<Digest>> {
        let sql = "SELECT manifest_digest FROM scan_results WHERE manifest_digest > $1 ORDER BY manifest_digest LIMIT $2";
        let digests: Vec<String> = on_pool!(&self.db, pool => sqlx::query_scalar(sql)
            .bind(after.map_or("", Digest::as_str))
            .bind(limit as i64)
            .fetch_all(pool)
            .await?);
        Ok(digests.iter().map(|d| Digest::parse(d)).collect::<Result<_, _>>()?)
    }
}
