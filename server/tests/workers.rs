//! Background work across processes, as operators deploy it: replicas of `shipshape serve` on one
//! PostgreSQL run each periodic round once; `shipshape worker` alone runs what `serve` queues, and a
//! worker killed mid-scan leaves a scan that the next worker completes, once.

use std::time::{Duration, Instant};

use common::process::{serve, shipshape};
use shipshape::config::DatabaseUrl;
use shipshape::store::{self, JobState, SharedStore};
use shipshape_testkit::{
    Endpoint, Fault, FaultProxy, ImageBuilder, Layer, ManifestFormat, Rule, TestDatabase, TestRegistry,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

#[allow(dead_code)]
mod common;

fn worker(dir: &std::path::Path, vars: &[(&str, String)]) -> Child {
    let mut child = shipshape(dir, "worker", vars).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

async fn until<T>(what: &str, within: Duration, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_run_each_base_indexing_round_once() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let registry = TestRegistry::anonymous().await.unwrap();
    for tag in ["1.0", "1.1", "latest"] {
        let layer = Layer::builder().file("etc/os-release", format!("ID=base\nVERSION_ID={tag}\n")).build().unwrap();
        let image = ImageBuilder::new().layer(layer, "ADD rootfs /").build(ManifestFormat::Oci);
        image.push(&registry, "lib/base", Some(tag)).await.unwrap();
    }
    let before = registry.requests().len();
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("SHIPSHAPE_DATABASE_URL", db.url().to_string()),
        // PostgreSQL deployments must give every replica the same key (serve refuses to start without).
        ("SHIPSHAPE_SECRET_KEY", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=".to_string()),
        ("SHIPSHAPE_ALLOW_HOSTS", registry.host()),
        ("SHIPSHAPE_BASE_IMAGES", format!("{}/lib/base", registry.host())),
        ("SHIPSHAPE_BASE_PLATFORMS", "linux/amd64".into()),
        ("SHIPSHAPE_BASE_INTERVAL", "60".into()),
        // Every round re-checks every tag, so each round asks the registry the same things.
        ("SHIPSHAPE_TAG_TTL", "0".into()),
    ];
    let (one, _) = serve(dir.path(), &vars).await;
    let (two, _) = serve(dir.path(), &vars).await;
    tokio::time::sleep(Duration::from_secs(180)).await;
    drop((one, two));

    let requests = registry.requests().split_off(before);
    let listings = requests.iter().filter(|r| r.starts_with("GET /v2/lib/base/tags/list")).count();
    let store = store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap();
    let rounds = finished_rounds(&store).await;
    assert!((3..=4).contains(&rounds), "3 minutes at a 60 s interval: {rounds} rounds");
    assert_eq!(listings, rounds, "each round lists the tags once, whichever replica runs it: {requests:#?}");
    for tag in ["1.0", "1.1", "latest"] {
        let checks = requests.iter().filter(|r| r.ends_with(&format!("/v2/lib/base/manifests/{tag}"))).count();
        assert_eq!(checks, rounds, "one look at {tag} per round: {requests:#?}");
    }
    drop(store);
    db.drop_database().await.unwrap();
}

async fn finished_rounds(store: &SharedStore) -> usize {
    let live = store.live_jobs().await.unwrap();
    assert_eq!(live.iter().filter(|j| j.kind == "index_known_bases").count(), 1, "the next round is queued, once");
    // Every round is a job row; the finished ones are the rounds that ran.
    let mut rounds = 0;
    let mut id = live.iter().find(|j| j.kind == "index_known_bases").unwrap().id;
    while id > 1 {
        id -= 1;
        if let Some(job) = store.job(id).await.unwrap()
            && job.kind == "index_known_bases"
        {
            assert_eq!(job.state, JobState::Done, "{job:?}");
            rounds += 1;
        }
    }
    rounds
}

/// Layers of incompressible bytes, served slowly (see the test), so a scan is still reading them
/// when its worker is stopped: each layer's analysis is cached once read, and a worker that found
/// them all cached would finish before the test saw it running.
fn heavy_image() -> shipshape_testkit::BuiltImage {
    let mut builder = ImageBuilder::new();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for n in 0..6 {
        let bytes: Vec<u8> = (0..4 << 20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let layer = Layer::builder().file(&format!("data/blob{n}"), bytes).build().unwrap();
        builder = builder.layer(layer, &format!("COPY blob{n} /data/"));
    }
    builder.build(ManifestFormat::Oci)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_alone_runs_queued_scans_and_one_killed_mid_scan_is_completed_once() {
    let upstream = TestRegistry::anonymous().await.unwrap();
    let image = heavy_image();
    image.push(&upstream, "team/heavy", Some("1")).await.unwrap();
    // 1 MiB a second per layer read: a scan takes seconds whatever the machine's speed.
    let registry = FaultProxy::start(&upstream).await.unwrap();
    registry.set_rules(vec![
        Rule::new(Fault::Trickle { chunk: 100 << 10, every: Duration::from_millis(100) }).on(Endpoint::Blobs),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("shipshape.db");
    let vars = [
        ("SHIPSHAPE_DATABASE_URL", format!("sqlite://{}", database.display())),
        ("SHIPSHAPE_ALLOW_HOSTS", registry.host()),
        ("SHIPSHAPE_BASE_IMAGES", String::new()),
    ];
    let mut serve_vars = vars.to_vec();
    serve_vars.push(("SHIPSHAPE_WORKER", "false".into()));
    let (_server, url) = serve(dir.path(), &serve_vars).await;

    // A visitor asks for the scan: `serve` queues it, and runs nothing itself.
    let scan_url = format!("{url}/api/v1/scans/{}/team/heavy:1", registry.host());
    let summary: serde_json::Value = reqwest::get(&scan_url).await.unwrap().json().await.unwrap();
    assert_eq!(summary["state"], "queued", "{summary}");
    let store = store::open(&DatabaseUrl::Sqlite(database.clone())).await.unwrap();
    let key = format!("scan:{}", image.manifest_digest);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(store.latest_job(&key).await.unwrap().unwrap().state, JobState::Queued, "serve runs no jobs");

    // A worker stopped gracefully mid-scan hands the job back: that attempt does not count.
    let mut first = worker(dir.path(), &vars);
    running(&store, &key).await;
    let pid = first.id().unwrap() as i32;
    std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    first.wait().await.unwrap();
    let handed_back = store.latest_job(&key).await.unwrap().unwrap();
    assert_eq!((handed_back.state, handed_back.attempts), (JobState::Queued, 0), "{handed_back:?}");

    // A worker killed mid-scan leaves the job leased to no one...
    let mut second = worker(dir.path(), &vars);
    running(&store, &key).await;
    second.kill().await.unwrap();
    let orphaned = store.latest_job(&key).await.unwrap().unwrap();
    assert_eq!((orphaned.state, orphaned.attempts), (JobState::Running, 1));

    // ...until its lease runs out, and the next worker completes it.
    let _third = worker(dir.path(), &vars);
    let done = until("the scan completes", Duration::from_secs(240), async || {
        store.latest_job(&key).await.unwrap().filter(|j| !j.state.is_live())
    })
    .await;
    assert_eq!((done.state, done.attempts, done.id), (JobState::Done, 2, orphaned.id), "{done:?}");
    let summary: serde_json::Value = reqwest::get(&scan_url).await.unwrap().json().await.unwrap();
    assert_eq!((summary["state"].as_str(), summary["layers_total"].as_u64()), (Some("done"), Some(6)), "{summary}");
    assert!(store.live_jobs().await.unwrap().iter().all(|j| j.kind != "scan"), "scanned once, nothing queued again");
}

async fn running(store: &SharedStore, key: &str) {
    until("the worker claims the scan", Duration::from_secs(60), async || {
        store.latest_job(key).await.unwrap().filter(|j| j.state == JobState::Running).map(|_| ())
    })
    .await;
}
