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
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

async fn handle(shared: Shared, req: Request<Incoming>) -> Result<Response<ProxyBody>, Infallible> {
    let Some((host, port)) = destination(&req) else {
        return Ok(plain(StatusCode::BAD_REQUEST, "no destination host".into()));
    };
    let upstream = match shared.policy.connect(&host, port).await {
        Ok(stream) => stream,
        Err(err) => {
            let status = match err {
                NetError::Refused { .. } | NetError::BadHost { .. } => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_GATEWAY,
            };
            let message = err.to_string();
            if let Ok(mut slot) = shared.last_failure.lock() {
                *slot = Some(err);
            }
            return Ok(plain(status, message));
        }
    };
    if req.method() == Method::CONNECT {
        tokio::spawn(async move {
            if let Ok(upgraded) = hyper::upgrade::on(req).await {
                let mut upgraded = TokioIo::new(upgraded);
                let mut upstream = upstream;
                let _ = tokio::io::copy_bidirectional(&mut upgraded, &mut upstream).await;
            }
        });
        return Ok(Response::new(empty()));
    }
    Ok(forward(req, upstream).await.unwrap_or_else(|e| plain(StatusCode::BAD_GATEWAY, e.to_string())))
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

async fn forward(
    mut req: Request<Incoming>,
    upstream: tokio::net::TcpStream,
) -> Result<Response<ProxyBody>, hyper::Error> {
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(upstream)).await?;
    tokio::spawn(connection);
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    *req.uri_mut() = path.parse().unwrap_or_default();
    let headers = req.headers_mut();
    headers.remove(hyper::header::PROXY_AUTHORIZATION);
    headers.remove("proxy-connection");
    let response = sender.send_request(req).await?;
    Ok(response.map(BodyExt::boxed))
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
