//! Notifications across processes, as operators run them: a `serve` killed with SIGKILL after an
//! event is stored and before anything is sent loses nothing (the next one sends it, once), and
//! two replicas on one PostgreSQL deliver every event exactly once.

use std::collections::BTreeSet;
use std::time::Duration;

use common::process::serve;
use serde_json::{Value, json};
use shipshape::auth::Scope;
use shipshape::config::{Config, DatabaseUrl};
use shipshape::services::Services;
use shipshape::store;
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, Receiver, TestDatabase, TestRegistry, verify_standard_webhook};

#[allow(dead_code)]
mod common;

const KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

async fn push(registry: &TestRegistry, repository: &str, tag: &str, text: &str) -> String {
    let layer = Layer::builder().file("etc/release", text).build().unwrap();
    let image = ImageBuilder::new().layer(layer, "ADD release /etc/").build(ManifestFormat::Oci);
    image.push(registry, repository, Some(tag)).await.unwrap()
}

/// A write token for a new user `alice` in the database at `url`.
async fn alice_token(url: &str) -> String {
    let store = store::open(&DatabaseUrl::parse(url).unwrap()).await.unwrap();
    let services = Services::new(store, &Config::from_vars(Vec::new()).unwrap());
    services.accounts.create_user("alice", "correct horse battery", false).await.unwrap();
    services.accounts.create_token_for("alice", "ci", Scope::Write).await.unwrap().1
}

async fn post(base: &str, token: &str, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new().post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 201, "{path}");
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stored_by_a_killed_server_is_delivered_once_after_restart() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let receiver = Receiver::start().await.unwrap();
    push(&registry, "team/app", "1.0", "one").await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shipshape.db", dir.path().display());
    let vars = |worker: &str| {
        vec![
            ("SHIPSHAPE_DATABASE_URL", url.clone()),
            ("SHIPSHAPE_SECRET_KEY", KEY.to_string()),
            ("SHIPSHAPE_ALLOW_HOSTS", format!("{},{}", registry.host(), receiver.host())),
            // Every look at the tag asks the registry: the page view below sees the push.
            ("SHIPSHAPE_TAG_TTL", "0".to_string()),
            ("SHIPSHAPE_WORKER", worker.to_string()),
        ]
    };
    // The first server runs no jobs: what it stores is never sent by it.
    let (mut first, base) = serve(dir.path(), &vars("false")).await;
    let token = alice_token(&url).await;
    let channel = post(&base, &token, "/api/v1/channels", json!({ "name": "ci", "kind": "webhook", "url": receiver.url("/hook") })).await;
    let secret = channel["secret"].as_str().unwrap().to_string();
    let repository = format!("{}/team/app", registry.host());
    post(&base, &token, "/api/v1/watches", json!({ "repository": repository, "tag": "1.0", "events": ["tag.updated"], "channels": [channel["id"]] })).await;

    let after = push(&registry, "team/app", "1.0", "two").await;
    let seen = reqwest::get(format!("{base}/api/v1/images/{repository}:1.0")).await.unwrap();
    assert_eq!(seen.status().as_u16(), 200);
    let store = store::open(&DatabaseUrl::parse(&url).unwrap()).await.unwrap();
    let events = store.events(0, 100).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "tag.moved"), "the move is stored: {events:?}");
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    assert!(receiver.received().is_empty());

    let (_second, _) = serve(dir.path(), &vars("true")).await;
    let received = receiver.wait_for(1, Duration::from_secs(60)).await;
    assert_eq!(received.len(), 1, "delivered after the restart");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1, "and only once: {received:?}");
    verify_standard_webhook(&secret, &received[0]).unwrap();
    let body = received[0].json();
    assert_eq!((body["type"].as_str(), body["data"]["digest"].as_str()), (Some("tag.updated"), Some(after.as_str())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_deliver_every_event_once() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let registry = TestRegistry::anonymous().await.unwrap();
    let receiver = Receiver::start().await.unwrap();
    push(&registry, "team/app", "1.0", "one").await;
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("SHIPSHAPE_DATABASE_URL", db.url().to_string()),
        ("SHIPSHAPE_SECRET_KEY", KEY.to_string()),
        ("SHIPSHAPE_ALLOW_HOSTS", format!("{},{}", registry.host(), receiver.host())),
        ("SHIPSHAPE_WATCH_INTERVAL", "5".to_string()),
        ("SHIPSHAPE_BASE_IMAGES", String::new()),
    ];
    let (_one, base) = serve(dir.path(), &vars).await;
    let (_two, _) = serve(dir.path(), &vars).await;
    let token = alice_token(db.url()).await;
    let channel = post(&base, &token, "/api/v1/channels", json!({ "name": "ci", "kind": "webhook", "url": receiver.url("/hook") })).await;
    let repository = format!("{}/team/app", registry.host());
    post(&base, &token, "/api/v1/watches", json!({ "repository": repository, "events": ["tag.created", "tag.updated"], "channels": [channel["id"]] })).await;

    push(&registry, "team/app", "1.0", "two").await;
    for tag in ["2.0", "3.0", "4.0"] {
        push(&registry, "team/app", tag, tag).await;
    }
    let received = receiver.wait_for(4, Duration::from_secs(90)).await;
    assert_eq!(received.len(), 4, "{received:?}");
    // Two more rounds of each replica: nothing is sent again.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let received = receiver.received();
    let ids: BTreeSet<&str> = received.iter().map(|r| r.header("webhook-id").unwrap()).collect();
    assert_eq!((received.len(), ids.len()), (4, 4), "each event once: {received:?}");
    let mut types: Vec<String> = received.iter().map(|r| r.json()["type"].as_str().unwrap().to_string()).collect();
    types.sort();
    assert_eq!(types, ["tag.created", "tag.created", "tag.created", "tag.updated"]);
}
