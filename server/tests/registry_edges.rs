//! Registry behaviour Debian's docker-registry cannot be made to show: rate limiting and
//! redirects to another host (Docker Hub sends blobs to a CDN). A small axum front stands in for
//! those answers, and forwards to the real registry by redirect where a real one is needed.

use app::reference::ImageReference;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use shipshape::config::Config;
use shipshape::inspect::{InspectError, Viewer};
use shipshape::registry::RegistryError;
use shipshape::services::Services;
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestRegistry};

async fn open_services(allow: &str) -> (Services, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let config = Config::from_vars(vec![
        ("SHIPSHAPE_DATABASE_URL".to_string(), db),
        ("SHIPSHAPE_ALLOW_HOSTS".to_string(), allow.to_string()),
    ])
    .unwrap();
    let store = shipshape::store::open(&config.database_url).await.unwrap();
    (Services::new(store, &config), dir)
}

/// `/v2/limited/…` answers 429, `old/` a schema 1 manifest, `huge/` a 5 MiB manifest, `tampered/`
/// a manifest that is not what its digest says, `misnamed/` a digest header that is no digest;
/// everything else redirects to `target` (the real registry).
async fn front(target: String) -> String {
    let app = Router::new().fallback(move |uri: Uri, _headers: HeaderMap| {
        let target = target.clone();
        async move {
            let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
            if path == "/v2/" {
                return (StatusCode::OK, "{}").into_response();
            }
            if path.starts_with("/v2/old/") {
                // A signed Docker schema 1 manifest, as very old images still have.
                let body = r#"{"schemaVersion":1,"name":"old/app","tag":"v1","architecture":"amd64","fsLayers":[],"history":[],"signatures":[]}"#;
                return Response::builder()
                    .header(header::CONTENT_TYPE, "application/vnd.docker.distribution.manifest.v1+prettyjws")
                    .body(axum::body::Body::from(body))
                    .unwrap();
            }
            if path.starts_with("/v2/huge/") {
                let body = format!(r#"{{"schemaVersion":2,"padding":"{}"}}"#, "x".repeat(5 << 20));
                return Response::builder()
                    .header(header::CONTENT_TYPE, "application/vnd.oci.image.manifest.v1+json")
                    .body(axum::body::Body::from(body))
                    .unwrap();
            }
            if path.starts_with("/v2/tampered/") {
                // Served for a digest it does not hash to.
                return Response::builder()
                    .header(header::CONTENT_TYPE, "application/vnd.oci.image.manifest.v1+json")
                    .body(axum::body::Body::from(r#"{"schemaVersion":2,"config":{"digest":"sha256:00","size":1},"layers":[]}"#))
                    .unwrap();
            }
            if path.starts_with("/v2/misnamed/") {
                return Response::builder()
                    .header(header::CONTENT_TYPE, "application/vnd.oci.image.manifest.v1+json")
                    .header("docker-content-digest", "sha256:not-a-digest")
                    .body(axum::body::Body::from("{}"))
                    .unwrap();
            }
            if path.starts_with("/v2/limited/") {
                let body = r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#;
                return Response::builder()
                    .status(StatusCode::TOO_MANY_REQUESTS)
                    .header(header::RETRY_AFTER, "7")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(axum::body::Body::from(body))
                    .unwrap();
            }
            Response::builder()
                .status(StatusCode::TEMPORARY_REDIRECT)
                .header(header::LOCATION, format!("http://{target}{path}"))
                .body(axum::body::Body::empty())
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr.to_string()
}

#[tokio::test]
async fn rate_limiting_is_reported_with_its_retry_after() {
    let front = front("127.0.0.1:9".into()).await;
    let (services, _dir) = open_services(&front).await;
    let reference = ImageReference::parse(&format!("{front}/limited/app:1")).unwrap();
    let err = services.inspector.inspect(shipshape::inspect::InspectRequest::new(&reference, Viewer::Operator)).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::RateLimited { retry_after: Some(7), .. })), "{err}");
    assert!(err.to_string().contains("retry after 7 s"), "{err}");
}

#[tokio::test]
async fn redirects_are_held_to_the_policy() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let layer = Layer::builder().file("hello", "world").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY hello / # buildkit").build(ManifestFormat::Oci);
    image.push(&registry, "moved/app", Some("v1")).await.unwrap();
    let front = front(registry.host()).await;
    let reference = ImageReference::parse(&format!("{front}/moved/app:v1")).unwrap();

    // Only the front is allowed: following its redirect to another loopback port is refused.
    let (services, _dir) = open_services(&front).await;
    let err = services.inspector.inspect(shipshape::inspect::InspectRequest::new(&reference, Viewer::Operator)).await.unwrap_err();
    assert!(matches!(&err, InspectError::Registry(RegistryError::Net(_))), "{err}");
    assert!(err.to_string().contains(&registry.host()), "names the refused destination: {err}");

    // With both allowed the redirect is followed, and the content still verified.
    let (services, _dir) = open_services(&format!("{front},{}", registry.host())).await;
    let report = services.inspector.inspect(shipshape::inspect::InspectRequest::new(&reference, Viewer::Operator)).await.unwrap();
    assert_eq!(report.digest, image.manifest_digest);
    assert_eq!(report.platforms[0].layers[0].digest, image.layers[0].digest);
}

#[tokio::test]
async fn schema1_oversized_and_tampered_manifests_are_refused() {
    let front = front("127.0.0.1:9".into()).await;
    let (services, _dir) = open_services(&front).await;
    let inspect = async |rest: &str| {
        let reference = ImageReference::parse(&format!("{front}/{rest}")).unwrap();
        services.inspector.inspect(shipshape::inspect::InspectRequest::new(&reference, Viewer::Operator)).await.unwrap_err()
    };
    let err = inspect("old/app:v1").await;
    assert!(matches!(err, InspectError::Registry(RegistryError::Schema1 { .. })), "{err}");
    assert!(err.to_string().contains("re-push"), "{err}");
    let err = inspect("huge/app:v1").await;
    assert!(matches!(err, InspectError::Registry(RegistryError::TooLarge { limit: 4194304, .. })), "{err}");
    let digest = format!("sha256:{}", "a".repeat(64));
    let err = inspect(&format!("tampered/app@{digest}")).await;
    assert!(matches!(err, InspectError::Registry(RegistryError::DigestMismatch { .. })), "{err}");
}

#[tokio::test]
async fn a_digest_header_that_is_no_digest_is_a_protocol_error() {
    let front = front("127.0.0.1:9".into()).await;
    let config = Config::from_vars(vec![("SHIPSHAPE_ALLOW_HOSTS".to_string(), front.clone())]).unwrap();
    let client = shipshape::services::registries(&config).client(&front, None).await.unwrap();
    let err = client.manifest_digest("misnamed/app", "v1").await.unwrap_err();
    assert!(matches!(&err, RegistryError::Protocol { detail, .. } if detail.contains("sha256:not-a-digest")), "{err}");
}
