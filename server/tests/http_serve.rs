//! The assembled HTTP server over both store backends: health check, server-rendered home page,
//! the status server function (context plumbing) and the footer it fills, and the 404 page.

mod common;

use common::{Running, serve};
use shipshape::config::DatabaseUrl;
use shipshape::store::{self, SharedStore};
use shipshape_testkit::{BuiltImage, ImageBuilder, Layer, ManifestFormat, TestDatabase, TestRegistry};

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn serves_the_app(store: SharedStore, database: &str) {
    let registry = TestRegistry::anonymous().await.unwrap();
    let server = serve(store, &registry.host()).await;

    let (status, body) = get(&format!("{}/healthz", server.base)).await;
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((health["status"].as_str(), health["database"].as_str()), (Some("ok"), Some(database)));

    let (status, html) = get(&format!("{}/", server.base)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Explore any container image"), "{html}");
    assert!(
        html.contains("/pkg/shipshape.js") && html.contains("/pkg/shipshape.css"),
        "hydration scripts and styles linked"
    );
    assert!(html.contains(&format!("· {database} ·")), "footer shows the backend: {html}");
    footer_counts_what_is_stored_in_words(&server, &registry).await;

    // Without JavaScript the form is a GET: a valid reference opens its page, an invalid one
    // renders the reason.
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = no_redirects.get(format!("{}/?ref=alpine", server.base)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/images/docker.io/library/alpine:latest");
    let (_, html) = get(&format!("{}/?ref=Alpine%3ALatest", server.base)).await;
    assert!(html.contains("must be lowercase"), "{html}");

    let response = reqwest::Client::new().post(format!("{}/api/status", server.base)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let status: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(status["database"], database);

    let (status, html) = get(&format!("{}/no/such/page", server.base)).await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));

    serves_the_api(&server, &registry).await;
}

/// The footer counts what is stored, in words. (On an image's very first server-rendered view the
/// count may still be read before that view's inspection stored it: the footer's resource races the
/// page's on the server; the next view, or the hydrated page, counts it.)
async fn footer_counts_what_is_stored_in_words(server: &Running, registry: &TestRegistry) {
    let layer = Layer::builder().file("etc/first", "first view").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY first /etc/ # buildkit").build(ManifestFormat::Oci);
    image.push(registry, "footer/first", Some("1")).await.unwrap();
    let page = format!("{}/images/{}/footer/first:1", server.base, registry.host());
    let (status, html) = get(&page).await;
    assert_eq!(status, 200, "{html}");
    let (_, html) = get(&page).await;
    let response = reqwest::Client::new().post(format!("{}/api/status", server.base)).send().await.unwrap();
    let stored: app::dto::ServerStatus = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert!(stored.repositories >= 1 && stored.manifests >= 1, "{stored:?}");
    let footer = app::components::layout::status_line(&stored);
    assert!(html.contains(&footer), "the footer should say {footer:?}: {html}");
}

async fn serves_the_api(server: &Running, registry: &TestRegistry) {
    let layer = Layer::builder().file("etc/motd", "hi").build().unwrap();
    let image =
        ImageBuilder::new().layer(layer, "COPY motd /etc/ # buildkit").user("app").build(ManifestFormat::Docker);
    for tag in ["1.0", "1.1", "2.0"] {
        image.push(registry, "api/app", Some(tag)).await.unwrap();
    }
    let host = registry.host();
    let report = image_report(server, &host, &image).await;
    let tags = tags_a_page_at_a_time(server, &host, &image).await;
    errors_say_what_went_wrong(server, &host).await;
    pages_render_on_the_server(server, &host).await;
    let moved = a_derived_image_says_rebuild(server, registry, &image).await;
    let responses = [
        ("ImageReport", &report),
        ("PlatformImage", &report["platforms"][0]),
        ("RepositoryTags", &tags),
        ("Lineage", &moved),
        ("Ancestor", &moved["chain"][0]),
    ];
    required_fields_are_in_responses(server, &responses).await;
}

async fn image_report(server: &Running, host: &str, image: &BuiltImage) -> serde_json::Value {
    let (status, body) = get(&format!("{}/api/v1/images/{host}/api/app:1.0", server.base)).await;
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["digest"], image.manifest_digest);
    assert_eq!(report["platforms"][0]["user"], "app");
    assert_eq!(report["platforms"][0]["layers"][0]["instruction"], "COPY motd /etc/");
    report
}

async fn tags_a_page_at_a_time(server: &Running, host: &str, image: &BuiltImage) -> serde_json::Value {
    let response = reqwest::get(format!("{}/api/v1/repositories/{host}/api/app/tags?n=2", server.base)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{:?}", response.text().await);
    let link = response.headers()["link"].to_str().unwrap().to_string();
    assert_eq!(link, format!("</api/v1/repositories/{host}/api/app/tags?n=2&last=1.1>; rel=\"next\""));
    let tags: serde_json::Value = response.json().await.unwrap();
    assert_eq!(tags["total"], 3);
    assert_eq!(tags["tags"][1]["name"], "1.1");
    assert_eq!(tags["tags"][1]["digest"], image.manifest_digest);
    tags
}

/// Each failure has its status and a machine-readable code with a message.
async fn errors_say_what_went_wrong(server: &Running, host: &str) {
    for (path, status, code) in [
        (format!("{host}/api/app:9.9"), 404, "manifest_not_found"),
        // A missing repository reads as a private one (which it may be, to anyone without credentials).
        (format!("{host}/api/nothing:1"), 404, "not_found_or_private"),
        ("127.0.0.2:5000/x/y:1".to_string(), 403, "destination_not_allowed"),
        ("Bad Ref".to_string(), 400, "invalid_reference"),
        (format!("{host}/api/app:1.0?platform=linux"), 400, "invalid_platform"),
    ] {
        let (got, body) = get(&format!("{}/api/v1/images/{path}", server.base)).await;
        assert_eq!(got, status, "{path}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], code, "{path}");
        assert!(!error["error"]["message"].as_str().unwrap().is_empty());
    }
}

/// The pages render on the server: layers, user and tags are in the HTML.
async fn pages_render_on_the_server(server: &Running, host: &str) {
    let (status, html) = get(&format!("{}/images/{host}/api/app:1.0", server.base)).await;
    assert_eq!(status, 200);
    assert!(html.contains("COPY motd /etc/") && html.contains(r#"data-testid="user-badge""#), "{html}");
    let (status, html) = get(&format!("{}/images/{host}/api/app", server.base)).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches(r#"data-testid="tag-row""#).count(), 3, "{html}");
}

/// Lineage: an image built on api/app names it as its base; once api/app:1.0 is rebuilt and
/// re-checked, the derived image's API answer and its page say "rebuild". Returns its lineage.
async fn a_derived_image_says_rebuild(server: &Running, registry: &TestRegistry, image: &BuiltImage) -> serde_json::Value {
    let host = registry.host();
    let extra = Layer::builder().file("srv/extra", "extra").build().unwrap();
    let motd = image.layers[0].clone();
    let derived = ImageBuilder::new()
        .layer(motd, "COPY motd /etc/ # buildkit")
        .layer(extra, "COPY extra /srv/ # buildkit")
        .build(ManifestFormat::Oci);
    derived.push(registry, "api/derived", Some("1")).await.unwrap();
    let lineage_of = |body: &str| -> serde_json::Value {
        let report: serde_json::Value = serde_json::from_str(body).unwrap();
        report["platforms"][0]["lineage"].clone()
    };
    let (status, body) = get(&format!("{}/api/v1/images/{host}/api/derived:1", server.base)).await;
    assert_eq!(status, 200, "{body}");
    let lineage = lineage_of(&body);
    assert_eq!(lineage["base"]["digest"], image.manifest_digest, "{lineage}");
    assert!(lineage["base"]["reference"].as_str().unwrap().starts_with(&format!("{host}/api/app:")));
    assert_eq!((lineage["own_layers"].as_u64(), lineage["base_moved"].as_bool()), (Some(1), Some(false)));
    let rebuilt = ImageBuilder::new()
        .layer(Layer::builder().file("etc/motd", "hello again").build().unwrap(), "COPY motd /etc/ # buildkit")
        .build(ManifestFormat::Docker);
    rebuilt.push(registry, "api/app", Some("1.0")).await.unwrap();
    let (status, _) = get(&format!("{}/api/v1/images/{host}/api/app:1.0?refresh=true", server.base)).await;
    assert_eq!(status, 200);
    let (_, body) = get(&format!("{}/api/v1/images/{host}/api/derived:1", server.base)).await;
    let moved = lineage_of(&body);
    assert_eq!(
        (moved["base_moved"].as_bool(), moved["base"]["reference"].as_str()),
        (Some(true), Some(format!("{host}/api/app:1.0").as_str())),
        "{moved}"
    );
    assert!(moved["base_moved_at"].is_string());
    let (_, html) = get(&format!("{}/images/{host}/api/derived:1", server.base)).await;
    assert!(html.contains(r#"data-testid="base-moved""#) && html.contains("rebuild"), "{html}");
    assert_eq!(html.matches(r#"data-testid="ancestor""#).count(), 1);
    moved
}

/// Every field the OpenAPI schema calls required is in the real response.
async fn required_fields_are_in_responses(server: &Running, responses: &[(&str, &serde_json::Value)]) {
    let (status, body) = get(&format!("{}/api/v1/openapi.json", server.base)).await;
    assert_eq!(status, 200);
    let spec: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let schemas = &spec["components"]["schemas"];
    for (schema, value) in responses {
        for field in schemas[schema]["required"].as_array().unwrap() {
            assert!(value.get(field.as_str().unwrap()).is_some(), "{schema}.{field} missing from the response");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    serves_the_app(store, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_on_postgres() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let store = store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap();
    serves_the_app(store, "PostgreSQL").await;
    db.drop_database().await.unwrap();
}
