//! Image pages are served again from memory for a few seconds, to anonymous visitors only; a write
//! through the serving process retires them at once, another process's write is seen after the TTL.

mod common;

use app::digest::Digest;
use common::serve;
use shipshape::config::DatabaseUrl;
use shipshape::store;
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestRegistry};

async fn page(url: &str, cookie: Option<&str>) -> String {
    page_with(url, cookie.map(|c| ("cookie", c))).await
}

async fn page_with(url: &str, header: Option<(&str, &str)>) -> String {
    let mut request = reqwest::Client::new().get(url);
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    // An error page is a 404 (missing or private) or 403 (refused address), and is still a page.
    assert!(matches!(response.status().as_u16(), 200 | 403 | 404), "{}", response.status());
    response.text().await.unwrap()
}

/// The page without its CSP nonce, which each response has its own of (a kept page's included).
fn unstamped(html: &str) -> String {
    let nonce = html.split("nonce=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default();
    if nonce.is_empty() { html.to_string() } else { html.replace(nonce, "NONCE") }
}

#[tokio::test]
async fn a_page_is_kept_until_this_process_writes_and_never_for_signed_in_visitors() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("shipshape.db"));
    let registry = TestRegistry::anonymous().await.unwrap();
    let server = serve(store::open(&url).await.unwrap(), &registry.host()).await;
    let layer = Layer::builder().file("etc/kept", "kept").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY kept /etc/ # buildkit").build(ManifestFormat::Oci);
    image.push(&registry, "kept/app", Some("v1")).await.unwrap();
    let address = format!("{}/images/{}/kept/app:v1", server.base, registry.host());

    let first = page(&address, None).await;
    assert!(first.contains(&image.manifest_digest) && !first.contains("Also tagged"), "{first}");
    let stored = page(&address, None).await;
    let repo = server.services.store.repository(&registry.host(), "kept/app").await.unwrap().unwrap();
    let digest = Digest::parse(&image.manifest_digest).unwrap();

    // Another replica tags the same image: this process sees it after its page TTL.
    let replica = store::open(&url).await.unwrap();
    replica.record_tag(repo.id, "v2", &digest, chrono::Utc::now()).await.unwrap();
    assert_eq!(unstamped(&page(&address, None).await), unstamped(&stored), "served again from memory");
    let signed_in = page(&address, Some("session=x")).await;
    assert!(signed_in.contains("Also tagged") && signed_in.contains("v2"), "a cookie is never served a kept page");

    // This process writes: kept pages are retired at once.
    server.services.store.record_tag(repo.id, "v3", &digest, chrono::Utc::now()).await.unwrap();
    let fresh = page(&address, None).await;
    assert!(fresh.contains("v2, v3"), "{fresh}");
}

#[tokio::test]
async fn error_pages_and_other_origins_are_not_served_to_the_next_visitor() {
    let dir = tempfile::tempdir().unwrap();
    let registry = TestRegistry::anonymous().await.unwrap();
    let server = serve(store::open(&DatabaseUrl::Sqlite(dir.path().join("s.db"))).await.unwrap(), &registry.host()).await;
    let layer = Layer::builder().file("etc/later", "later").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY later /etc/ # buildkit").build(ManifestFormat::Oci);
    image.push(&registry, "kept/app", Some("v1")).await.unwrap();
    let address = format!("{}/images/{}/kept/app:v2", server.base, registry.host());

    // The tag does not exist yet: the error page is rendered, not kept.
    let missing = page(&address, None).await;
    assert!(missing.contains("error-panel"), "{missing}");
    image.push(&registry, "kept/app", Some("v2")).await.unwrap();
    let found = page(&address, None).await;
    assert!(found.contains(&image.manifest_digest) && !found.contains("error-panel"), "{found}");

    // A page asked for under another Host names that host in its badge snippets: kept apart.
    let elsewhere = page_with(&address, Some(("host", "evil.example"))).await;
    assert!(elsewhere.contains("evil.example"), "the snippets name the origin asked under");
    assert!(!page(&address, None).await.contains("evil.example"));
}
