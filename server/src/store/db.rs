//! The two backends behind one [`Store`](super::Store): SQLite (one file, the embedded default) and
//! PostgreSQL (several replicas on one database). Both pools take `$1`-style placeholders, so SQL the
//! dialects agree on is written once and run through [`on_pool!`].

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};

use super::{StoreError, StoreResult};

pub(super) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    pub(super) fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }
}

/// Runs `$body` with `$pool` bound to the store's pool, whichever backend it is: the body is
/// written once and compiled for each.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::db::Db::Sqlite($pool) => $body,
            $crate::store::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(super) use on_pool;

pub(super) async fn open_sqlite(path: &Path, max_connections: u32) -> StoreResult<Db> {
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
    Ok(Db::Sqlite(pool))
}

pub(super) async fn open_postgres(url: &str, max_connections: u32) -> StoreResult<Db> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    // Replicas starting together: sqlx serialises migrations with an advisory lock.
    sqlx::migrate!("../migrations/postgres").run(&pool).await?;
    Ok(Db::Postgres(pool))
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
