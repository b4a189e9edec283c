//! `vulndb import` over real feeds (see `fixtures/ATTRIBUTION.md`): OSV files, a directory and an
//! `all.zip` of them, Alpine's secdb YAML and the Debian security tracker's JSON converted to OSV.

use std::io::Write;
use std::path::{Path, PathBuf};

use shipshape::config::DatabaseUrl;
use shipshape::scan::osv::{Record, Verdict};
use shipshape::scan::version::Scheme;
use shipshape::store::{self, SharedStore};
use shipshape::vulndb::import_paths;

fn fixtures(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/advisories").join(path)
}

async fn store_in(dir: &Path) -> SharedStore {
    store::open(&DatabaseUrl::Sqlite(dir.join("shipshape.db"))).await.unwrap()
}

/// The stored records naming `name` in `ecosystem`, parsed.
async fn records(store: &SharedStore, ecosystem: &str, name: &str) -> Vec<Record> {
    let bodies = store.advisories_for(ecosystem, &[name.to_string()]).await.unwrap();
    bodies.iter().map(|b| serde_json::from_str(b).unwrap()).collect()
}

fn verdict(record: &Record, ecosystem: &str, version: &str, scheme: Scheme) -> Verdict {
    let affected = record.affected.iter().find(|a| a.package.as_ref().unwrap().ecosystem == ecosystem).unwrap();
    affected.verdict(version, scheme)
}

#[tokio::test]
async fn osv_files_directories_and_zips() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path()).await;
    let summary = import_paths(&store, "go", &[fixtures("osv-go")]).await.unwrap();
    assert_eq!((summary.read, summary.withdrawn, summary.written), (5, 0, 5));
    let stdlib = records(&store, "Go", "stdlib").await;
    assert!(stdlib.iter().any(|r| r.id == "GO-2021-0157" && r.aliases == ["CVE-2015-5739"]));

    // The same records as osv.dev's all.zip: read again, nothing newer, nothing written.
    let zip_path = dir.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for entry in std::fs::read_dir(fixtures("osv-go")).unwrap() {
        let path = entry.unwrap().path();
        zip.start_file(path.file_name().unwrap().to_str().unwrap(), zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    let again = import_paths(&store, "go", &[zip_path]).await.unwrap();
    assert_eq!((again.read, again.written), (5, 0));
    let sources = store.vulndb_sources().await.unwrap();
    assert_eq!((sources.len(), sources[0].records), (1, 5));
    assert_eq!(sources[0].newest_modified, summary.newest_modified);

    // A file that is none of the formats says which file and why.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[1, 2, 3]").unwrap();
    let err = import_paths(&store, "bad", &[bad]).await.unwrap_err().to_string();
    assert!(err.contains("bad.json") && err.contains("not an OSV record"), "{err}");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(import_paths(&store, "none", &[empty]).await.unwrap_err().to_string().contains("holds no advisories"));
}

#[tokio::test]
async fn alpine_secdb_becomes_osv() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path()).await;
    let summary = import_paths(&store, "alpine", &[fixtures("alpine-secdb")]).await.unwrap();
    assert_eq!(summary.written, 13 + 3, "one record per CVE and release");
    let zlib = records(&store, "Alpine:v3.15", "zlib").await;
    let find = |cve: &str| zlib.iter().find(|r| r.aliases == [cve]).unwrap();
    // zlib 1.2.12-r1: fixed for CVE-2018-25032 (1.2.12-r0), not yet for CVE-2022-37434 (1.2.12-r2).
    assert_eq!(verdict(find("CVE-2018-25032"), "Alpine:v3.15", "1.2.12-r1", Scheme::Apk), Verdict::NotAffected);
    assert_eq!(
        verdict(find("CVE-2022-37434"), "Alpine:v3.15", "1.2.12-r1", Scheme::Apk),
        Verdict::Affected { fixed: Some("1.2.12-r2".into()) }
    );
    assert!(records(&store, "Alpine:v3.16", "zlib").await.is_empty(), "scoped to the secdb's release");
}

#[tokio::test]
async fn the_debian_tracker_becomes_osv() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path()).await;
    import_paths(&store, "debian", &[fixtures("debian-tracker/debian-tracker-subset.json")]).await.unwrap();
    let chromium = records(&store, "Debian:12", "chromium").await;
    let record = chromium.iter().find(|r| r.id == "DEBIAN-CVE-2022-0456").unwrap();
    assert_eq!(
        verdict(record, "Debian:12", "98.0.4758.80-1~deb12u1", Scheme::Dpkg),
        Verdict::Affected { fixed: Some("98.0.4758.80-1".into()) }
    );
    assert_eq!(verdict(record, "Debian:11", "98.0.4758.80-1~deb11u1", Scheme::Dpkg), Verdict::NotAffected);
    assert_eq!(
        verdict(record, "Debian:10", "90.0.4430.212-1~deb10u1", Scheme::Dpkg),
        Verdict::Affected { fixed: None },
        "open: no fix"
    );
    let prototype = records(&store, "Debian:9", "prototypejs").await;
    let old = prototype.iter().find(|r| r.id == "DEBIAN-CVE-2008-7220").unwrap();
    assert_eq!(old.database_specific.as_ref().unwrap()["severity"], "high", "urgency high** is high");
    assert!(records(&store, "Debian:12", "chromium-browser").await.is_empty(), "an entry with no releases gives none");
}
