//! Hostile registries against the outbound policy (issue 14, item 5): a public registry pointing
//! Shipshape into allow-listed networks by redirect or token realm, allow-list entries without a
//! port, token and tag-list answers without end, and what a web visitor reads of the failures.
//!
//! "Public" needs an address of this machine that is not loopback or private: the tests that need
//! one find it among the local interfaces (CI's has 192.0.2.2) and say so when there is none.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use app::reference::ImageReference;
use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, Uri, header};
use axum::response::Response;
use shipshape::config::Config;
use shipshape::inspect::{InspectError, InspectRequest, Viewer};
use shipshape::net::NetError;
use shipshape::registry::{RegistryError, TAG_PAGE_LIMIT, TOKEN_LIMIT};
use shipshape::services::{ServiceError, Services};
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestRegistry};

/// An address of this machine outside every restricted range, as a public registry would have.
fn public_address() -> Option<IpAddr> {
    let trie = std::fs::read_to_string("/proc/net/fib_trie").ok()?;
    let lines: Vec<&str> = trie.lines().collect();
    let found = lines.windows(2).find_map(|pair| {
        let ip: IpAddr = pair[0].trim().strip_prefix("|-- ")?.parse().ok()?;
        let local = pair[1].trim() == "/32 host LOCAL";
        (local && shipshape::net::restricted_kind(ip).is_none()).then_some(ip)
    });
    if found.is_none() {
        eprintln!("skipping: this machine has no public-range address to stand in for a public registry");
    }
    found
}

/// An HTTP server on `ip` answering each request with `answer(its own host:port, path and query)`.
async fn server<F>(ip: IpAddr, answer: F) -> String
where
    F: Fn(&str, &str) -> Response + Clone + Send + Sync + 'static,
{
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0)).await.unwrap();
    let own = listener.local_addr().unwrap().to_string();
    let app = Router::new().fallback(move |uri: Uri| {
        let (answer, own) = (answer.clone(), own.clone());
        async move { answer(&own, uri.path_and_query().map_or("/", |p| p.as_str())) }
    });
    let host = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    host
}

fn redirect_to(target: &str, path: &str) -> Response {
    let location = format!("http://{target}{path}");
    Response::builder()
        .status(StatusCode::TEMPORARY_REDIRECT)
        .header(header::LOCATION, location)
        .body(Body::empty())
        .unwrap()
}

fn bearer_challenge(realm: &str) -> Response {
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header(header::WWW_AUTHENTICATE, format!(r#"Bearer realm="{realm}",service="hostile""#))
        .body(Body::from(r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#))
        .unwrap()
}

fn json(status: StatusCode, body: String) -> Response {
    Response::builder().status(status).header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).unwrap()
}

async fn services(vars: &[(&str, &str)]) -> (Services, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let mut all = vec![("SHIPSHAPE_DATABASE_URL".to_string(), db)];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_vars(all).unwrap();
    let store = shipshape::store::open(&config.database_url).await.unwrap();
    (Services::new(store, &config), dir)
}

async fn inspect(services: &Services, reference: &str) -> Result<app::dto::ImageReport, InspectError> {
    let reference = ImageReference::parse(reference).unwrap();
    services.inspector.inspect(InspectRequest::new(&reference, Viewer::Anonymous)).await
}

#[tokio::test]
async fn a_public_registry_cannot_redirect_into_allow_listed_networks() {
    let Some(public_ip) = public_address() else { return };
    let internal = TestRegistry::anonymous().await.unwrap();
    let layer = Layer::builder().file("secret.txt", "internal only").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY secret.txt / # buildkit").build(ManifestFormat::Oci);
    image.push(&internal, "internal/app", Some("v1")).await.unwrap();
    let target = internal.host();
    let forward = move |_: &str, path: &str| redirect_to(&target, path);
    let hostile = server(public_ip, forward.clone()).await;
    // The same redirects from a registry the operator listed: its storage is its own business.
    let listed = server("127.0.0.1".parse().unwrap(), forward).await;
    let allow = format!("{listed},{}", internal.host());
    let (services, _dir) =
        services(&[("SHIPSHAPE_ALLOW_HOSTS", &allow), ("SHIPSHAPE_INSECURE_REGISTRIES", &hostile)]).await;

    let err = inspect(&services, &format!("{hostile}/internal/app:v1")).await.unwrap_err();
    let InspectError::Registry(RegistryError::Net(NetError::NotForRegistry { host, registry, .. })) = &err else {
        panic!("the redirect into the allow-listed registry must be refused: {err}");
    };
    assert_eq!(
        (format!("{host}:{}", internal.host().rsplit_once(':').unwrap().1), registry),
        (internal.host(), &hostile)
    );
    assert!(err.to_string().contains(&format!("If {hostile} is yours, add it there")), "{err}");

    let report = inspect(&services, &format!("{listed}/internal/app:v1")).await.unwrap();
    assert_eq!(
        (report.digest, &report.platforms[0].layers[0].digest),
        (image.manifest_digest.clone(), &image.layers[0].digest)
    );
}

#[tokio::test]
async fn a_public_registry_cannot_send_its_token_realm_into_allow_listed_networks() {
    let Some(public_ip) = public_address() else { return };
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let token_service = server("127.0.0.1".parse().unwrap(), move |_: &str, _: &str| {
        counter.fetch_add(1, Ordering::SeqCst);
        json(StatusCode::OK, r#"{"token":"internal"}"#.into())
    })
    .await;
    // By name, so the operator's message has the address it resolved to and the web's must not.
    let token_service = token_service.replace("127.0.0.1", "localhost");
    let realm = format!("http://{token_service}/token");
    let hostile = server(public_ip, move |_: &str, _: &str| bearer_challenge(&realm)).await;
    let (services, _dir) =
        services(&[("SHIPSHAPE_ALLOW_HOSTS", &token_service), ("SHIPSHAPE_INSECURE_REGISTRIES", &hostile)]).await;

    let err = inspect(&services, &format!("{hostile}/any/app:v1")).await.unwrap_err();
    assert!(matches!(&err, InspectError::Registry(RegistryError::Net(NetError::NotForRegistry { .. }))), "{err}");
    assert_eq!(asked.load(Ordering::SeqCst), 0, "the allow-listed token service was never asked");
    assert!(err.to_string().contains("127.0.0.1") || err.to_string().contains("::1"), "the CLI has it all: {err}");
    let public = ServiceError::from(err).public();
    assert!(public.message.contains(&token_service), "{}", public.message);
    assert!(!public.message.contains("127.0.0.1") && !public.message.contains("::1"), "{}", public.message);
}

/// A front that answers every manifest with a token challenge whose realm sends 1 MiB, and every
/// tag list with 5 MiB of tags.
async fn endless_front() -> String {
    server("127.0.0.1".parse().unwrap(), |own: &str, path: &str| {
        if path.starts_with("/token") {
            return json(StatusCode::OK, format!(r#"{{"token":"{}"}}"#, "t".repeat(1 << 20)));
        }
        if path.contains("/tags/list") {
            let tags: Vec<String> = (0..50_000).map(|i| format!("{i:0>100}")).collect();
            return json(StatusCode::OK, serde_json::json!({ "name": "many/app", "tags": tags }).to_string());
        }
        bearer_challenge(&format!("http://{own}/token"))
    })
    .await
}

#[tokio::test]
async fn token_and_tag_answers_are_read_within_their_limits() {
    let front = endless_front().await;
    let config = Config::from_vars(vec![("SHIPSHAPE_ALLOW_HOSTS".to_string(), front.clone())]).unwrap();
    let client = shipshape::services::registries(&config).client(&front, None).await.unwrap();

    let err = client.manifest("any/app", "v1").await.unwrap_err();
    assert!(matches!(&err, RegistryError::TooLarge { limit, .. } if *limit == TOKEN_LIMIT), "{err}");
    assert!(err.to_string().contains("token realm"), "{err}");
    let err = client.tags("many/app", 100).await.unwrap_err();
    assert!(matches!(&err, RegistryError::TooLarge { limit, .. } if *limit == TAG_PAGE_LIMIT), "{err}");
    assert!(err.to_string().contains("tag list of many/app"), "{err}");
}

#[tokio::test]
async fn a_host_entry_without_a_port_opens_only_the_standard_ports() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let layer = Layer::builder().file("hello", "world").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY hello / # buildkit").build(ManifestFormat::Oci);
    image.push(&registry, "lan/app", Some("v1")).await.unwrap();
    let reference = format!("{}/lan/app:v1", registry.host());

    let (bare, _dir) = services(&[("SHIPSHAPE_ALLOW_HOSTS", "127.0.0.1")]).await;
    let err = inspect(&bare, &reference).await.unwrap_err();
    assert!(matches!(&err, InspectError::Registry(RegistryError::Net(NetError::Refused { .. }))), "{err}");
    assert!(err.to_string().contains(&format!("SHIPSHAPE_ALLOW_HOSTS={}", registry.host())), "{err}");

    let (with_port, _dir) = services(&[("SHIPSHAPE_ALLOW_HOSTS", &registry.host())]).await;
    assert_eq!(inspect(&with_port, &reference).await.unwrap().platforms.len(), 1);
}

#[tokio::test]
async fn the_web_reads_what_to_do_without_upstream_text_or_resolved_addresses() {
    let front = server("127.0.0.1".parse().unwrap(), |_: &str, _: &str| {
        let body = "java.lang.IllegalStateException at db-7.corp.internal:5432 (user=svc_registry)";
        Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR).body(Body::from(body)).unwrap()
    })
    .await;
    // Every registry by name, so that an address in a message can only have come from resolving it.
    let front = front.replace("127.0.0.1", "localhost");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (services, _dir) = services(&[("SHIPSHAPE_ALLOW_HOSTS", &format!("{front},localhost:{closed}"))]).await;

    let cases = [
        (format!("{front}/broken/app:v1"), "db-7.corp.internal"),
        // Not allow-listed: refused before any connection is tried.
        ("localhost:9/x/app:v1".to_string(), "a loopback address"),
        (format!("localhost:{closed}/x/app:v1"), "Connection refused"),
    ];
    for (reference, detail) in cases {
        let err = inspect(&services, &reference).await.unwrap_err();
        assert!(err.to_string().contains(detail), "the operator reads {detail:?}: {err}");
        let public = ServiceError::from(err).public().message;
        for hidden in [detail, "127.0.0.1", "::1"] {
            assert!(!public.contains(hidden), "{reference}: the web must not read {hidden:?}: {public}");
        }
        assert!(public.contains(reference.split('/').next().unwrap()), "names the registry: {public}");
    }
}
