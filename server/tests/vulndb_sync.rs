//! `vulndb sync` against a loopback HTTP server laid out like osv.dev's bucket
//! (`{base}/{ecosystem}/all.zip`, ETags, 304 on If-None-Match): feeds are imported once and not
//! downloaded again while unchanged, a missing ecosystem is reported without stopping the others,
//! and the outbound policy refuses the loopback server unless it is allow-listed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use shipshape::config::{AllowList, DatabaseUrl, VulnDbSync};
use shipshape::net::Policy;
use shipshape::store::{self, SharedStore};
use shipshape::vulndb::sync::{Outcome, SyncError, sync};

/// The bucket: path → (zip, etag), and how many full downloads were served.
#[derive(Clone, Default)]
struct Bucket {
    feeds: Arc<Mutex<HashMap<String, (Vec<u8>, String)>>>,
    downloads: Arc<Mutex<Vec<String>>>,
}

async fn serve_feed(State(bucket): State<Bucket>, Path((ecosystem, file)): Path<(String, String)>, headers: HeaderMap) -> axum::response::Response {
    let feeds = bucket.feeds.lock().unwrap();
    let Some((body, etag)) = feeds.get(&format!("{ecosystem}/{file}")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.clone())]).into_response();
    }
    bucket.downloads.lock().unwrap().push(ecosystem.clone());
    ([(header::ETAG, etag.clone()), (header::CONTENT_TYPE, "application/zip".to_string())], body.clone()).into_response()
}

fn zip_of(records: &[(&str, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in records {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn record(id: &str, modified: &str, ecosystem: &str, name: &str, withdrawn: bool) -> String {
    let withdrawn = if withdrawn { r#""withdrawn":"2026-10-02T00:00:00Z","# } else { "" };
    format!(
        r#"{{"id":"{id}","modified":"{modified}",{withdrawn}"affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"{name}"}},
            "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"9"}}]}}]}}]}}"#
    )
}

/// Serves the bucket on a loopback port, under `/osv`.
async fn serve_bucket(bucket: Bucket) -> SocketAddr {
    let app = axum::Router::new().route("/osv/{ecosystem}/{file}", axum::routing::get(serve_feed)).with_state(bucket);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Debian (one record and one withdrawn), PyPI and Rocky Linux, each with its ETag.
fn three_feeds() -> Bucket {
    let bucket = Bucket::default();
    bucket.feeds.lock().unwrap().extend([
        (
            "Debian/all.zip".to_string(),
            (
                zip_of(&[
                    ("DEBIAN-CVE-2099-1.json", record("DEBIAN-CVE-2099-1", "2026-10-01T00:00:00Z", "Debian:12", "openssl", false)),
                    ("DEBIAN-CVE-2099-2.json", record("DEBIAN-CVE-2099-2", "2026-10-01T00:00:00Z", "Debian:12", "bash", true)),
                ]),
                "\"d1\"".to_string(),
            ),
        ),
        (
            "PyPI/all.zip".to_string(),
            (zip_of(&[("PYSEC-1.json", record("PYSEC-1", "2026-09-01T00:00:00Z", "PyPI", "Jinja2", false))]), "\"p1\"".to_string()),
        ),
        (
            "Rocky Linux/all.zip".to_string(),
            (zip_of(&[("RLSA-1.json", record("RLSA-1", "2026-08-01T00:00:00Z", "Rocky Linux:9", "openssl-libs", false))]), "\"r1\"".to_string()),
        ),
    ]);
    bucket
}

type Outcomes = Vec<(String, Result<Outcome, SyncError>)>;

/// One sync round under `policy`.
async fn round(store: &SharedStore, policy: Arc<Policy>, settings: &VulnDbSync) -> Outcomes {
    let progress = |_: &str, _: u64, _: Option<u64>| {};
    sync(store, policy, settings, std::time::Duration::from_secs(10), &progress).await.unwrap()
}

/// What a round did for one ecosystem, in words.
fn outcome(outcomes: &Outcomes, name: &str) -> String {
    match &outcomes.iter().find(|(e, _)| e == name).unwrap().1 {
        Ok(Outcome::Unchanged) => "unchanged".into(),
        Ok(Outcome::Imported(s)) => format!("read {} withdrawn {} written {}", s.read, s.withdrawn, s.written),
        Err(e) => format!("error: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_are_downloaded_once_imported_and_refused_unless_allowed() {
    shipshape_testkit::install_crypto_provider();
    let bucket = three_feeds();
    let addr = serve_bucket(bucket.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    let settings = VulnDbSync {
        url: url::Url::parse(&format!("http://{addr}/osv")).unwrap(),
        ecosystems: ["Debian", "PyPI", "Rocky Linux", "Nope"].map(String::from).to_vec(),
        interval: None,
    };
    let allowed = Arc::new(Policy::new(AllowList::parse(&addr.to_string()).unwrap()));

    the_first_round_imports_every_feed_there_is(&store, allowed.clone(), &settings).await;
    // Nothing changed: three conditional requests, no download.
    let second = round(&store, allowed.clone(), &settings).await;
    assert_eq!(["Debian", "PyPI", "Rocky Linux"].map(|e| outcome(&second, e)), ["unchanged"; 3]);
    assert_eq!(bucket.downloads.lock().unwrap().len(), 3);
    a_changed_feed_alone_is_downloaded_again(&store, allowed, &settings, &bucket).await;
    a_host_not_allowed_is_refused(&store, &settings, &bucket).await;
}

async fn the_first_round_imports_every_feed_there_is(store: &SharedStore, allowed: Arc<Policy>, settings: &VulnDbSync) {
    let first = round(store, allowed, settings).await;
    assert_eq!(outcome(&first, "Debian"), "read 2 withdrawn 1 written 1");
    assert_eq!(outcome(&first, "PyPI"), "read 1 withdrawn 0 written 1");
    assert_eq!(outcome(&first, "Rocky Linux"), "read 1 withdrawn 0 written 1", "a name with a space is one path segment");
    assert!(outcome(&first, "Nope").contains("answered 404: no such ecosystem"), "{}", outcome(&first, "Nope"));
    assert_eq!(store.advisories_for("Debian:12", &["openssl".into(), "bash".into()]).await.unwrap().len(), 1);
    assert_eq!(store.advisories_for("PyPI", &["jinja2".into()]).await.unwrap().len(), 1, "PyPI names are indexed normalised");
    let sources = store.vulndb_sources().await.unwrap();
    let debian = sources.iter().find(|s| s.source == "osv:Debian").unwrap();
    assert_eq!((debian.records, debian.etag.as_deref()), (1, Some("\"d1\"")));
}

/// Debian's feed changes: only it is downloaded again, and the newer record replaces the old.
async fn a_changed_feed_alone_is_downloaded_again(
    store: &SharedStore,
    allowed: Arc<Policy>,
    settings: &VulnDbSync,
    bucket: &Bucket,
) {
    bucket.feeds.lock().unwrap().insert(
        "Debian/all.zip".to_string(),
        (
            zip_of(&[("DEBIAN-CVE-2099-1.json", record("DEBIAN-CVE-2099-1", "2026-11-01T00:00:00Z", "Debian:12", "openssl", false))]),
            "\"d2\"".to_string(),
        ),
    );
    let third = round(store, allowed, settings).await;
    assert_eq!(outcome(&third, "Debian"), "read 1 withdrawn 0 written 1");
    assert_eq!(outcome(&third, "PyPI"), "unchanged");
    let newest = store.vulndb_sources().await.unwrap().into_iter().find(|s| s.source == "osv:Debian").unwrap();
    assert_eq!(newest.newest_modified.unwrap().to_rfc3339(), "2026-11-01T00:00:00+00:00");
}

/// Without the allow-list entry the loopback server is out of bounds, and the error says so.
async fn a_host_not_allowed_is_refused(store: &SharedStore, settings: &VulnDbSync, bucket: &Bucket) {
    let refused = round(store, Arc::new(Policy::new(AllowList::default())), settings).await;
    let error = outcome(&refused, "Debian");
    assert!(error.contains("SHIPSHAPE_ALLOW_HOSTS"), "{error}");
    // The other feeds live on the same host: not asked again in this round.
    assert!(outcome(&refused, "PyPI").contains("not tried"), "{}", outcome(&refused, "PyPI"));
    assert_eq!(refused.len(), 4);
    assert_eq!(bucket.downloads.lock().unwrap().len(), 4);
}

/// The command as an operator runs it, against the same kind of server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_command_prints_one_line_per_ecosystem() {
    let bucket = Bucket::default();
    bucket.feeds.lock().unwrap().insert(
        "Go/all.zip".to_string(),
        (zip_of(&[("GO-1.json", record("GO-2099-1", "2026-10-01T00:00:00Z", "Go", "golang.org/x/net", false))]), "\"g\"".to_string()),
    );
    let addr = serve_bucket(bucket).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| {
        let dir = dir.path().to_path_buf();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_shipshape"))
                .args(args)
                .env_clear()
                .env("SHIPSHAPE_DATABASE_URL", format!("sqlite://{}/shipshape.db", dir.display()))
                .env("SHIPSHAPE_ALLOW_HOSTS", addr.to_string())
                .env("SHIPSHAPE_VULNDB_URL", format!("http://{addr}/osv"))
                .env("SHIPSHAPE_VULNDB_ECOSYSTEMS", "Go")
                .output()
                .await
                .unwrap()
        }
    };
    let output = run(vec!["vulndb".into(), "sync".into()]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout, "Go: 1 record(s) read, 0 withdrawn skipped, 1 written; newest modified 2026-10-01T00:00:00+00:00\n");
    let again = run(vec!["vulndb".into(), "sync".into()]).await;
    assert_eq!(String::from_utf8_lossy(&again.stdout), "Go: unchanged since the last sync\n");
    let missing = run(vec!["vulndb".into(), "sync".into(), "--ecosystem".into(), "Nope".into()]).await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stdout).starts_with("Nope: failed:"));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("1 ecosystem(s) could not be synced"));
}
