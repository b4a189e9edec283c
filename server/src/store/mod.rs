//! Persistence: one [`Store`] over SQLite (the embedded default) or PostgreSQL (several replicas on
//! one database). Queries are runtime sqlx, grouped by area; SQL both dialects accept is written
//! once (`db::on_pool!`), and only upserts of many rows, list parameters and row locking differ.

mod accounts;
mod advisories;
mod confirmed;
mod credentials;
mod db;
mod events;
mod images;
mod jobs;
mod lineage;
mod notifications;
mod scans;
mod tags;
mod url;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use app::digest::DigestError;

pub use accounts::{ApiTokenRecord, NewUser, SessionRecord, UserId, UserInsert, UserRecord};
pub use advisories::{AdvisoryRecord, VulnDbSource};
pub use credentials::{SealedCredential, SealedOwner, SealedRow, StoredCredential};
pub use events::{EVENT_JOB, EventRecord, NewEvent};
pub use images::{ConfigRecord, Counts, LayerRecord, ManifestRecord, Repository, RepositoryId, Visibility, VisibleTo};
pub use jobs::{Job, JobOutcome, JobState, NewJob};
pub use lineage::{ChainImage, ImageChain, TagNaming};
pub use notifications::{
    AttemptRecord, Attempted, Capped, ChannelRecord, DeliveryRecord, NewChannel, NewDelivery, NewWatch, WatchRecord,
};
pub use tags::{TagChange, TagHistoryEntry, TagRecord};
pub use url::{DatabaseUrl, Secret};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not create the database directory {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    /// Digests are validated before they are written: a row that holds another was not written here.
    #[error("the database holds a malformed digest: {0}")]
    Digest(#[from] DigestError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The database, whichever backend the configured URL names.
pub struct Store {
    db: db::Db,
    /// Bumped by every write through this store: answers kept in memory (pages) from before a
    /// change in this process are not served again. Other processes' writes are seen by TTL.
    changes: AtomicU64,
}

pub type SharedStore = Arc<Store>;

impl Store {
    /// "SQLite" or "PostgreSQL", for people reading status pages.
    pub fn backend_name(&self) -> &'static str {
        match self.db {
            db::Db::Sqlite(_) => "SQLite",
            db::Db::Postgres(_) => "PostgreSQL",
        }
    }

    /// How many writes this process has made: a generation for in-memory caches.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// Runs a write and counts it once it is over (committed or not): an answer computed while it
    /// ran may have read the old data, and is kept under the generation before it.
    async fn writing<T>(&self, write: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let result = write.await;
        self.changed();
        result
    }

    pub async fn ping(&self) -> StoreResult<()> {
        db::on_pool!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop)?);
        Ok(())
    }
}

/// Opens (creating if needed) and migrates the database the URL names, pooled for the server.
pub async fn open(url: &DatabaseUrl) -> StoreResult<SharedStore> {
    open_with(url, 8, 16).await
}

/// The same for a one-shot command. One SQLite connection: each further one would cost a thread,
/// an open and a parse of the schema, more than its queries take; SQLite serialises writers anyway.
pub async fn open_for_command(url: &DatabaseUrl) -> StoreResult<SharedStore> {
    open_with(url, 1, 4).await
}

async fn open_with(url: &DatabaseUrl, sqlite_connections: u32, postgres_connections: u32) -> StoreResult<SharedStore> {
    let db = match url {
        DatabaseUrl::Sqlite(path) => db::open_sqlite(path, sqlite_connections).await?,
        DatabaseUrl::Postgres(url) => db::open_postgres(url.expose(), postgres_connections).await?,
    };
    Ok(Arc::new(Store { db, changes: AtomicU64::new(0) }))
}
