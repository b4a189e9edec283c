//! The assembled HTTP server over both store backends: health check, server-rendered home page,
//! the status server function (context plumbing) and the 404 page.

use shipshape::config::DatabaseUrl;
use shipshape::store::{self, SharedStore};
use shipshape_testkit::TestDatabase;

struct Running {
    base: String,
    _site: tempfile::TempDir,
}

async fn serve(store: SharedStore) -> Running {
    shipshape_testkit::install_crypto_provider();
    let site = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = shipshape::config::Config::from_vars(Vec::new()).unwrap();
    let services = std::sync::Arc::new(shipshape::services::Services::new(store, &config));
    let app = shipshape::serve::router(services, site.path().to_path_buf(), addr);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Running { base: format!("http://{addr}"), _site: site }
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn serves_the_app(store: SharedStore, database: &str) {
    let server = serve(store).await;

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

    // Without JavaScript the form is a GET: the server renders the verdict.
    let (_, html) = get(&format!("{}/?ref=alpine", server.base)).await;
    assert!(html.contains("docker.io/library/alpine:latest"), "{html}");
    let (_, html) = get(&format!("{}/?ref=Alpine%3ALatest", server.base)).await;
    assert!(html.contains("must be lowercase"), "{html}");

    let response = reqwest::Client::new().post(format!("{}/api/status", server.base)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let status: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(status["database"], database);

    let (status, html) = get(&format!("{}/no/such/page", server.base)).await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
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
