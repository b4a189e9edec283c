//! Notifications of other kinds, on the assembled server with its jobs: e-mail through a real SMTP
//! server, what scans and new advisories tell, and a watch's refresh hook.

mod common;

use std::time::Duration;

use common::notify::{Script, push, round, sqlite};
use common::{serve, serve_with};
use serde_json::json;
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, Receiver, TestRegistry};

/// E-mail through a real SMTP server (aiosmtpd): the image named in the subject, text and HTML.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_channel_sends_through_the_operators_smtp_server() {
    let dir = tempfile::tempdir().unwrap();
    let registry = TestRegistry::anonymous().await.unwrap();
    let smtp = shipshape_testkit::SmtpServer::start().await.unwrap();
    push(&registry, "team/app", "1.0", "one").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vars = [
        ("SHIPSHAPE_ALLOW_HOSTS", registry.host()),
        ("SHIPSHAPE_SMTP_URL", smtp.url()),
        ("SHIPSHAPE_SMTP_FROM", "Shipshape <ship@example.test>".to_string()),
    ];
    let server = serve_with(sqlite(&dir).await, listener, &vars).await;
    let alice = Script::for_user(&server, "alice").await;
    let (status, bad) = alice.post("/api/v1/channels", json!({ "name": "mail", "kind": "email", "to": "not an address" })).await;
    assert_eq!(status, 400, "{bad}");
    let (status, made) = alice.post("/api/v1/channels", json!({ "name": "mail", "kind": "email", "to": "alice@example.test" })).await;
    assert_eq!(status, 201, "{made}");
    let channel = made["id"].as_i64().unwrap();
    let repository = format!("{}/team/app", registry.host());
    alice.watch(json!({ "repository": repository, "tag": "1.0", "events": ["tag.updated"], "channels": [channel] })).await;

    push(&registry, "team/app", "1.0", "two").await;
    round(&server).await;
    let messages = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let mail = &messages[0];
    let subject = mail.lines().find(|l| l.starts_with("Subject:")).unwrap_or_default();
    assert!(subject.contains(&format!("{repository}:1.0")), "{subject}");
    assert!(mail.contains("To: alice@example.test") && mail.contains("From: Shipshape <ship@example.test>"), "{mail}");
    assert!(mail.contains("text/plain") && mail.contains("text/html"), "{mail}");
    let (_, log) = alice.get(&format!("/api/v1/deliveries?channel={channel}")).await;
    assert_eq!(log[0]["state"], "delivered", "{log}");
}

/// A scan, and advisories matched later, tell watchers: `scan.completed` after the scan, and
/// `vulnerabilities.found` only for new findings at or above the watch's minimum severity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_findings_are_told_from_the_minimum_severity_on() {
    let dir = tempfile::tempdir().unwrap();
    let registry = TestRegistry::anonymous().await.unwrap();
    let receiver = Receiver::start().await.unwrap();
    let layer = Layer::builder()
        .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", "Package: postgresql-client-11\nStatus: install ok installed\nSource: postgresql-11\nVersion: 11.22-0+deb10u3\n")
        .build()
        .unwrap();
    ImageBuilder::new().layer(layer, "RUN apt-get install postgresql-client-11").build(ManifestFormat::Oci).push(&registry, "web/db", Some("1")).await.unwrap();
    let server = serve(sqlite(&dir).await, &format!("{},{}", registry.host(), receiver.host())).await;
    let alice = Script::for_user(&server, "alice").await;
    let (channel, _) = alice.webhook("ci", &receiver.url("/hook")).await;
    let repository = format!("{}/web/db", registry.host());
    alice
        .watch(json!({ "repository": repository, "tag": "1", "events": ["scan.completed", "vulnerabilities.found"],
                       "min_severity": "high", "channels": [channel] }))
        .await;

    let scans = format!("{}/api/v1/scans/{repository}:1", server.base);
    reqwest::get(&scans).await.unwrap();
    server.jobs.drain().await.unwrap();
    let received = receiver.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].json()["type"], "scan.completed");

    let advisory = |id: &str, severity: &str| {
        format!(
            r#"{{"id":"{id}","modified":"2026-11-01T00:00:00Z","aliases":[],"database_specific":{{"severity":"{severity}"}},
                "affected":[{{"package":{{"ecosystem":"Debian:12","name":"postgresql-11"}},
                "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"11.23-0+deb10u1"}}]}}]}}]}}"#
        )
    };
    let import = async |name: &str, text: String| {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, text).unwrap();
        shipshape::vulndb::import_paths(&server.services.store, name, &[path]).await.unwrap();
        shipshape::jobs::enqueue(&server.services.store, &shipshape::scan::jobs::RematchAll {}).await.unwrap();
        server.jobs.drain().await.unwrap();
    };
    import("low", advisory("DEBIAN-CVE-2099-0001", "low")).await;
    assert_eq!(receiver.received().len(), 1, "a low finding is below the watch's minimum");
    import("critical", advisory("DEBIAN-CVE-2099-0002", "critical")).await;
    let received = receiver.received();
    assert_eq!(received.len(), 2, "{received:?}");
    let body = received[1].json();
    assert_eq!(body["type"], "vulnerabilities.found", "{body}");
    assert_eq!(body["data"]["new_findings"], 1, "only what is new: {body}");
    assert_eq!(body["data"]["findings"][0]["id"], "DEBIAN-CVE-2099-0002", "{body}");
    assert_eq!(body["data"]["findings"][0]["severity"], "critical", "{body}");
}

/// A watch's refresh hook (MicroBadger's build hook): a pipeline POSTs to it after pushing, and
/// the watched tag is re-checked at once; the URL is shown when the watch is made, never again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_hook_rechecks_the_watched_tag_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let registry = TestRegistry::anonymous().await.unwrap();
    let receiver = Receiver::start().await.unwrap();
    push(&registry, "team/app", "1.0", "one").await;
    let server = serve(sqlite(&dir).await, &format!("{},{}", registry.host(), receiver.host())).await;
    let alice = Script::for_user(&server, "alice").await;
    let (channel, _) = alice.webhook("ci", &receiver.url("/hook")).await;
    let repository = format!("{}/team/app", registry.host());
    let (status, made) = alice
        .post("/api/v1/watches", json!({ "repository": repository, "tag": "1.0", "events": ["tag.updated"], "channels": [channel] }))
        .await;
    assert_eq!(status, 201, "{made}");
    let hook = made["refresh_hook"].as_str().unwrap().to_string();
    assert!(hook.starts_with(&format!("{}/api/v1/hooks/shk_", server.base)), "{hook}");
    let (_, listed) = alice.get("/api/v1/watches").await;
    assert!(listed[0]["refresh_hook"].is_null() && !listed.to_string().contains("shk_"), "{listed}");

    let after = push(&registry, "team/app", "1.0", "two").await;
    let client = reqwest::Client::new();
    let called = client.post(&hook).send().await.unwrap();
    assert_eq!(called.status().as_u16(), 202);
    server.jobs.drain().await.unwrap();
    let received = receiver.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].json()["data"]["digest"], after.as_str());
    let wrong = client.post(format!("{}/api/v1/hooks/shk_0000", server.base)).send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 404);
}
