//! Watches and notifications end to end, on SQLite and PostgreSQL: a real registry (its own push
//! notifications too), the assembled server with its job runner, and loopback receivers that check
//! what they get (Standard Webhooks signatures verified by the testkit's own HMAC, not the server's).

mod common;

use std::time::{Duration, Instant};

use common::notify::{Script, postgres, push, round, sqlite};
use common::{serve, serve_with};
use serde_json::json;
use shipshape::store::SharedStore;
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, Receiver, RegistryAuthMode, TestRegistry, verify_standard_webhook};

const EVENTS_TOKEN: &str = "registry-events-secret-0123456789";

async fn tag_updated_reaches_a_signed_webhook_once(store: SharedStore) {
    let registry = TestRegistry::anonymous().await.unwrap();
    let receiver = Receiver::start().await.unwrap();
    let before = push(&registry, "team/app", "1.0", "one").await;
    let server = serve(store, &format!("{},{}", registry.host(), receiver.host())).await;
    let alice = Script::for_user(&server, "alice").await;
    let (channel, secret) = alice.webhook("ci", &receiver.url("/hook")).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let repository = format!("{}/team/app", registry.host());
    alice.watch(json!({ "repository": repository, "tag": "1.0", "events": ["tag.updated"], "channels": [channel] })).await;
    // The secret is shown once: the channel listing has none.
    let (_, channels) = alice.get("/api/v1/channels").await;
    assert!(!channels.to_string().contains(&secret) && channels[0]["secret"].is_null(), "{channels}");

    round(&server).await;
    assert!(receiver.received().is_empty(), "nothing moved yet");

    let after = push(&registry, "team/app", "1.0", "two").await;
    round(&server).await;
    round(&server).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1, "exactly one POST: {received:?}");
    let post = &received[0];
    verify_standard_webhook(&secret, post).unwrap();
    assert_eq!(post.path, "/hook");
    let body = post.json();
    assert_eq!(body["type"], "tag.updated", "{body}");
    assert_eq!(body["data"]["previous_digest"], before.as_str(), "{body}");
    assert_eq!(body["data"]["digest"], after.as_str(), "{body}");
    assert_eq!(body["data"]["repository"], repository.as_str());
    assert_eq!(body["data"]["tag"], "1.0");

    let (status, log) = alice.get(&format!("/api/v1/deliveries?channel={channel}")).await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log[0]["webhook_id"], post.header("webhook-id").unwrap());
    assert_eq!(log[0]["event_type"], "tag.updated");
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["attempts"][0]["response_code"], 200);

    // Another user sees neither the channel's log nor can use the channel.
    let bob = Script::for_user(&server, "bob").await;
    assert_eq!(bob.get(&format!("/api/v1/deliveries?channel={channel}")).await.0, 404);
    let (status, refused) = bob
        .post("/api/v1/watches", json!({ "repository": repository, "events": ["tag.updated"], "channels": [channel] }))
        .await;
    assert_eq!(status, 400, "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_updated_reaches_a_signed_webhook_once_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    tag_updated_reaches_a_signed_webhook_once(sqlite(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_updated_reaches_a_signed_webhook_once_postgres() {
    let Some((_db, store)) = postgres().await else { return };
    tag_updated_reaches_a_signed_webhook_once(store).await;
}

async fn failing_receivers_are_retried_on_schedule(store: SharedStore) {
    let registry = TestRegistry::anonymous().await.unwrap();
    let receiver = Receiver::start().await.unwrap();
    push(&registry, "team/app", "1.0", "one").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vars = [
        ("SHIPSHAPE_ALLOW_HOSTS", format!("{},{}", registry.host(), receiver.host())),
        ("SHIPSHAPE_DELIVERY_SCHEDULE", "0,0,0,0".to_string()),
    ];
    let server = serve_with(store, listener, &vars).await;
    let alice = Script::for_user(&server, "alice").await;
    let (channel, secret) = alice.webhook("ci", &receiver.url("/hook")).await;
    let repository = format!("{}/team/app", registry.host());
    alice.watch(json!({ "repository": repository, "events": ["tag.updated", "tag.created"], "channels": [channel] })).await;

    // Down for three attempts, then up: one message, four attempts, the same webhook-id each time.
    receiver.answer(&[500, 503, 500]);
    push(&registry, "team/app", "1.0", "two").await;
    round(&server).await;
    let received = receiver.received();
    assert_eq!(received.len(), 4, "{received:?}");
    let ids: Vec<&str> = received.iter().map(|r| r.header("webhook-id").unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    for request in &received {
        verify_standard_webhook(&secret, request).unwrap();
    }
    let (_, log) = alice.get(&format!("/api/v1/deliveries?channel={channel}")).await;
    assert_eq!(log[0]["state"], "delivered", "{log}");
    let outcomes: Vec<&str> = log[0]["attempts"].as_array().unwrap().iter().map(|a| a["status"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["retry", "retry", "retry", "delivered"], "{log}");
    assert_eq!(log[0]["attempts"][1]["response_code"], 503);

    // A 4xx other than 408/429 is not retried, and the log says why.
    receiver.answer(&[410]);
    push(&registry, "team/app", "2.0", "three").await;
    round(&server).await;
    assert_eq!(receiver.received().len(), 5);
    let (_, log) = alice.get(&format!("/api/v1/deliveries?channel={channel}")).await;
    assert_eq!(log[0]["event_type"], "tag.created", "{log}");
    assert_eq!(log[0]["state"], "failed", "{log}");
    assert!(log[0]["attempts"][0]["detail"].as_str().unwrap().contains("not retried"), "{log}");

    // Redelivered by hand: the same message again, now taken.
    let failed = log[0]["id"].as_i64().unwrap();
    let (status, _) = alice.post(&format!("/api/v1/deliveries/{failed}/redeliver"), json!({})).await;
    assert_eq!(status, 202);
    server.jobs.drain().await.unwrap();
    let received = receiver.received();
    assert_eq!(received.len(), 6);
    assert_eq!(received[5].header("webhook-id"), received[4].header("webhook-id"));
    let (_, log) = alice.get(&format!("/api/v1/deliveries?channel={channel}")).await;
    assert_eq!(log[0]["state"], "delivered", "{log}");

    // "Send test": sent at once, answered with how it went.
    receiver.answer(&[500]);
    let (status, tested) = alice.post(&format!("/api/v1/channels/{channel}/test"), json!({})).await;
    assert_eq!(status, 200, "{tested}");
    assert_eq!(tested["event_type"], "test");
    assert_eq!(tested["state"], "failed", "a test is not retried: {tested}");
    assert_eq!(tested["attempts"][0]["response_code"], 500);
    // One test every 10 seconds per channel.
    let (status, refused) = alice.post(&format!("/api/v1/channels/{channel}/test"), json!({})).await;
    assert_eq!(status, 409, "{refused}");
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (_, tested) = alice.post(&format!("/api/v1/channels/{channel}/test"), json!({})).await;
    assert_eq!(tested["state"], "delivered", "{tested}");
    verify_standard_webhook(&secret, receiver.received().last().unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_receivers_are_retried_on_schedule_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    failing_receivers_are_retried_on_schedule(sqlite(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_receivers_are_retried_on_schedule_postgres() {
    let Some((_db, store)) = postgres().await else { return };
    failing_receivers_are_retried_on_schedule(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_on_refused_addresses_are_refused_when_saved() {
    let dir = tempfile::tempdir().unwrap();
    let registry = TestRegistry::anonymous().await.unwrap();
    let server = serve(sqlite(&dir).await, &registry.host()).await;
    let alice = Script::for_user(&server, "alice").await;
    for url in ["http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://[::1]:8080/", "http://169.254.169.254/latest"] {
        let (status, refused) = alice.post("/api/v1/channels", json!({ "name": "x", "kind": "webhook", "url": url })).await;
        assert_eq!(status, 403, "{url}: {refused}");
        assert_eq!(refused["error"]["code"], "destination_not_allowed", "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("SHIPSHAPE_ALLOW_HOSTS"), "{refused}");
    }
    let bad = [
        json!({ "name": "x", "kind": "webhook", "url": "ftp://example.com/" }),
        json!({ "name": "x", "kind": "webhook" }),
        json!({ "name": "x", "kind": "pager", "url": "https://example.com/" }),
        json!({ "name": "", "kind": "webhook", "url": "https://example.com/" }),
        json!({ "name": "x", "kind": "email", "to": "someone@example.com" }),
        json!({ "name": "x", "kind": "github_dispatch", "repository": "not a repo", "token": "t" }),
    ];
    for body in bad {
        let (status, refused) = alice.post("/api/v1/channels", body.clone()).await;
        assert_eq!(status, 400, "{body}: {refused}");
    }
    // Without a token: log in first.
    let anonymous = reqwest::Client::new().get(format!("{}/api/v1/channels", server.base)).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

async fn base_moved_dispatches_a_github_rebuild(store: SharedStore) {
    let registry = TestRegistry::anonymous().await.unwrap();
    let github = Receiver::start().await.unwrap();
    let base_layer = Layer::builder().file("etc/os-release", "ID=base\n").build().unwrap();
    let app_layer = Layer::builder().file("app/run", "#!/bin/sh\n").build().unwrap();
    let base = ImageBuilder::new().layer(base_layer.clone(), "ADD rootfs /").build(ManifestFormat::Oci);
    base.push(&registry, "lib/base", Some("1")).await.unwrap();
    let app = ImageBuilder::new()
        .layer(base_layer, "ADD rootfs /")
        .layer(app_layer, "COPY run /app/")
        .build(ManifestFormat::Oci);
    let app_digest = app.push(&registry, "team/app", Some("1.0")).await.unwrap();
    let server = serve(store, &format!("{},{}", registry.host(), github.host())).await;
    let viewer = shipshape::inspect::Viewer::Operator;
    let base_ref = format!("{}/lib/base:1", registry.host());
    server.services.images.inspect(viewer, shipshape::services::ImageQuery::new(&base_ref)).await.unwrap();

    let alice = Script::for_user(&server, "alice").await;
    let (status, made) = alice
        .post(
            "/api/v1/channels",
            json!({ "name": "rebuild", "kind": "github_dispatch", "repository": "acme/app", "token": "ghp_test-token",
                    "event_type": "base-image-updated", "api_url": github.url("/api/v3") }),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert!(made["secret"].is_null() && !made.to_string().contains("ghp_test-token"), "{made}");
    let channel = made["id"].as_i64().unwrap();
    let repository = format!("{}/team/app", registry.host());
    alice.watch(json!({ "repository": repository, "tag": "1.0", "events": ["base.updated"], "channels": [channel] })).await;

    round(&server).await;
    assert!(github.received().is_empty());
    let moved = ImageBuilder::new()
        .layer(Layer::builder().file("etc/os-release", "ID=base\nPATCH=1\n").build().unwrap(), "ADD rootfs /")
        .build(ManifestFormat::Oci);
    let base_now = moved.push(&registry, "lib/base", Some("1")).await.unwrap();
    round(&server).await;
    let received = github.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let dispatch = &received[0];
    assert_eq!(dispatch.path, "/api/v3/repos/acme/app/dispatches");
    assert_eq!(dispatch.header("authorization"), Some("Bearer ghp_test-token"));
    assert_eq!(dispatch.header("accept"), Some("application/vnd.github+json"));
    let body = dispatch.json();
    assert_eq!(body["event_type"], "base-image-updated", "{body}");
    let payload = &body["client_payload"];
    assert_eq!(payload["type"], "base.updated", "{body}");
    assert_eq!(payload["image"], format!("{repository}:1.0"));
    assert_eq!(payload["digest"], app_digest.as_str());
    assert_eq!(payload["base"]["image"], base_ref.as_str(), "{body}");
    assert_eq!(payload["base"]["digest"], base_now.as_str(), "{body}");
    assert!(payload.as_object().unwrap().len() <= 10, "GitHub takes at most 10 top-level keys: {payload}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_moved_dispatches_a_github_rebuild_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    base_moved_dispatches_a_github_rebuild(sqlite(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_moved_dispatches_a_github_rebuild_postgres() {
    let Some((_db, store)) = postgres().await else { return };
    base_moved_dispatches_a_github_rebuild(store).await;
}

/// The registry's own notifications (distribution's `notifications:` endpoint) make the re-check
/// immediate: the receiver hears of a push without any watcher round.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_push_notification_is_delivered_without_waiting_for_a_round() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let events_url = format!("http://{}/api/v1/registry-events", listener.local_addr().unwrap());
    let registry = TestRegistry::with_notifications(RegistryAuthMode::Anonymous, &events_url, EVENTS_TOKEN).await.unwrap();
    push(&registry, "team/app", "1.0", "one").await;
    let vars = [
        ("SHIPSHAPE_ALLOW_HOSTS", format!("{},{}", registry.host(), receiver.host())),
        ("SHIPSHAPE_REGISTRY_EVENTS_TOKEN", EVENTS_TOKEN.to_string()),
        // No round during the test: only the push notification can cause the delivery.
        ("SHIPSHAPE_WATCH_INTERVAL", "3600".to_string()),
    ];
    let server = serve_with(sqlite(&dir).await, listener, &vars).await;
    let alice = Script::for_user(&server, "alice").await;
    let (channel, secret) = alice.webhook("ci", &receiver.url("/hook")).await;
    let repository = format!("{}/team/app", registry.host());
    alice.watch(json!({ "repository": repository, "tag": "1.0", "events": ["tag.updated"], "channels": [channel] })).await;

    // A wrong or missing secret is refused.
    let client = reqwest::Client::new();
    let refused = client.post(&events_url).bearer_auth("wrong-secret-0123456789").body("{}").send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);

    // The job runner as `serve` runs it (the test's other runner, for `drain`, stays unused).
    let config = shipshape::config::Config::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.clone()))).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = tokio::spawn(shipshape::worker::runner(&server.services, &config).run(stopped));
    // The first round (queued at start) finds nothing moved; then the push.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pushed = Instant::now();
    let after = push(&registry, "team/app", "1.0", "two").await;
    let received = receiver.wait_for(1, Duration::from_secs(30)).await;
    let took = pushed.elapsed();
    let _ = stop.send(true);
    let _ = runner.await;
    assert_eq!(received.len(), 1, "{received:?}");
    verify_standard_webhook(&secret, &received[0]).unwrap();
    assert_eq!(received[0].json()["data"]["digest"], after.as_str());
    // Measured, not asserted (the goal is 2 s; a loaded CI machine may take longer).
    eprintln!("push → webhook delivered in {:.2} s", took.as_secs_f64());
}
