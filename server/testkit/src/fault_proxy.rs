//! `FaultProxy`: a loopback HTTP front for a [`TestRegistry`] that forwards each request (it does
//! not redirect: it must be able to alter bodies) and breaks the ones its rules match, the ways a
//! real registry or the network between breaks: 5xx, silence, 429 with `Retry-After`, a body cut
//! short, bytes that are not what their digest says, a body dripping in, a redirect to itself.
//! The rules can be changed while it runs, so a test can heal the registry and try again.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::{HarnessError, TestRegistry};

/// What a failing registry says in its error bodies: a test asserts that no visitor reads it.
pub const UPSTREAM_SECRET: &str = "internal-db.corp:5432 password=hunter2";

/// One way to break a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// This status, with a JSON error body holding [`UPSTREAM_SECRET`].
    Status(u16),
    /// The connection is accepted and the request read; no answer ever comes.
    Hang,
    /// 429 with `Retry-After: retry_after` (seconds).
    RateLimited { retry_after: u64 },
    /// The real response's headers (`Content-Length` the full size), `after_bytes` of its body,
    /// then the connection closes.
    Truncate { after_bytes: usize },
    /// The real response with one byte of its body changed: same length, another digest.
    WrongBytes,
    /// The real response, `chunk` bytes of body per `every`.
    Trickle { chunk: usize, every: Duration },
    /// 302 to the very URL asked.
    RedirectLoop,
}

/// Which requests of the distribution API a rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v2/`, the API version check.
    Base,
    Manifests,
    Blobs,
    /// `/v2/<name>/tags/list`.
    Tags,
}

/// A fault for the requests under a repository prefix and of one endpoint (each `None`: all).
#[derive(Clone, Debug)]
pub struct Rule {
    repository: Option<String>,
    endpoint: Option<Endpoint>,
    fault: Fault,
}

impl Rule {
    pub fn new(fault: Fault) -> Self {
        Self { repository: None, endpoint: None, fault }
    }

    /// Only repositories whose name starts with `prefix` (`/v2/` itself has no repository).
    pub fn repository(mut self, prefix: &str) -> Self {
        self.repository = Some(prefix.to_string());
        self
    }

    pub fn on(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    fn matches(&self, (repository, endpoint): (Option<&str>, Option<Endpoint>)) -> bool {
        let repository_ok = match &self.repository {
            None => true,
            Some(prefix) => repository.is_some_and(|r| r.starts_with(prefix.as_str())),
        };
        repository_ok && self.endpoint.is_none_or(|want| endpoint == Some(want))
    }
}

/// The repository and endpoint a `/v2/…` path names.
fn classify(path: &str) -> (Option<&str>, Option<Endpoint>) {
    let Some(rest) = path.strip_prefix("/v2/") else { return (None, None) };
    if rest.is_empty() {
        return (None, Some(Endpoint::Base));
    }
    for (marker, endpoint) in [("/manifests/", Endpoint::Manifests), ("/blobs/", Endpoint::Blobs)] {
        if let Some((name, _)) = rest.rsplit_once(marker) {
            return (Some(name), Some(endpoint));
        }
    }
    match rest.strip_suffix("/tags/list") {
        Some(name) => (Some(name), Some(Endpoint::Tags)),
        None => (None, None),
    }
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    rules: Arc<RwLock<Vec<Rule>>>,
    faulted: Arc<AtomicUsize>,
}

pub struct FaultProxy {
    addr: std::net::SocketAddr,
    shared: Shared,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// In front of `registry`, with no rules yet (everything forwarded as is).
    pub async fn start(registry: &TestRegistry) -> Result<Self, HarnessError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Shared { upstream: registry.host(), rules: Arc::default(), faulted: Arc::default() };
        let state = shared.clone();
        let app = axum::Router::new().fallback(move |request: Request| answer(state.clone(), request));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, task })
    }

    /// `127.0.0.1:PORT`, as it appears in image references.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Replaces the rules; the first that matches a request applies. Takes effect at once.
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *self.shared.rules.write().unwrap_or_else(|e| e.into_inner()) = rules;
    }

    /// How many requests a rule has broken so far.
    pub fn faulted(&self) -> usize {
        self.shared.faulted.load(Ordering::Relaxed)
    }
}

async fn answer(shared: Shared, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let fault = {
        let rules = shared.rules.read().unwrap_or_else(|e| e.into_inner());
        rules.iter().find(|rule| rule.matches(classify(&path))).map(|rule| rule.fault.clone())
    };
    if fault.is_some() {
        shared.faulted.fetch_add(1, Ordering::Relaxed);
    }
    let asked = request.uri().path_and_query().map_or(path.clone(), |p| p.to_string());
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().to_string();
    let head = request.method() == Method::HEAD;
    match fault {
        None => forward(&shared.upstream, request).await.unwrap_or_else(|failed| failed),
        Some(Fault::Status(status)) => status_answer(status),
        Some(Fault::Hang) => std::future::pending().await,
        Some(Fault::RateLimited { retry_after }) => {
            let mut response = status_answer(429);
            response.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
            response
        }
        Some(Fault::RedirectLoop) => Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, format!("http://{host}{asked}"))
            .body(Body::empty())
            .unwrap_or_default(),
        // A HEAD has no body to break.
        Some(_) if head => forward(&shared.upstream, request).await.unwrap_or_else(|failed| failed),
        Some(body_fault) => match forward(&shared.upstream, request).await {
            Ok(response) => broken_body(response, body_fault).await,
            Err(response) => response,
        },
    }
}

fn status_answer(status: u16) -> Response {
    let body = format!(r#"{{"errors":[{{"code":"UNKNOWN","message":"upstream failure at {UPSTREAM_SECRET}"}}]}}"#);
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap_or_default()
}

fn bad_gateway(detail: String) -> Response {
    Response::builder().status(StatusCode::BAD_GATEWAY).body(Body::from(detail)).unwrap_or_default()
}

/// The request sent on to the registry over a fresh connection, its response handed back as is.
async fn forward(upstream: &str, request: Request) -> Result<Response, Response> {
    let gateway = |e: &dyn std::fmt::Display| bad_gateway(format!("fault proxy: {e}"));
    let stream = TcpStream::connect(upstream).await.map_err(|e| gateway(&e))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| gateway(&e))?;
    tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(|e| gateway(&e))?;
    Ok(response.map(Body::new))
}

/// The forwarded response with `fault` applied to its body; its headers stay the registry's.
async fn broken_body(response: Response, fault: Fault) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(mut bytes) = axum::body::to_bytes(body, usize::MAX).await.map(Vec::from) else {
        return bad_gateway("fault proxy: the registry's body failed".into());
    };
    // Hyper frames the body by this header whatever the stream yields, so a short body is a cut.
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let body = match fault {
        Fault::WrongBytes => {
            let middle = bytes.len() / 2;
            if let Some(middle) = bytes.get_mut(middle) {
                *middle ^= 0x20;
            }
            Body::from(bytes)
        }
        Fault::Truncate { after_bytes } => {
            bytes.truncate(after_bytes);
            Body::from_stream(cut_short(Bytes::from(bytes)))
        }
        Fault::Trickle { chunk, every } => Body::from_stream(trickle(Bytes::from(bytes), chunk.max(1), every)),
        _ => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

/// `bytes`, then the connection aborted. The pause lets hyper flush the head and those bytes
/// first: an error at once would drop them unsent, and the client would see no answer at all.
fn cut_short(bytes: Bytes) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let pause = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "fault proxy: body cut short"))
    };
    futures_util::stream::iter([Ok(bytes)]).chain(futures_util::stream::once(pause))
}

fn trickle(
    bytes: Bytes,
    chunk: usize,
    every: Duration,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + Send {
    futures_util::stream::unfold(bytes, move |mut rest| async move {
        if rest.is_empty() {
            return None;
        }
        tokio::time::sleep(every).await;
        let next = rest.split_to(chunk.min(rest.len()));
        Some((Ok(next), rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_repository_and_endpoint() {
        assert_eq!(classify("/v2/"), (None, Some(Endpoint::Base)));
        assert_eq!(classify("/v2/team/app/manifests/v1"), (Some("team/app"), Some(Endpoint::Manifests)));
        assert_eq!(classify("/v2/a/blobs/sha256:ab"), (Some("a"), Some(Endpoint::Blobs)));
        assert_eq!(classify("/v2/a/b/tags/list"), (Some("a/b"), Some(Endpoint::Tags)));
        assert!(Rule::new(Fault::Hang).repository("team/").matches(classify("/v2/team/app/manifests/v1")));
        assert!(!Rule::new(Fault::Hang).on(Endpoint::Blobs).matches(classify("/v2/team/app/manifests/v1")));
    }
}
