//! Persistence: one `Store` trait, implemented for SQLite (the embedded default) and PostgreSQL
//! (several replicas on one database). Queries are runtime sqlx, kept together per backend.

mod postgres;
mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::DatabaseUrl;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not create the database directory {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepositoryId(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "private" { Visibility::Private } else { Visibility::Public }
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
    pub digest: String,
    pub media_type: String,
    pub size: i64,
}

/// A manifest exactly as the registry served it (bytes kept, so its digest stays checkable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestRecord {
    pub digest: String,
    pub media_type: String,
    pub body: Vec<u8>,
    pub config_digest: Option<String>,
    pub layers: Vec<LayerRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRecord {
    pub digest: String,
    pub body: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagRecord {
    pub repository: RepositoryId,
    pub name: String,
    pub digest: String,
    pub first_seen: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagHistoryEntry {
    pub digest: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// A platform image's layer stack in the lineage index: `chain[i]` is the chain ID of layers 0..=i.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageChain {
    pub manifest_digest: String,
    pub chain: Vec<String>,
    pub created: Option<DateTime<Utc>>,
}

/// An indexed image, without its full chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainImage {
    pub manifest_digest: String,
    pub top_chain: String,
    pub layer_count: usize,
    pub created: Option<DateTime<Utc>>,
}

/// A tag that named an image, directly or through an index, at some point in its history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagNaming {
    pub repository: Repository,
    pub tag: String,
    /// What the tag names now (an index or an image).
    pub current_digest: String,
    /// When the latest period in which the tag named the image began.
    pub named_since: DateTime<Utc>,
    /// When the tag moved on from the image; `None` while it still names it.
    pub moved_at: Option<DateTime<Utc>>,
}

/// An event to raise once: a second raise with the same `dedupe_key` is a no-op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: String,
    pub repository: RepositoryId,
    pub tag: Option<String>,
    pub digest: Option<String>,
    pub detail: serde_json::Value,
    pub dedupe_key: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub kind: String,
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// What recording a tag observation changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagChange {
    Created,
    Unchanged,
    Moved { from: String },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub repositories: u64,
    pub manifests: u64,
    pub tags: u64,
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// "SQLite" or "PostgreSQL", for people reading status pages.
    fn backend_name(&self) -> &'static str;
    async fn ping(&self) -> StoreResult<()>;

    async fn upsert_repository(&self, registry: &str, name: &str, visibility: Visibility) -> StoreResult<Repository>;
    async fn repository(&self, registry: &str, name: &str) -> StoreResult<Option<Repository>>;

    /// Stores a manifest and its layer list once; storing the same digest again is a no-op.
    async fn put_manifest(&self, repository: RepositoryId, manifest: &ManifestRecord) -> StoreResult<()>;
    async fn manifest(&self, digest: &str) -> StoreResult<Option<ManifestRecord>>;
    /// Whether the manifest was seen in this repository (not only in another, maybe private, one).
    async fn repository_has_manifest(&self, repository: RepositoryId, digest: &str) -> StoreResult<bool>;
    async fn put_config(&self, config: &ConfigRecord) -> StoreResult<()>;
    async fn config(&self, digest: &str) -> StoreResult<Option<ConfigRecord>>;

    /// Records that `tag` pointed at `digest` at `seen_at`, extending or starting its history.
    async fn record_tag(
        &self,
        repository: RepositoryId,
        tag: &str,
        digest: &str,
        seen_at: DateTime<Utc>,
    ) -> StoreResult<TagChange>;
    async fn tag(&self, repository: RepositoryId, tag: &str) -> StoreResult<Option<TagRecord>>;
    /// Newest first.
    async fn tag_history(&self, repository: RepositoryId, tag: &str) -> StoreResult<Vec<TagHistoryEntry>>;

    async fn counts(&self) -> StoreResult<Counts>;

    /// Indexes a platform image's chain IDs (once; later calls are no-ops).
    async fn put_image_chain(&self, chain: &ImageChain) -> StoreResult<()>;
    async fn image_chain(&self, manifest_digest: &str) -> StoreResult<Option<ChainImage>>;
    /// Indexed images whose whole stack is one of `top_chains`.
    async fn images_with_top_chain(&self, top_chains: &[String]) -> StoreResult<Vec<ChainImage>>;
    /// Images built on top of the stack `chain_id` (which has `layer_count` layers): descendants.
    async fn images_built_on(&self, chain_id: &str, layer_count: usize) -> StoreResult<Vec<String>>;
    async fn put_index_children(&self, index_digest: &str, children: &[String]) -> StoreResult<()>;
    async fn index_children(&self, index_digest: &str) -> StoreResult<Vec<String>>;
    /// Every tag whose history names the image, itself or through an index that lists it.
    async fn tags_naming(&self, manifest_digest: &str) -> StoreResult<Vec<TagNaming>>;

    /// Records an event unless one with the same dedupe key exists; true when it was new.
    async fn raise_event(&self, event: &NewEvent) -> StoreResult<bool>;
    /// Events with an id above `after`, oldest first.
    async fn events(&self, after: i64, limit: u32) -> StoreResult<Vec<EventRecord>>;

    /// The repository's tags that name `digest` now, by name.
    async fn tags_on(&self, repository: RepositoryId, digest: &str) -> StoreResult<Vec<String>>;

    // Badges.
    async fn badge_token(&self, repository: RepositoryId) -> StoreResult<Option<String>>;
    /// Sets (or replaces) the repository's badge token.
    async fn set_badge_token(&self, repository: RepositoryId, token: &str) -> StoreResult<()>;

    // Advisories.
    /// Stores each advisory unless the stored one is as new (`modified`); returns how many were written.
    async fn put_advisories(&self, source: &str, advisories: &[AdvisoryRecord]) -> StoreResult<u64>;
    /// The OSV JSON of every advisory naming one of `names` in `ecosystem` (`Debian:12`).
    async fn advisories_for(&self, ecosystem: &str, names: &[String]) -> StoreResult<Vec<String>>;
    async fn record_vulndb_source(&self, source: &VulnDbSource) -> StoreResult<()>;
    async fn vulndb_sources(&self) -> StoreResult<Vec<VulnDbSource>>;

    // Scans.
    /// What an earlier pass of this analyser version kept of a layer.
    async fn layer_analysis(&self, layer_digest: &str, analyser_version: i32) -> StoreResult<Option<Vec<u8>>>;
    async fn put_layer_analysis(&self, layer_digest: &str, analyser_version: i32, body: &[u8]) -> StoreResult<()>;
    async fn put_scan_result(&self, manifest_digest: &str, report: &str) -> StoreResult<()>;
    /// The stored scan report (JSON) and when it was made.
    async fn scan_result(&self, manifest_digest: &str) -> StoreResult<Option<(String, DateTime<Utc>)>>;

    // Jobs.
    /// Queues a job unless one with the same key exists (whatever its state); true when queued.
    async fn enqueue_job(&self, kind: &str, subject: &str, dedupe_key: &str) -> StoreResult<bool>;
    /// Takes the oldest queued job of `kind`, or a running one whose lease ran out, for `lease`.
    async fn claim_job(&self, kind: &str, lease: std::time::Duration) -> StoreResult<Option<Job>>;
    async fn job_progress(&self, id: i64, done: i64, total: i64) -> StoreResult<()>;
    /// Ends a job: done, or failed with the reason.
    async fn finish_job(&self, id: i64, error: Option<&str>) -> StoreResult<()>;
    async fn job(&self, dedupe_key: &str) -> StoreResult<Option<Job>>;
    /// Puts a failed or finished job back in the queue.
    async fn retry_job(&self, dedupe_key: &str) -> StoreResult<()>;
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub dedupe_key: String,
    pub state: String,
    pub attempts: i32,
    pub progress_done: i32,
    pub progress_total: i32,
    pub error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

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

pub type SharedStore = Arc<dyn Store>;

/// Rows both backends select under the same column names; sqlx derives their decoding for either
/// database, so each backend keeps only its SQL.
#[derive(sqlx::FromRow)]
struct ChainRow {
    manifest_digest: String,
    top_chain: String,
    layer_count: i64,
    created: Option<DateTime<Utc>>,
}

impl From<ChainRow> for ChainImage {
    fn from(row: ChainRow) -> Self {
        ChainImage {
            manifest_digest: row.manifest_digest,
            top_chain: row.top_chain,
            layer_count: row.layer_count.max(0) as usize,
            created: row.created,
        }
    }
}

/// One period in which a tag named an image (see `tags_naming`).
#[derive(sqlx::FromRow)]
struct NamingRow {
    repository_id: i64,
    registry: String,
    repository: String,
    visibility: String,
    tag_id: i64,
    tag: String,
    current_digest: String,
    first_seen: DateTime<Utc>,
    moved_at: Option<DateTime<Utc>>,
}

/// Keeps each tag's latest naming period, from rows in period order.
fn latest_naming(rows: Vec<NamingRow>) -> Vec<TagNaming> {
    let mut latest: Vec<(i64, TagNaming)> = Vec::new();
    for row in rows {
        let naming = TagNaming {
            repository: Repository {
                id: RepositoryId(row.repository_id),
                registry: row.registry,
                name: row.repository,
                visibility: Visibility::parse(&row.visibility),
            },
            tag: row.tag,
            current_digest: row.current_digest,
            named_since: row.first_seen,
            moved_at: row.moved_at,
        };
        match latest.iter_mut().find(|(id, _)| *id == row.tag_id) {
            Some(slot) => slot.1 = naming,
            None => latest.push((row.tag_id, naming)),
        }
    }
    latest.into_iter().map(|(_, naming)| naming).collect()
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    kind: String,
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
    detail: String,
    created_at: DateTime<Utc>,
}

impl From<EventRow> for EventRecord {
    fn from(row: EventRow) -> Self {
        EventRecord {
            id: row.id,
            kind: row.kind,
            registry: row.registry,
            repository: row.repository,
            tag: row.tag,
            digest: row.digest,
            detail: serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null),
            created_at: row.created_at,
        }
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
    Ok(match url {
        DatabaseUrl::Sqlite(path) => Arc::new(SqliteStore::open(path, sqlite_connections).await?),
        DatabaseUrl::Postgres(url) => Arc::new(PostgresStore::open(url.expose(), postgres_connections).await?),
    })
}
