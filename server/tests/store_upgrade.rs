//! A database written by the previous release (migrations 0001–0007, with data) opens with this
//! release's store: the new migrations apply and nothing stored before is lost. Run on both backends.

use std::path::{Path, PathBuf};

use shipshape::config::DatabaseUrl;
use shipshape::store::{self, JobState, SharedStore};
use shipshape_testkit::TestDatabase;

/// The last migration of the previous release.
const PREVIOUS: i64 = 7;

const SEED: &str = "
INSERT INTO repositories (registry, name, visibility, created_at)
    VALUES ('docker.io', 'library/alpine', 'public', '2026-01-01T00:00:00+00:00');
INSERT INTO tags (repository_id, name, digest, first_seen, checked_at)
    SELECT id, '3.20', 'sha256:aa', '2026-01-01T00:00:00+00:00', '2026-01-02T00:00:00+00:00' FROM repositories;
INSERT INTO tag_history (tag_id, digest, first_seen, last_seen)
    SELECT id, 'sha256:aa', '2026-01-01T00:00:00+00:00', '2026-01-02T00:00:00+00:00' FROM tags;
INSERT INTO jobs (kind, subject, dedupe_key, state, attempts, progress_done, progress_total, error, created_at, updated_at)
    VALUES ('scan', 'docker.io/library/alpine@sha256:aa', 'scan:sha256:aa', 'failed', 1, 1, 3, 'registry unreachable',
            '2026-01-01T00:00:00+00:00', '2026-01-01T00:05:00+00:00'),
           ('scan', 'docker.io/library/alpine@sha256:bb', 'scan:sha256:bb', 'queued', 4, 0, 0, NULL,
            '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');
INSERT INTO scan_results (manifest_digest, report, scanned_at) VALUES ('sha256:cc', '{}', '2026-01-03T00:00:00+00:00');
INSERT INTO vulndb_sources (source, records, newest_modified, imported_at, etag)
    VALUES ('osv', 12, '2026-01-01T00:00:00+00:00', '2026-01-01T01:00:00+00:00', '\"e1\"');
";

/// The seed's digests in full: the store reads back only valid ones.
const AA: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const BB: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const CC: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

fn seed() -> String {
    SEED.replace("sha256:aa", AA).replace("sha256:bb", BB).replace("sha256:cc", CC)
}

/// The previous release's migrations, copied aside so a migrator of exactly those can run.
fn previous_migrations(backend: &str, into: &Path) -> PathBuf {
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(backend);
    let dir = into.join(backend);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let version: i64 = name.split('_').next().unwrap().parse().unwrap();
        if version <= PREVIOUS {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    dir
}

async fn reads_back(store: SharedStore) {
    let repo = store.repository("docker.io", "library/alpine").await.unwrap().expect("repository kept");
    let tag = store.tag(repo.id, "3.20").await.unwrap().expect("tag kept");
    assert_eq!((tag.digest.as_str(), tag.checked_at.to_rfc3339()), (AA, "2026-01-02T00:00:00+00:00".into()));
    assert_eq!(store.tag_history(repo.id, "3.20").await.unwrap().len(), 1);
    let failed = store.latest_job(&format!("scan:{AA}")).await.unwrap().expect("job kept");
    assert_eq!((failed.state, failed.error.as_deref()), (JobState::Failed, Some("registry unreachable")));
    assert_eq!((failed.progress_done, failed.progress_total, failed.attempts), (1, 3, 1));
    let payload: serde_json::Value = serde_json::from_str(&failed.payload).unwrap();
    assert_eq!(payload["reference"], format!("docker.io/library/alpine@{AA}"), "the subject became the payload");
    let queued = store.latest_job(&format!("scan:{BB}")).await.unwrap().unwrap();
    assert_eq!(queued.state, JobState::Queued);
    let claimed = store.claim_job(&["scan"], "w", std::time::Duration::from_secs(60)).await.unwrap().unwrap();
    assert_eq!(claimed.id, queued.id, "a job queued before the upgrade is run after it");
    assert_eq!(claimed.attempts, 1, "attempts used up before there was a cap start again");
    assert_eq!(store.scan_result(&CC.parse().unwrap()).await.unwrap().unwrap().0, "{}");
    let sources = store.vulndb_sources().await.unwrap();
    assert_eq!((sources[0].records, sources[0].etag.as_deref()), (12, Some("\"e1\"")));
}

#[tokio::test]
async fn sqlite_database_of_the_previous_release_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shipshape.db");
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        let migrator = sqlx::migrate::Migrator::new(previous_migrations("sqlite", dir.path())).await.unwrap();
        migrator.run(&pool).await.unwrap();
        sqlx::raw_sql(&seed()).execute(&pool).await.unwrap();
        pool.close().await;
    }
    reads_back(store::open(&DatabaseUrl::Sqlite(path)).await.unwrap()).await;
}

#[tokio::test]
async fn postgres_database_of_the_previous_release_upgrades() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let dir = tempfile::tempdir().unwrap();
    {
        let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
        let migrator = sqlx::migrate::Migrator::new(previous_migrations("postgres", dir.path())).await.unwrap();
        migrator.run(&pool).await.unwrap();
        sqlx::raw_sql(&seed()).execute(&pool).await.unwrap();
        pool.close().await;
    }
    let store = store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap();
    reads_back(store.clone()).await;
    drop(store);
    db.drop_database().await.unwrap();
}
