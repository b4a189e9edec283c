//! Advisories (OSV JSON), the packages each names, and what each import source last brought.

use chrono::{DateTime, Utc};

use super::db::{Db, on_pool};
use super::{Store, StoreResult};

/// One OSV advisory as stored: its JSON, and the (ecosystem, package) pairs it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvisoryRecord {
    pub id: String,
    pub modified: DateTime<Utc>,
    pub body: String,
    pub packages: Vec<(String, String)>,
}

/// What one import source last brought.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct VulnDbSource {
    pub source: String,
    pub records: i64,
    pub newest_modified: Option<DateTime<Utc>>,
    pub imported_at: DateTime<Utc>,
    /// The feed's HTTP ETag when it was downloaded (`vulndb sync`).
    pub etag: Option<String>,
}

const UPSERT_ADVISORY: &str = "INSERT INTO advisories (id, modified, source, body) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET modified = excluded.modified, source = excluded.source, body = excluded.body
     WHERE advisories.modified < excluded.modified";
const CLEAR_PACKAGES: &str = "DELETE FROM advisory_packages WHERE advisory_id = $1";
const INSERT_PACKAGE: &str =
    "INSERT INTO advisory_packages (advisory_id, ecosystem, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

impl Store {
    /// Stores each advisory unless the stored one is as new (`modified`); returns how many were written.
    pub async fn put_advisories(&self, source: &str, advisories: &[AdvisoryRecord]) -> StoreResult<u64> {
        self.writing(async {
            on_pool!(&self.db, pool => {
                let mut tx = pool.begin().await?;
                let mut written = 0;
                for advisory in advisories {
                    let changed = sqlx::query(UPSERT_ADVISORY)
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
                    sqlx::query(CLEAR_PACKAGES).bind(&advisory.id).execute(&mut *tx).await?;
                    for (ecosystem, name) in &advisory.packages {
                        sqlx::query(INSERT_PACKAGE).bind(&advisory.id).bind(ecosystem).bind(name).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(written)
            })
        })
        .await
    }

    /// The OSV JSON of every advisory naming one of `names` in `ecosystem` (`Debian:12`).
    pub async fn advisories_for(&self, ecosystem: &str, names: &[String]) -> StoreResult<Vec<String>> {
        let sql = "SELECT a.body FROM advisories a WHERE a.id IN (SELECT p.advisory_id FROM advisory_packages p
             WHERE p.ecosystem = $1 AND p.name {names}) ORDER BY a.id";
        // A list parameter: a JSON array on SQLite, an array on PostgreSQL.
        Ok(match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_scalar(&sql.replace("{names}", "IN (SELECT value FROM json_each($2))"))
                    .bind(ecosystem)
                    .bind(serde_json::to_string(names).unwrap_or_default())
                    .fetch_all(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar(&sql.replace("{names}", "= ANY($2)")).bind(ecosystem).bind(names).fetch_all(pool).await?
            }
        })
    }

    pub async fn record_vulndb_source(&self, source: &VulnDbSource) -> StoreResult<()> {
        self.writing(async {
            let sql = "INSERT INTO vulndb_sources (source, records, newest_modified, imported_at, etag) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (source) DO UPDATE SET records = excluded.records, newest_modified = excluded.newest_modified,
                 imported_at = excluded.imported_at, etag = excluded.etag";
            on_pool!(&self.db, pool => sqlx::query(sql)
                .bind(&source.source)
                .bind(source.records)
                .bind(source.newest_modified)
                .bind(source.imported_at)
                .bind(&source.etag)
                .execute(pool)
                .await.map(drop)?);
            Ok(())
        })
        .await
    }

    pub async fn vulndb_sources(&self) -> StoreResult<Vec<VulnDbSource>> {
        let sql = "SELECT source, records, newest_modified, imported_at, etag FROM vulndb_sources ORDER BY source";
        Ok(on_pool!(&self.db, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }
}
