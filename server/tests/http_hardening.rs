//! The HTTP surface against hostile visitors, over the real accept loop `serve` runs: every answer
//! carries the security headers (a page's policy names the nonce its inline scripts carry, a kept
//! page's included), a request head sent slowly is cut off, connections and scan event streams are
//! bounded, and a stream on which nothing happens ends.

use std::sync::Arc;
use std::time::Duration;

use shipshape::config::{Config, DatabaseUrl};
use shipshape::http::Limits;
use shipshape::services::Services;
use shipshape::store::{self, SharedStore};
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestDatabase, TestRegistry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Long enough for anything that should happen; reaching it fails the test.
const PATIENCE: Duration = Duration::from_secs(30);

/// Every wait is bounded: a server that stops answering fails the test naming what it was asked,
/// instead of holding the run until CI's own limit.
async fn within<T>(what: &str, work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, work).await.unwrap_or_else(|_| panic!("nothing in {PATIENCE:?}: {what}"))
}

async fn get(url: &str) -> reqwest::Response {
    within(url, reqwest::get(url)).await.unwrap()
}

struct Server {
    base: String,
    addr: std::net::SocketAddr,
    store: SharedStore,
    _site: tempfile::TempDir,
}

/// `shipshape serve` as `run` assembles it, with `limits`, on a loopback port.
async fn start(store: SharedStore, allow_hosts: &str, limits: Limits) -> Server {
    shipshape_testkit::install_crypto_provider();
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config::from_vars(vec![
        ("SHIPSHAPE_ALLOW_HOSTS".to_string(), allow_hosts.to_string()),
        ("SHIPSHAPE_LISTEN".to_string(), addr.to_string()),
    ])
    .unwrap();
    let services = Arc::new(Services::new(store.clone(), &config));
    let app = shipshape::serve::router_with(services, site.path().to_path_buf(), &config, &limits);
    tokio::spawn(async move { shipshape::http::listen::serve(listener, app, &limits, std::future::pending()).await });
    Server { base: format!("http://{addr}"), addr, store, _site: site }
}

async fn sqlite() -> (tempfile::TempDir, DatabaseUrl) {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("shipshape.db"));
    (dir, url)
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).map_or("", |v| v.to_str().unwrap())
}

fn assert_hardened(response: &reqwest::Response, what: &str) {
    assert_eq!(header(response, "x-frame-options"), "DENY", "{what}");
    assert_eq!(header(response, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(response, "referrer-policy"), "strict-origin-when-cross-origin", "{what}");
    assert!(header(response, "content-security-policy").contains("default-src"), "{what}");
}

/// A page's answer: its policy's nonce, which must be the one on every inline script of the page.
async fn page_nonce(url: &str) -> (String, String) {
    let response = get(url).await;
    assert_eq!(response.status().as_u16(), 200, "{url}");
    assert_hardened(&response, url);
    let policy = header(&response, "content-security-policy").to_string();
    for directive in ["script-src 'self' 'nonce-", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"] {
        assert!(policy.contains(directive), "{url}: {policy}");
    }
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap().to_string();
    let html = within(url, response.text()).await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts >= 1, "the hydration bootstrap is inline: {html}");
    assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "every inline script: {html}");
    (nonce, html)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_hardened_on_sqlite() {
    let (_dir, url) = sqlite().await;
    every_answer_is_hardened(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_hardened_on_postgres() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    every_answer_is_hardened(DatabaseUrl::parse(db.url()).unwrap()).await;
    db.drop_database().await.unwrap();
}

async fn every_answer_is_hardened(url: DatabaseUrl) {
    let registry = TestRegistry::anonymous().await.unwrap();
    let layer = Layer::builder().file("etc/motd", "hello").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY motd /etc/ # buildkit").build(ManifestFormat::Oci);
    image.push(&registry, "hard/app", Some("1")).await.unwrap();
    let server = start(store::open(&url).await.unwrap(), &registry.host(), Limits::default()).await;
    let host = registry.host();

    let (home, _) = page_nonce(&format!("{}/", server.base)).await;
    let (again, _) = page_nonce(&format!("{}/", server.base)).await;
    assert_ne!(home, again, "a nonce per response");

    let api = get(&format!("{}/api/v1/images/{host}/hard/app:1", server.base)).await;
    assert_eq!(api.status().as_u16(), 200);
    assert_hardened(&api, "API");
    assert!(header(&api, "content-security-policy").starts_with("default-src 'none'"), "nothing runs in JSON");
    let badge = get(&format!("{}/badges/image/{host}/hard/app:1.svg", server.base)).await;
    assert!(header(&badge, "content-type").starts_with("image/svg+xml"));
    assert_hardened(&badge, "badge");
    assert_eq!(header(&badge, "content-security-policy"), "default-src 'none'; style-src 'unsafe-inline'");
    let file = get(&format!("{}/favicon.svg", server.base)).await;
    assert_eq!(file.status().as_u16(), 200);
    assert_hardened(&file, "static file");
    let missing = get(&format!("{}/no/such/page", server.base)).await;
    assert_eq!(missing.status().as_u16(), 404);
    assert!(header(&missing, "content-security-policy").contains("'nonce-"), "the not-found page hydrates too");
    // A body larger than the limit is refused from its length alone, before it is read.
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"POST /api/status HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n").await.unwrap();
    let mut head = [0u8; 12];
    within("a 2 MiB body's answer", tcp.read_exact(&mut head)).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 413", "a request body is bounded");

    a_kept_page_gets_each_response_nonce(&server, &url, &host, &image.manifest_digest).await;
}

/// The page cache answers a kept page with the current response's nonce, never the one a previous
/// visitor saw (which would let an injection that read it run).
async fn a_kept_page_gets_each_response_nonce(server: &Server, url: &DatabaseUrl, host: &str, digest: &str) {
    let address = format!("{}/images/{host}/hard/app:1", server.base);
    page_nonce(&address).await;
    let (kept, _) = page_nonce(&address).await;
    // Another replica tags the image: a page served from memory does not show it yet.
    let repo = server.store.repository(host, "hard/app").await.unwrap().unwrap();
    let replica = store::open(url).await.unwrap();
    let digest = app::digest::Digest::parse(digest).unwrap();
    replica.record_tag(repo.id, "from-a-replica", &digest, chrono::Utc::now()).await.unwrap();
    let (replayed, html) = page_nonce(&address).await;
    assert!(!html.contains("from-a-replica"), "served from memory: {html}");
    assert_ne!(replayed, kept, "a kept page is sent with a fresh nonce");
    assert!(!html.contains(&kept), "the nonce it was rendered with is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_sent_slowly_is_cut_off() {
    let (_dir, url) = sqlite().await;
    let limits = Limits { header_read_timeout: Duration::from_millis(500), ..Limits::default() };
    let server = start(store::open(&url).await.unwrap(), "", limits).await;

    // Slowloris: a header line every 100 ms, never the blank line that ends the head.
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let (mut reading, mut writing) = tcp.into_split();
    let trickle = tokio::spawn(async move {
        for n in 0.. {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writing.write_all(format!("X-Slow-{n}: a\r\n").as_bytes()).await.is_err() {
                return n;
            }
        }
        unreachable!()
    });
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, reading.read_to_end(&mut answer)).await;
    assert!(closed.is_ok(), "the server still holds a connection whose head never ends");
    let answer = String::from_utf8_lossy(&answer);
    assert!(!answer.contains("200 OK"), "{answer}");
    tokio::time::timeout(PATIENCE, trickle).await.expect("the server stopped reading").unwrap();

    // A client that sends its head at once is answered as ever.
    let health = get(&format!("{}/healthz", server.base)).await;
    assert_eq!(health.status().as_u16(), 200);
}

/// An HTTP/1.1 connection that has been answered once and is kept open.
async fn held_connection(addr: std::net::SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut head = [0u8; 12];
    within("a held connection's answer", tcp.read_exact(&mut head)).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    tcp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_wait_for_one_to_close() {
    let (_dir, url) = sqlite().await;
    let limits = Limits { max_connections: 2, ..Limits::default() };
    let server = start(store::open(&url).await.unwrap(), "", limits).await;
    let first = held_connection(server.addr).await;
    let _second = held_connection(server.addr).await;

    let third = tokio::spawn(held_connection(server.addr));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!third.is_finished(), "a third connection is not served while two are held");
    drop(first);
    tokio::time::timeout(PATIENCE, third).await.expect("served once a connection closed").unwrap();
}

/// Queues the scan of `reference` (no worker runs here: it stays queued).
async fn queue_scan(server: &Server, reference: &str) {
    let response = get(&format!("{}/api/v1/scans/{reference}", server.base)).await;
    assert_eq!(response.status().as_u16(), 200, "{:?}", response.text().await);
}

/// A scan event stream as a client at `client` (behind the loopback proxy the test plays) opens it.
async fn open_stream(server: &Server, reference: &str, client: &str) -> reqwest::Response {
    let request = reqwest::Client::new()
        .get(format!("{}/api/v1/scan-events/{reference}", server.base))
        .header("x-forwarded-for", client)
        .send();
    within("a scan event stream", request).await.unwrap()
}

/// The first event of an accepted stream: the scan, queued (no worker runs here).
async fn first_event(response: &mut reqwest::Response) -> String {
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(response, "content-type"), "text/event-stream");
    let chunk = tokio::time::timeout(PATIENCE, response.chunk()).await.unwrap().unwrap().unwrap();
    String::from_utf8_lossy(&chunk).into_owned()
}

fn assert_refused(response: &reqwest::Response, status: u16) {
    assert_eq!(response.status().as_u16(), status);
    assert!(header(response, "retry-after").parse::<u32>().is_ok_and(|s| s > 0));
    assert_hardened(response, "refused stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_event_streams_are_bounded_on_sqlite() {
    let (_dir, url) = sqlite().await;
    scan_event_streams_are_bounded(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_event_streams_are_bounded_on_postgres() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    scan_event_streams_are_bounded(DatabaseUrl::parse(db.url()).unwrap()).await;
    db.drop_database().await.unwrap();
}

async fn scan_event_streams_are_bounded(url: DatabaseUrl) {
    let registry = TestRegistry::anonymous().await.unwrap();
    let layer = Layer::builder().file("etc/os-release", "ID=alpine\n").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY os-release /etc/ # buildkit").build(ManifestFormat::Oci);
    image.push(&registry, "streams/app", Some("1")).await.unwrap();
    let limits = Limits { event_streams: 3, event_streams_per_client: 2, ..Limits::default() };
    let server = start(store::open(&url).await.unwrap(), &registry.host(), limits).await;
    let reference = format!("{}/streams/app:1", registry.host());
    queue_scan(&server, &reference).await;

    let (a, b, c) = ("198.51.100.1", "198.51.100.2", "198.51.100.3");
    let mut first = open_stream(&server, &reference, a).await;
    let event = first_event(&mut first).await;
    assert!(event.contains(r#""state":"queued""#), "{event}");
    let mut second = open_stream(&server, &reference, a).await;
    first_event(&mut second).await;
    assert_refused(&open_stream(&server, &reference, a).await, 429);
    let mut third = open_stream(&server, &reference, b).await;
    first_event(&mut third).await;
    assert_refused(&open_stream(&server, &reference, c).await, 503);

    // A client that goes away frees its stream's slot.
    drop(first);
    let mut freed = None;
    for _ in 0..300 {
        let response = open_stream(&server, &reference, c).await;
        if response.status().as_u16() == 200 {
            freed = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first_event(freed.as_mut().expect("the closed stream's slot is freed")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_on_which_nothing_happens_ends() {
    let (_dir, url) = sqlite().await;
    let registry = TestRegistry::anonymous().await.unwrap();
    let layer = Layer::builder().file("etc/os-release", "ID=alpine\n").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY os-release /etc/ # buildkit").build(ManifestFormat::Oci);
    image.push(&registry, "idle/app", Some("1")).await.unwrap();
    let limits = Limits { event_idle: Duration::from_millis(300), event_streams_per_client: 1, ..Limits::default() };
    let server = start(store::open(&url).await.unwrap(), &registry.host(), limits).await;
    let reference = format!("{}/idle/app:1", registry.host());
    queue_scan(&server, &reference).await;

    let stream = open_stream(&server, &reference, "198.51.100.9").await;
    assert_eq!(stream.status().as_u16(), 200);
    let events = tokio::time::timeout(PATIENCE, stream.text()).await.expect("an idle stream ends").unwrap();
    assert_eq!(events.matches("data:").count(), 1, "the scan is queued and stays so: {events}");
    assert!(events.contains(r#""state":"queued""#), "{events}");
    // Its slot is free again (the client may hold one stream only).
    let mut again = open_stream(&server, &reference, "198.51.100.9").await;
    first_event(&mut again).await;
}
