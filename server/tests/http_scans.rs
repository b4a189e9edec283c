//! Scans in the web app over a real registry: a page view queues the scan, the worker runs it,
//! and the page, the API, the SBOM download and the vulnerabilities badge show its findings.

mod common;

use std::path::Path;

use common::serve;
use shipshape::config::DatabaseUrl;
use shipshape::store;
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestRegistry};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)).unwrap()
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_view_queues_a_scan_that_the_page_then_shows() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let layer = Layer::builder()
        .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", fixture("pkgdb/debian/claircore-postgresql.status"))
        .file("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", "lists")
        .build()
        .unwrap();
    ImageBuilder::new()
        .layer(layer, "RUN apt-get install -y postgresql-client # buildkit")
        .build(ManifestFormat::Oci)
        .push(&registry, "web/db", Some("1"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    let server = serve(store, &registry.host()).await;
    let osv = dir.path().join("osv.json");
    std::fs::write(
        &osv,
        r#"{"id":"DEBIAN-CVE-2099-0009","modified":"2026-10-01T00:00:00Z","aliases":["CVE-2099-0009"],
            "database_specific":{"severity":"high"},
            "affected":[{"package":{"ecosystem":"Debian:12","name":"postgresql-common"},
                         "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"201"}]}]}]}"#,
    )
    .unwrap();
    shipshape::vulndb::import_paths(&server.services.store, "test", &[osv]).await.unwrap();
    let page_url = format!("{}/images/{}/web/db:1", server.base, registry.host());

    let (status, html) = get(&page_url).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-state="queued""#) && html.contains("The scan is queued"), "{html}");
    let (status, body) = get(&format!("{}/api/v1/sbom/{}/web/db:1", server.base, registry.host())).await;
    assert_eq!(status, 404);
    assert!(body.contains("not_scanned"), "{body}");

    // The page follows the scan over server-sent events: the stream says "queued", then (as the
    // worker reads the layer) how far it got, and ends with the finished summary.
    let events_url = format!("{}/api/v1/scan-events/{}/web/db:1", server.base, registry.host());
    let events = tokio::spawn(async move {
        let response = reqwest::get(&events_url).await.unwrap();
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        response.text().await.unwrap()
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // The worker (what `serve` runs in the background) takes the queued job.
    // Four jobs: the reaction to the tag's first sighting (nothing to do yet), the scan, and the
    // reactions to what the scan raised, scan.completed and vulnerabilities.found (nobody watches).
    assert_eq!(server.jobs.drain().await.unwrap(), 4);
    let stream = tokio::time::timeout(std::time::Duration::from_secs(30), events).await.unwrap().unwrap();
    let states: Vec<String> = stream
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str::<serde_json::Value>(d).unwrap()["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states.first().map(String::as_str), Some("queued"), "{stream}");
    assert_eq!(states.last().map(String::as_str), Some("done"), "the stream ends once the scan is done: {stream}");
    assert_eq!(server.jobs.drain().await.unwrap(), 0, "one job, done once");

    let (_, html) = get(&page_url).await;
    assert!(html.contains(r#"data-state="done""#), "{html}");
    assert!(html.contains("2 high"), "the two binaries of postgresql-common: {html}");
    assert_eq!(html.matches(r#"data-testid="finding""#).count(), 2);
    assert!(html.contains("CVE-2099-0009") && html.contains(r#"data-check="package-cache""#));
    // The package list comes on demand (a link, no JavaScript needed), with its findings per package.
    assert!(html.contains(r#"data-testid="show-packages""#) && !html.contains(r#"data-testid="package""#));
    let (_, listed) = get(&format!("{page_url}?packages=all")).await;
    assert_eq!(listed.matches(r#"data-testid="package""#).count(), 3, "{listed}");
    assert!(listed.contains("postgresql-client-common") && listed.contains("Debian 3"));
    let (_, none) = get(&format!("{page_url}?packages=npm")).await;
    assert_eq!(none.matches(r#"data-testid="package""#).count(), 0, "a filter on an ecosystem the image lacks");
    let (_, filtered) = get(&format!("{page_url}?severity=low")).await;
    assert_eq!(filtered.matches(r#"data-testid="finding""#).count(), 0, "the severity filter works without JavaScript");

    let (status, body) = get(&format!("{}/api/v1/scans/{}/web/db:1", server.base, registry.host())).await;
    assert_eq!(status, 200);
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((summary["state"].as_str(), summary["counts"]["high"].as_u64()), (Some("done"), Some(2)));
    assert_eq!(summary["packages"], 3);
    let (_, spec) = get(&format!("{}/api/v1/openapi.json", server.base)).await;
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    for field in spec["components"]["schemas"]["ScanSummary"]["required"].as_array().unwrap() {
        assert!(summary.get(field.as_str().unwrap()).is_some(), "ScanSummary.{field} missing from the response");
    }

    let (status, body) =
        get(&format!("{}/api/v1/sbom/{}/web/db:1?format=cyclonedx", server.base, registry.host())).await;
    assert_eq!(status, 200);
    let bom: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(bom["components"].as_array().unwrap().len(), 3);
    let (status, body) = get(&format!("{}/api/v1/sbom/{}/web/db:1?format=spdx", server.base, registry.host())).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("SPDX-2.3"));

    let badge = get(&format!("{}/badges/vulnerabilities/{}/web/db:1.json", server.base, registry.host())).await.1;
    let badge: serde_json::Value = serde_json::from_str(&badge).unwrap();
    assert_eq!((badge["message"].as_str(), badge["color"].as_str()), (Some("2 high"), Some("orange")));

    // Advisories imported after the scan apply to it once asked for: a job matches the stored
    // packages again, no layer is read, no scan is queued.
    let newer = dir.path().join("newer.json");
    std::fs::write(
        &newer,
        r#"{"id":"DEBIAN-CVE-2099-0010","modified":"2026-11-01T00:00:00Z","aliases":["CVE-2099-0010"],
            "database_specific":{"severity":"critical"},
            "affected":[{"package":{"ecosystem":"Debian:12","name":"postgresql-11"},
                         "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"11.22-0+deb10u3"}]}]}]}"#,
    )
    .unwrap();
    shipshape::vulndb::import_paths(&server.services.store, "newer", &[newer]).await.unwrap();
    let (_, body) = get(&format!("{}/api/v1/scans/{}/web/db:1", server.base, registry.host())).await;
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(summary["counts"]["critical"].as_u64(), Some(0), "a read changes nothing: {body}");
    let queued: Vec<String> = server.services.store.live_jobs().await.unwrap().into_iter().map(|j| j.kind).collect();
    assert_eq!(queued, ["rematch_scan"], "re-matching queues no scan");
    // The re-match, and the reaction to the vulnerabilities.found it raised.
    assert_eq!(server.jobs.drain().await.unwrap(), 2);
    let (_, body) = get(&format!("{}/api/v1/scans/{}/web/db:1", server.base, registry.host())).await;
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((summary["counts"]["critical"].as_u64(), summary["counts"]["high"].as_u64()), (Some(1), Some(2)), "{body}");

    // The tag moves to a new image: seen moved (here by a refresh), the new image is queued at once.
    let patched = Layer::builder()
        .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", "Package: postgresql-client-11\nStatus: install ok installed\nSource: postgresql-11\nVersion: 11.22-0+deb10u3\n")
        .build()
        .unwrap();
    ImageBuilder::new()
        .layer(patched, "RUN apt-get install -y postgresql-client-11 # buildkit")
        .build(ManifestFormat::Oci)
        .push(&registry, "web/db", Some("1"))
        .await
        .unwrap();
    let (status, _) = get(&format!("{}/api/v1/images/{}/web/db:1?refresh=true", server.base, registry.host())).await;
    assert_eq!(status, 200);
    // The move is an event; its reaction queues the new image's scan, which runs next.
    let kinds: Vec<String> = server.services.store.live_jobs().await.unwrap().into_iter().map(|j| j.kind).collect();
    assert_eq!(kinds, ["event"]);
    // The move's reaction, the new image's scan, and the reaction to its scan.completed (the
    // patched package has no finding: no vulnerabilities.found).
    assert_eq!(server.jobs.drain().await.unwrap(), 3, "the moved tag's new image is scanned");
    let (_, body) = get(&format!("{}/api/v1/scans/{}/web/db:1", server.base, registry.host())).await;
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((summary["state"].as_str(), summary["packages"].as_u64()), (Some("done"), Some(1)), "{body}");
    assert_eq!(summary["findings"].as_array().unwrap().len(), 0, "the patched version is fixed: {body}");
}

/// A scanned tag that moves to a multi-platform index: the reaction queues its default platform
/// image under the key the page's own request uses, so the image is scanned once, not twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_moved_to_an_index_rescans_its_default_platform_image_once() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let image = |arch: &str, text: &str| {
        let layer = Layer::builder().file("etc/release", text).build().unwrap();
        ImageBuilder::new().platform("linux", arch, None).layer(layer, "COPY release /etc/ # buildkit")
    };
    image("amd64", "one").build(ManifestFormat::Oci).push(&registry, "web/multi", Some("1")).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    let server = serve(store, &registry.host()).await;
    let scans = format!("{}/api/v1/scans/{}/web/multi:1", server.base, registry.host());
    assert_eq!(get(&scans).await.0, 200);
    assert_eq!(server.jobs.drain().await.unwrap(), 3, "the tag's creation, its scan, the scan's scan.completed");

    let (arm, amd) = (image("arm64", "two").build(ManifestFormat::Oci), image("amd64", "two").build(ManifestFormat::Oci));
    let amd_digest = amd.manifest_digest.clone();
    shipshape_testkit::BuiltIndex::new(ManifestFormat::Oci, vec![arm, amd]).push(&registry, "web/multi", "1").await.unwrap();
    let (status, _) = get(&format!("{}/api/v1/images/{}/web/multi:1?refresh=true", server.base, registry.host())).await;
    assert_eq!(status, 200);
    assert_eq!(server.jobs.drain().await.unwrap(), 3, "the move's reaction, one scan, its scan.completed");
    let jobs = server.services.store.live_jobs().await.unwrap();
    assert!(jobs.is_empty(), "nothing left: {jobs:?}");
    let (_, body) = get(&scans).await;
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(summary["state"], "done", "the page's platform image (linux/amd64) was the one scanned: {body}");
    let amd_digest = amd_digest.parse().unwrap();
    assert!(server.services.store.scan_result(&amd_digest).await.unwrap().is_some());
    let job = server.services.store.latest_job(&shipshape::scan::jobs::scan_key(&amd_digest)).await.unwrap();
    assert!(job.is_some(), "queued under the platform image's key, as a page view would");
}

/// The same platform images under two repositories (a mirror): the second repository's index is
/// served from the store only once its registry has served those images for it, so the scan of
/// either repository's image is visible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_mirrored_in_a_second_repository_shows_its_scan_there_too() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let image = |arch: &str| {
        let layer = Layer::builder().file("etc/release", "mirrored").build().unwrap();
        ImageBuilder::new().platform("linux", arch, None).layer(layer, "COPY release /etc/ # buildkit").build(ManifestFormat::Oci)
    };
    let index = shipshape_testkit::BuiltIndex::new(ManifestFormat::Oci, vec![image("amd64"), image("arm64")]);
    index.push(&registry, "web/origin", "1").await.unwrap();
    index.push(&registry, "web/mirror", "1").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    let server = serve(store, &registry.host()).await;
    for repository in ["web/origin", "web/mirror"] {
        let (status, body) = get(&format!("{}/api/v1/scans/{}/{repository}:1", server.base, registry.host())).await;
        assert_eq!(status, 200, "{repository}: {body}");
    }
}
