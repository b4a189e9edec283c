//! Pages served again from memory for a few seconds: a popular tag page is rendered once per
//! `SHIPSHAPE_PAGE_CACHE` seconds instead of once per visitor (each render reads the image, its
//! lineage and scan from the store and runs the whole Leptos tree).
//!
//! Only anonymous `GET /images/…` pages that rendered completely with 200 and show no error are
//! kept, keyed by origin (scheme and host, which the page's badge snippets name), path and query.
//! The response still streams on a miss (the body is copied as it goes out). A write through this
//! process's store (an inspection, a scan's progress) retires every page rendered before it ended,
//! so a visitor never sees this process's own changes late; other replicas' are seen within the TTL.
//! A kept page is sent with each response's own CSP nonce in place of the one it was rendered with.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::error::ShowsError;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;

use crate::http::headers::{CspNonce, Stamped, nonce_of};
use crate::memo::Memo;
use crate::store::SharedStore;

/// With [`MAX_PAGE_BYTES`], at most 64 MiB however many distinct URLs visitors make up (a tag page
/// is ~25 KB).
const MAX_PAGES: usize = 256;
/// A page larger than this is served, not kept.
const MAX_PAGE_BYTES: usize = 256 << 10;

struct Page {
    headers: HeaderMap,
    /// Cut where the nonce the page was rendered with was: each response gets its own there.
    body: Stamped,
}

#[derive(Clone)]
pub struct PageCache {
    pages: Arc<Memo<Page>>,
    store: SharedStore,
}

impl PageCache {
    pub fn new(store: SharedStore, ttl: Duration) -> Self {
        Self { pages: Arc::new(Memo::new(ttl, MAX_PAGES)), store }
    }
}

/// The middleware: answers a kept page, or renders and keeps it.
pub async fn serve(State(cache): State<PageCache>, mut request: Request, next: Next) -> Response {
    let Some(key) = cacheable(&request) else { return next.run(request).await };
    let generation = cache.store.changes();
    let nonce = nonce_of(&request);
    if let Some(page) = cache.pages.get(&key, generation) {
        let mut response = Response::new(Body::from(page.body.with(nonce.as_ref())));
        *response.headers_mut() = page.headers.clone();
        return response;
    }
    let shows_error = ShowsError::default();
    request.extensions_mut().insert(shows_error.clone());
    let response = next.run(request).await;
    let html = response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if response.status() != StatusCode::OK || !html || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    keep_as_sent(response, Keep { cache, key, generation, shows_error, nonce })
}

/// The key of a request whose page may be kept: anonymous (no cookie, no credentials) image pages,
/// by the origin they were asked under (the page shows badge URLs on it) and path and query.
fn cacheable(request: &Request) -> Option<String> {
    let headers = request.headers();
    let anonymous = !headers.contains_key(header::COOKIE) && !headers.contains_key(header::AUTHORIZATION);
    let uri = request.uri();
    if request.method() != Method::GET || !anonymous || !uri.path().starts_with("/images/") {
        return None;
    }
    let header = |name| headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let https = header("x-forwarded-proto").is_some_and(|p| p == "https");
    let host = header("host").unwrap_or_default();
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    Some(format!("{}://{host}{path}", if https { "https" } else { "http" }))
}

/// Where a rendered page goes once it is sent whole.
struct Keep {
    cache: PageCache,
    key: String,
    generation: u64,
    shows_error: ShowsError,
    nonce: Option<CspNonce>,
}

/// Streams the response on while copying it; a body that ends cleanly, whole, not too large and
/// without an error on it is kept under the generation its render began in (a write meanwhile makes
/// it unused).
fn keep_as_sent(response: Response, keep: Keep) -> Response {
    let (parts, body) = response.into_parts();
    let headers = parts.headers.clone();
    let copy = Arc::new(Mutex::new(Some(Vec::new())));
    let copying = copy.clone();
    let chunks = body.into_data_stream().map(move |chunk| {
        let mut copy = copying.lock().unwrap_or_else(|e| e.into_inner());
        match (&chunk, copy.as_mut()) {
            (Ok(bytes), Some(kept)) if kept.len() + bytes.len() <= MAX_PAGE_BYTES => kept.extend_from_slice(bytes),
            _ => *copy = None,
        }
        chunk
    });
    let end = futures_util::stream::once(async move {
        let kept = copy.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Keep { cache, key, generation, shows_error, nonce } = keep;
        if let Some(body) = kept.filter(|_| !shows_error.0.load(Ordering::Acquire)) {
            let body = Stamped::cut(Bytes::from(body), nonce.as_ref());
            cache.pages.put(key, Arc::new(Page { headers, body }), generation);
        }
        None
    })
    .filter_map(std::future::ready);
    Response::from_parts(parts, Body::from_stream(chunks.chain(end)))
}
