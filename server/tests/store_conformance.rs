//! One conformance suite, run against SQLite and PostgreSQL: both backends must behave identically.

use app::digest::Digest;
use chrono::{Duration, TimeZone, Utc};
use shipshape::config::DatabaseUrl;
use shipshape::store::{
    self, AdvisoryRecord, ConfigRecord, ImageChain, LayerRecord, ManifestRecord, NewEvent, RepositoryId, SharedStore, TagChange,
    EVENT_JOB, JobOutcome, JobState, NewJob, Visibility, VisibleTo, VulnDbSource,
};
use shipshape_testkit::TestDatabase;

const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const CONFIG: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const L1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const L2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn d(digest: &str) -> Digest {
    Digest::parse(digest).unwrap()
}

fn manifest(digest: &str, layers: &[&str]) -> ManifestRecord {
    ManifestRecord {
        digest: d(digest),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        body: format!("{{\"digest\":\"{digest}\"}}").into_bytes(),
        config_digest: Some(d(CONFIG)),
        layers: layers
            .iter()
            .enumerate()
            .map(|(i, layer)| LayerRecord {
                digest: d(layer),
                media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                size: 1000 * (i as i64 + 1),
            })
            .collect(),
    }
}

async fn conformance(store: SharedStore) {
    store.ping().await.unwrap();
    assert_eq!(store.counts().await.unwrap().repositories, 0, "a new database is empty");

    // Repositories: upsert is idempotent, and private is sticky.
    let repo = store.upsert_repository("docker.io", "library/alpine", Visibility::Public).await.unwrap();
    let again = store.upsert_repository("docker.io", "library/alpine", Visibility::Public).await.unwrap();
    assert_eq!(repo.id, again.id);
    let private = store.upsert_repository("ghcr.io", "o/secret", Visibility::Private).await.unwrap();
    let still = store.upsert_repository("ghcr.io", "o/secret", Visibility::Public).await.unwrap();
    assert_eq!(still.visibility, Visibility::Private, "a repository that needed credentials stays private");
    assert_eq!(store.repository("ghcr.io", "o/secret").await.unwrap().unwrap().id, private.id);
    assert!(store.repository("ghcr.io", "o/none").await.unwrap().is_none());

    // Manifests: content-addressed, stored once, layers in order, shared layers stored once.
    let first = manifest(A, &[L1, L2]);
    store.put_manifest(repo.id, &first).await.unwrap();
    store.put_manifest(repo.id, &first).await.unwrap();
    store.put_manifest(private.id, &manifest(B, &[L1])).await.unwrap();
    assert_eq!(store.manifest(&d(A)).await.unwrap().unwrap(), first);
    assert_eq!(store.manifest(&d(B)).await.unwrap().unwrap().layers[0].digest, L1);
    assert!(store.manifest(&d(CONFIG)).await.unwrap().is_none());
    assert!(store.repository_has_manifest(repo.id, &d(A)).await.unwrap());
    assert!(!store.repository_has_manifest(repo.id, &d(B)).await.unwrap(), "seen only in the private repository");
    assert!(store.repository_has_manifest(private.id, &d(B)).await.unwrap());

    let config = ConfigRecord { digest: d(CONFIG), body: br#"{"os":"linux"}"#.to_vec() };
    store.put_config(&config).await.unwrap();
    store.put_config(&config).await.unwrap();
    assert_eq!(store.config(&d(CONFIG)).await.unwrap().unwrap(), config);

    // Tags: pointers with a history of every period they named a digest.
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let at = |hours| t0 + Duration::hours(hours);
    assert_eq!(store.record_tag(repo.id, "3.20", &d(A), at(0)).await.unwrap(), TagChange::Created);
    assert_eq!(store.record_tag(repo.id, "3.20", &d(A), at(1)).await.unwrap(), TagChange::Unchanged);
    assert_eq!(store.record_tag(repo.id, "3.20", &d(B), at(2)).await.unwrap(), TagChange::Moved { from: d(A) });
    assert_eq!(store.record_tag(repo.id, "3.20", &d(A), at(3)).await.unwrap(), TagChange::Moved { from: d(B) });

    let tag = store.tag(repo.id, "3.20").await.unwrap().unwrap();
    assert_eq!((tag.digest.as_str(), tag.first_seen, tag.checked_at), (A, at(3), at(3)));
    let history = store.tag_history(repo.id, "3.20").await.unwrap();
    let periods: Vec<_> = history.iter().map(|h| (h.digest.as_str(), h.first_seen, h.last_seen)).collect();
    assert_eq!(periods, vec![(A, at(3), at(3)), (B, at(2), at(2)), (A, at(0), at(1))], "newest first");
    assert!(store.tag(repo.id, "edge").await.unwrap().is_none());
    // Each creation and move is an event, written with the tag; a re-check that changed nothing is not.
    let seen: Vec<_> = store.events(0, 100).await.unwrap().into_iter().map(|e| (e.kind, e.detail)).collect();
    let expected = [("tag.created", None, A), ("tag.moved", Some(A), B), ("tag.moved", Some(B), A)]
        .map(|(kind, from, to)| (kind.to_string(), serde_json::json!({"from": from, "to": to})));
    assert_eq!(seen, expected);
    assert!(store.tag_history(private.id, "3.20").await.unwrap().is_empty(), "tags belong to one repository");

    let counts = store.counts().await.unwrap();
    assert_eq!((counts.repositories, counts.manifests, counts.tags), (2, 2, 1));

    // Tags on a digest, for "also tagged" and the version badge.
    store.record_tag(repo.id, "latest", &d(A), at(4)).await.unwrap();
    store.record_tag(repo.id, "edge", &d(B), at(4)).await.unwrap();
    assert_eq!(store.tags_on(repo.id, &d(A)).await.unwrap(), vec!["3.20".to_string(), "latest".into()]);
    assert!(store.tags_on(private.id, &d(A)).await.unwrap().is_empty());

    // Badge tokens: one per repository, replaced on rotation.
    assert!(store.badge_token(private.id).await.unwrap().is_none());
    store.set_badge_token(private.id, "first").await.unwrap();
    store.set_badge_token(private.id, "second").await.unwrap();
    assert_eq!(store.badge_token(private.id).await.unwrap().as_deref(), Some("second"));
    assert!(store.badge_token(repo.id).await.unwrap().is_none());

    tag_deletion(&store, repo.id, at).await;
    advisories_and_analyses(&store, at).await;
    lineage_index(&store, at).await;
}

/// A tag the registry dropped keeps its history, raises `tag.deleted` once, and is created anew
/// when pushed again.
async fn tag_deletion(store: &SharedStore, repo: RepositoryId, at: impl Fn(i64) -> chrono::DateTime<Utc>) {
    let before = store.events(0, 100).await.unwrap().len();
    assert_eq!(store.record_tag_deleted(repo, "edge", at(5)).await.unwrap(), TagChange::Deleted { from: d(B) });
    assert_eq!(store.record_tag_deleted(repo, "edge", at(6)).await.unwrap(), TagChange::Unchanged, "once");
    assert_eq!(store.record_tag_deleted(repo, "never", at(6)).await.unwrap(), TagChange::Unchanged);
    // A deletion seen before the tag's last confirmation (a concurrent view) does not win.
    assert_eq!(store.record_tag_deleted(repo, "latest", at(3)).await.unwrap(), TagChange::Unchanged);
    assert!(store.tag(repo, "edge").await.unwrap().is_none(), "a deleted tag names nothing");
    assert!(store.tags_on(repo, &d(B)).await.unwrap().is_empty());
    assert_eq!(store.live_tags(repo).await.unwrap(), vec!["3.20".to_string(), "latest".into()]);
    assert_eq!(store.tag_history(repo, "edge").await.unwrap().len(), 1, "its history stays");

    assert_eq!(store.record_tag(repo, "edge", &d(B), at(7)).await.unwrap(), TagChange::Created, "pushed again");
    assert_eq!(store.tag(repo, "edge").await.unwrap().unwrap().first_seen, at(7));
    assert_eq!(store.tag_history(repo, "edge").await.unwrap().len(), 2);
    let events = store.events(0, 100).await.unwrap();
    let seen: Vec<_> = events[before..].iter().map(|e| (e.kind.as_str(), e.detail.clone())).collect();
    assert_eq!(
        seen,
        vec![
            ("tag.deleted", serde_json::json!({"from": B, "to": null})),
            ("tag.created", serde_json::json!({"from": null, "to": B})),
        ]
    );
}

/// Advisories replace older versions of themselves only; layer analyses are kept per version.
async fn advisories_and_analyses(store: &SharedStore, at: impl Fn(i64) -> chrono::DateTime<Utc>) {
    let record = |modified, body: &str, name: &str| AdvisoryRecord {
        id: "OSV-1".into(),
        modified,
        body: body.into(),
        packages: vec![("Debian:12".into(), name.into())],
    };
    assert_eq!(store.put_advisories("osv", &[record(at(1), "v1", "openssl")]).await.unwrap(), 1);
    assert_eq!(store.put_advisories("osv", &[record(at(1), "v1 again", "openssl")]).await.unwrap(), 0);
    assert_eq!(store.put_advisories("osv", &[record(at(0), "older", "openssl")]).await.unwrap(), 0);
    assert_eq!(store.put_advisories("osv", &[record(at(2), "v2", "libssl")]).await.unwrap(), 1);
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(store.advisories_for("Debian:12", &names(&["libssl", "zlib"])).await.unwrap(), vec!["v2".to_string()]);
    assert!(store.advisories_for("Debian:12", &names(&["openssl"])).await.unwrap().is_empty(), "packages replaced too");
    assert!(store.advisories_for("Debian:11", &names(&["libssl"])).await.unwrap().is_empty());
    let source = VulnDbSource {
        source: "osv".into(),
        records: 1,
        newest_modified: Some(at(2)),
        imported_at: at(3),
        etag: Some("\"abc\"".into()),
    };
    store.record_vulndb_source(&source).await.unwrap();
    store.record_vulndb_source(&source).await.unwrap();
    assert_eq!(store.vulndb_sources().await.unwrap(), vec![source]);

    assert!(store.layer_analysis(&d(L1), 1).await.unwrap().is_none());
    store.put_layer_analysis(&d(L1), 1, b"one").await.unwrap();
    store.put_layer_analysis(&d(L1), 1, b"again").await.unwrap();
    assert_eq!(store.layer_analysis(&d(L1), 1).await.unwrap().as_deref(), Some(&b"one"[..]));
    assert!(store.layer_analysis(&d(L1), 2).await.unwrap().is_none());

    jobs(store).await;

    store.put_scan_result(&d(A), "{}").await.unwrap();
    store.put_scan_result(&d(A), "{\"again\":1}").await.unwrap();
    assert_eq!(store.scan_result(&d(A)).await.unwrap().unwrap().0, "{\"again\":1}");
    assert_eq!(store.scanned_digests(None, 10).await.unwrap(), [A]);
    assert!(store.scanned_digests(Some(&d(A)), 10).await.unwrap().is_empty());
}

fn job(kind: &str, key: Option<&str>, run_at: chrono::DateTime<Utc>) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload: r#"{"reference":"r@sha256:1"}"#.into(),
        dedupe_key: key.map(String::from),
        priority: 0,
        run_at,
        max_attempts: 3,
    }
}

/// Jobs: one live job per key; claimed once, most urgent first; a lease that runs out lets another
/// worker claim it again, up to the attempt cap; finished rows are pruned.
async fn jobs(store: &SharedStore) {
    let lease = std::time::Duration::from_secs(600);
    let now = Utc::now();
    let first = store.enqueue_job(&job("scan", Some("scan:1"), now)).await.unwrap().unwrap();
    assert!(store.enqueue_job(&job("scan", Some("scan:1"), now)).await.unwrap().is_none(), "one live job per key");
    let later = store.enqueue_job(&job("scan", None, now + Duration::hours(1))).await.unwrap().unwrap();
    let claimed = store.claim_job(&["scan"], "w1", lease).await.unwrap().unwrap();
    assert_eq!((claimed.id, claimed.state, claimed.attempts), (first, JobState::Running, 1));
    assert_eq!(claimed.payload, r#"{"reference":"r@sha256:1"}"#);
    assert!(store.claim_job(&["scan"], "w2", lease).await.unwrap().is_none(), "leased, and the other is not due");
    assert!(store.claim_job(&["other"], "w2", lease).await.unwrap().is_none(), "kinds the worker does not know");
    assert!(store.renew_job(first, "w1", 1, lease).await.unwrap());
    assert!(!store.renew_job(first, "w2", 1, lease).await.unwrap(), "only its worker renews a lease");
    store.job_progress(first, 2, 5).await.unwrap();
    let seen = store.latest_job("scan:1").await.unwrap().unwrap();
    assert_eq!((seen.progress_done, seen.progress_total), (2, 5));

    // A retry is the same job, due later; a failure ends it and frees its key.
    let retry_at = now - Duration::seconds(1);
    let retry = JobOutcome::Retry { error: "registry unreachable", at: retry_at };
    assert!(store.finish_job((first, "w1", 1), retry, None).await.unwrap());
    let queued = store.job(first).await.unwrap().unwrap();
    assert_eq!((queued.state, queued.error.as_deref()), (JobState::Queued, Some("registry unreachable")));
    let again = store.claim_job(&["scan"], "w2", std::time::Duration::ZERO).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (first, 2));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let reclaimed = store.claim_job(&["scan"], "w3", lease).await.unwrap().unwrap();
    assert_eq!((reclaimed.id, reclaimed.attempts), (first, 3), "its worker died: the lease ran out");
    assert!(!store.renew_job(first, "w2", 2, lease).await.unwrap(), "the old worker lost it");
    assert!(!store.finish_job((first, "w2", 2), JobOutcome::Done, None).await.unwrap(), "its outcome is dropped");
    store.release_job(first, "w3", 3).await.unwrap();
    let released = store.job(first).await.unwrap().unwrap();
    assert_eq!((released.state, released.attempts), (JobState::Queued, 2), "handed back: the attempt does not count");
    let last = store.claim_job(&["scan"], "w3", std::time::Duration::ZERO).await.unwrap().unwrap();
    assert_eq!(last.attempts, 3);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(store.claim_job(&["scan"], "w4", lease).await.unwrap().is_none(), "three attempts: no fourth");
    let failed = store.job(first).await.unwrap().unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert!(failed.error.unwrap().contains("3 attempts"));

    // The key is free again; a finished job queues its successor in the same transaction.
    let second = store.enqueue_job(&job("scan", Some("scan:1"), now)).await.unwrap().unwrap();
    let claimed = store.claim_job(&["scan"], "w1", lease).await.unwrap().unwrap();
    assert_eq!(claimed.id, second);
    let next = job("scan", Some("scan:1"), now + Duration::hours(2));
    assert!(store.finish_job((second, "w1", 1), JobOutcome::Done, Some(&next)).await.unwrap());
    let successor = store.latest_job("scan:1").await.unwrap().unwrap();
    assert_eq!((successor.state, successor.run_at.timestamp()), (JobState::Queued, next.run_at.timestamp()));
    assert!(store.run_job_by("scan:1", now).await.unwrap(), "a schedule brought forward");
    assert!(!store.run_job_by("scan:1", now + Duration::hours(3)).await.unwrap(), "never pushed back");
    let live: Vec<i64> = store.live_jobs().await.unwrap().iter().filter(|j| j.kind == "scan").map(|j| j.id).collect();
    assert_eq!(live, vec![successor.id, later]);
    assert_eq!(store.prune_jobs(Utc::now() + Duration::seconds(1)).await.unwrap(), 2, "the failed and the done");
    assert!(store.job(first).await.unwrap().is_none());
}

/// The lineage index: chains, index membership, tags naming an image, events.
async fn lineage_index(store: &SharedStore, at: impl Fn(i64) -> chrono::DateTime<Utc>) {
    const INDEX: &str = "sha256:9999999999999999999999999999999999999999999999999999999999999999";
    const MID: &str = "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
    const APP: &str = "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    let chain = |digest: &str, ids: &[&str], hours| ImageChain {
        manifest_digest: d(digest),
        chain: ids.iter().map(|s| s.to_string()).collect(),
        created: Some(at(hours)),
    };
    store.put_image_chain(&chain(A, &["c1", "c2"], 0)).await.unwrap();
    store.put_image_chain(&chain(A, &["c1", "c2"], 0)).await.unwrap();
    store.put_image_chain(&chain(MID, &["c1", "c2", "c3"], 1)).await.unwrap();
    store.put_image_chain(&chain(APP, &["c1", "c2", "c3", "c4"], 2)).await.unwrap();
    store.put_image_chain(&chain(B, &[], 0)).await.unwrap();
    assert!(store.image_chain(&d(B)).await.unwrap().is_none(), "an image without layers has no chain");

    let base = store.image_chain(&d(A)).await.unwrap().unwrap();
    assert_eq!((base.top_chain.as_str(), base.layer_count, base.created), ("c2", 2, Some(at(0))));
    let mut found = store.images_with_top_chain(&["c1".into(), "c2".into(), "c3".into()]).await.unwrap();
    found.sort_by_key(|i| i.layer_count);
    let found: Vec<_> = found.iter().map(|i| (i.manifest_digest.as_str(), i.layer_count)).collect();
    assert_eq!(found, vec![(A, 2), (MID, 3)]);
    assert!(store.images_with_top_chain(&[]).await.unwrap().is_empty());
    assert_eq!(store.images_built_on("c2", 2).await.unwrap(), vec![MID.to_string(), APP.to_string()]);
    assert_eq!(store.images_built_on("c3", 3).await.unwrap(), vec![APP.to_string()]);
    assert!(store.images_built_on("c4", 4).await.unwrap().is_empty());
    assert!(store.images_built_on("c2", 3).await.unwrap().is_empty(), "a chain ID names one stack height");

    // Tags naming MID through an index: "stable" still does, "edge" moved on.
    store.put_index_children(&d(INDEX), &[d(MID), d(APP)]).await.unwrap();
    store.put_index_children(&d(INDEX), &[d(MID)]).await.unwrap();
    assert_eq!(store.index_children(&d(INDEX)).await.unwrap(), vec![MID.to_string(), APP.to_string()], "sorted");
    // An index as large as a 4 MiB manifest holds: more parameters than one SQLite statement takes.
    let many: Vec<Digest> = (0..25_000u32).map(|i| d(&format!("sha256:{:064x}", i))).collect();
    let large = d(&format!("sha256:{}", "f".repeat(64)));
    store.put_index_children(&large, &many).await.unwrap();
    assert_eq!(store.index_children(&large).await.unwrap().len(), 25_000);
    let repo = store.upsert_repository("docker.io", "library/mid", Visibility::Public).await.unwrap();
    store.record_tag(repo.id, "stable", &d(INDEX), at(10)).await.unwrap();
    store.record_tag(repo.id, "edge", &d(MID), at(10)).await.unwrap();
    store.record_tag(repo.id, "edge", &d(B), at(12)).await.unwrap();
    let mut naming = store.tags_naming(&d(MID), VisibleTo::All).await.unwrap();
    naming.sort_by(|a, b| a.tag.cmp(&b.tag));
    let naming: Vec<_> =
        naming.iter().map(|n| (n.tag.as_str(), n.current_digest.as_str(), n.named_since, n.moved_at)).collect();
    assert_eq!(naming, vec![("edge", B, at(10), Some(at(12))), ("stable", INDEX, at(10), None)]);
    // Back to MID: the latest period counts, and it has not ended.
    store.record_tag(repo.id, "edge", &d(MID), at(14)).await.unwrap();
    let edge = store.tags_naming(&d(MID), VisibleTo::All).await.unwrap().into_iter().find(|n| n.tag == "edge").unwrap();
    assert_eq!((edge.named_since, edge.moved_at), (at(14), None));
    assert!(store.tags_naming(&d(CONFIG), VisibleTo::All).await.unwrap().is_empty());

    // Events are raised once per dedupe key.
    let event = NewEvent {
        kind: "base_updated".into(),
        repository: repo.id,
        tag: Some("stable".into()),
        digest: Some(d(INDEX)),
        detail: serde_json::json!({"base": "docker.io/library/alpine:3.20"}),
        dedupe_key: "base_updated:1".into(),
    };
    assert!(store.raise_event(&event).await.unwrap());
    assert!(!store.raise_event(&event).await.unwrap(), "raising twice is a no-op");
    let events: Vec<_> = store.events(0, 100).await.unwrap().into_iter().filter(|e| e.kind == "base_updated").collect();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind.as_str(), events[0].repository.as_str(), events[0].tag.as_deref()),
        ("base_updated", "library/mid", Some("stable"))
    );
    assert_eq!(events[0].detail["base"], "docker.io/library/alpine:3.20");
    assert!(store.events(events[0].id, 10).await.unwrap().is_empty());
    let reactions = store.live_jobs().await.unwrap();
    assert!(reactions.iter().any(|j| j.kind == EVENT_JOB && j.payload == format!("{{\"event\":{}}}", events[0].id)));
}

#[tokio::test]
async fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/shipshape.db");
    let store = store::open(&DatabaseUrl::Sqlite(path.clone())).await.unwrap();
    assert!(path.exists(), "the database file and its directories are created on first open");
    assert_eq!(store.backend_name(), "SQLite");
    conformance(store).await;
    // Reopening an existing database applies no migration twice and keeps the data.
    let reopened = store::open(&DatabaseUrl::Sqlite(path)).await.unwrap();
    assert_eq!(reopened.counts().await.unwrap().manifests, 2);
}

#[tokio::test]
async fn postgres_store_conforms() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let url = DatabaseUrl::parse(db.url()).unwrap();
    let store = store::open(&url).await.unwrap();
    assert_eq!(store.backend_name(), "PostgreSQL");
    conformance(store.clone()).await;
    let reopened = store::open(&url).await.unwrap();
    assert_eq!(reopened.counts().await.unwrap().manifests, 2);
    drop((store, reopened));
    db.drop_database().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_recording_one_tag_at_once_agree() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let url = DatabaseUrl::parse(db.url()).unwrap();
    let (one, two) = (store::open(&url).await.unwrap(), store::open(&url).await.unwrap());
    let repo = one.upsert_repository("docker.io", "library/busybox", Visibility::Public).await.unwrap();
    let now = Utc::now();
    let results = futures_join((0..8).map(|i| {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        async move { store.record_tag(repo.id, "latest", &d(A), now).await.unwrap() }
    }))
    .await;
    assert_eq!(results.iter().filter(|c| **c == TagChange::Created).count(), 1, "{results:?}");
    assert_eq!(one.tag_history(repo.id, "latest").await.unwrap().len(), 1);
    drop((one, two));
    db.drop_database().await.unwrap();
}

async fn futures_join<F: std::future::Future + Send + 'static>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
