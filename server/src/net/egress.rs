//! A per-client forward proxy on loopback. reqwest sends every request through it (`CONNECT` for
//! HTTPS, absolute-form for HTTP); the proxy dials only what [`Policy`] allows and remembers the
//! last refusal so callers can report it instead of reqwest's generic "tunnel failed".
//!
//! It takes no credentials: reqwest drops `Proxy-Authorization` on redirects, and the proxy only
//! reaches what the policy allows, which is less than any local process can reach directly.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{NetError, Policy};

type ProxyBody = BoxBody<Bytes, hyper::Error>;

pub struct EgressProxy {
    url: String,
    last_failure: Arc<Mutex<Option<NetError>>>,
    task: JoinHandle<()>,
}

impl Drop for EgressProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct Shared {
    policy: Arc<Policy>,
    last_failure: Arc<Mutex<Option<NetError>>>,
}

impl EgressProxy {
    pub async fn start(policy: Arc<Policy>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let last_failure = Arc::new(Mutex::new(None));
        let shared = Shared { policy, last_failure: last_failure.clone() };
        let task = tokio::spawn(accept_loop(listener, shared));
        Ok(Self { url: format!("http://127.0.0.1:{port}"), last_failure, task })
    }

    /// The proxy URL to give reqwest for both `http` and `https`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The most recent refusal or dial failure, cleared by reading it.
    pub fn take_failure(&self) -> Option<NetError> {
        self.last_failure.lock().map(|mut slot| slot.take()).unwrap_or(None)
    }

    pub fn clear_failure(&self) {
        let _ = self.take_failure();
    }
}

async fn accept_loop(listener: TcpListener, shared: Shared) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: back off instead of spinning.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let upstream = Arc::new(tokio::sync::Mutex::new(None));
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), upstream.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

/// The upstream HTTP connection behind one client connection, kept for the client's next request:
/// a fresh TCP connection costs a registry about a millisecond, as much as a small blob.
struct Upstream {
    host: String,
    port: u16,
    sender: hyper::client::conn::http1::SendRequest<Incoming>,
}

type UpstreamSlot = Arc<tokio::sync::Mutex<Option<Upstream>>>;

async fn handle(
    shared: Shared,
    upstream: UpstreamSlot,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let Some((host, port)) = destination(&req) else {
        return Ok(plain(StatusCode::BAD_REQUEST, "no destination host".into()));
    };
    if req.method() == Method::CONNECT {
        let stream = match dial(&shared, &host, port).await {
            Ok(stream) => stream,
            Err(refusal) => return Ok(refusal),
        };
        tokio::spawn(async move {
            if let Ok(upgraded) = hyper::upgrade::on(req).await {
                let mut upgraded = TokioIo::new(upgraded);
                let mut stream = stream;
                let _ = tokio::io::copy_bidirectional(&mut upgraded, &mut stream).await;
            }
        });
        return Ok(Response::new(empty()));
    }
    Ok(forward(&shared, &upstream, host, port, req).await)
}

/// Connects where the policy allows; otherwise remembers why and answers with the reason.
async fn dial(shared: &Shared, host: &str, port: u16) -> Result<tokio::net::TcpStream, Response<ProxyBody>> {
    shared.policy.connect(host, port).await.map_err(|err| {
        let status = match err {
            NetError::Refused { .. } | NetError::NotForRegistry { .. } | NetError::BadHost { .. } => {
                StatusCode::FORBIDDEN
            }
            _ => StatusCode::BAD_GATEWAY,
        };
        let message = err.to_string();
        if let Ok(mut slot) = shared.last_failure.lock() {
            *slot = Some(err);
        }
        plain(status, message)
    })
}

/// Host and port from a CONNECT authority or an absolute-form `http://` URI.
fn destination(req: &Request<Incoming>) -> Option<(String, u16)> {
    let uri = req.uri();
    let authority = uri.authority()?;
    let default_port = if req.method() == Method::CONNECT { 443 } else { 80 };
    if req.method() != Method::CONNECT && uri.scheme_str() != Some("http") {
        return None;
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    let host = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
    Some((host, authority.port_u16().unwrap_or(default_port)))
}

/// Sends an absolute-form request on to its origin, reusing this client connection's upstream
/// connection when it goes to the same place and is still open.
async fn forward(
    shared: &Shared,
    upstream: &UpstreamSlot,
    host: String,
    port: u16,
    mut req: Request<Incoming>,
) -> Response<ProxyBody> {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    *req.uri_mut() = path.parse().unwrap_or_default();
    let headers = req.headers_mut();
    headers.remove(hyper::header::PROXY_AUTHORIZATION);
    headers.remove("proxy-connection");

    // HTTP/1 sends one request at a time per client connection, so the slot is never contended.
    let mut slot = upstream.lock().await;
    let kept = slot.take().filter(|u| u.host == host && u.port == port && !u.sender.is_closed());
    if let Some(mut kept) = kept {
        // A kept connection the origin closed in the meantime hands the request back unsent.
        let attempt = match kept.sender.ready().await {
            Ok(()) => kept.sender.try_send_request(req).await.map_err(|mut e| e.take_message()),
            Err(_) => Err(Some(req)),
        };
        match attempt {
            Ok(response) => {
                *slot = Some(kept);
                return response.map(BodyExt::boxed);
            }
            Err(Some(unsent)) => req = unsent,
            Err(None) => return upstream_failed(shared, &host, port, "the registry closed the connection".into()),
        }
    }
    let stream = match dial(shared, &host, port).await {
        Ok(stream) => stream,
        Err(refusal) => return refusal,
    };
    let (mut sender, connection) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
        Ok(pair) => pair,
        Err(e) => return upstream_failed(shared, &host, port, e.to_string()),
    };
    tokio::spawn(connection);
    match sender.send_request(req).await {
        Ok(response) => {
            *slot = Some(Upstream { host, port, sender });
            response.map(BodyExt::boxed)
        }
        Err(e) => upstream_failed(shared, &host, port, e.to_string()),
    }
}

/// The proxy's own 502, remembered like a refusal: the client must not report it as the
/// registry's answer ("the registry answered HTTP 502") when the registry never answered.
fn upstream_failed(shared: &Shared, host: &str, port: u16, detail: String) -> Response<ProxyBody> {
    let err = NetError::Connect { host: host.to_string(), port, detail };
    let message = err.to_string();
    if let Ok(mut slot) = shared.last_failure.lock() {
        *slot = Some(err);
    }
    plain(StatusCode::BAD_GATEWAY, message)
}

fn empty() -> ProxyBody {
    Full::new(Bytes::new()).map_err(|never| match never {}).boxed()
}

fn plain(status: StatusCode, message: String) -> Response<ProxyBody> {
    let mut response = Response::new(Full::new(Bytes::from(message)).map_err(|never| match never {}).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::allow_list::AllowList;

    /// A loopback origin that counts the TCP connections it accepts and answers each request with
    /// `hello`. With `close_after_each` it promises keep-alive but hangs up after each response, as
    /// a registry's idle timeout would.
    async fn origin(close_after_each: bool) -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let mut pending = Vec::new();
                    loop {
                        let Ok(n) = stream.read(&mut buf).await else { return };
                        if n == 0 {
                            return;
                        }
                        pending.extend_from_slice(&buf[..n]);
                        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            pending.drain(..end + 4);
                            let reply = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
                            if stream.write_all(reply.as_bytes()).await.is_err() || close_after_each {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (port, accepted)
    }

    async fn fetch_twice(close_after_each: bool) -> usize {
        crate::services::install_crypto_provider();
        let (port, accepted) = origin(close_after_each).await;
        let policy = Arc::new(Policy::new(AllowList::parse(&format!("127.0.0.1:{port}")).unwrap()));
        let proxy = EgressProxy::start(policy).await.unwrap();
        let client = reqwest::Client::builder().proxy(reqwest::Proxy::all(proxy.url()).unwrap()).build().unwrap();
        for path in ["/one", "/two"] {
            let response = client.get(format!("http://127.0.0.1:{port}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.text().await.unwrap(), "hello");
        }
        accepted.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn keeps_the_upstream_connection_between_requests() {
        assert_eq!(fetch_twice(false).await, 1);
    }

    #[tokio::test]
    async fn dials_again_when_the_origin_closed_the_connection() {
        assert_eq!(fetch_twice(true).await, 2);
    }

    #[tokio::test]
    async fn an_origin_that_hangs_up_unanswered_is_the_proxys_failure_not_an_answer() {
        crate::services::install_crypto_provider();
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                drop(stream);
            }
        });
        let policy = Arc::new(Policy::new(AllowList::parse(&format!("127.0.0.1:{port}")).unwrap()));
        let proxy = EgressProxy::start(policy).await.unwrap();
        let client = reqwest::Client::builder().proxy(reqwest::Proxy::all(proxy.url()).unwrap()).build().unwrap();
        let response = client.get(format!("http://127.0.0.1:{port}/v2/")).send().await.unwrap();
        assert_eq!(response.status(), 502);
        assert!(matches!(proxy.take_failure(), Some(NetError::Connect { port: p, .. }) if p == port));
    }
}
