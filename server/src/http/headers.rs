//! Security headers on every response: a Content-Security-Policy, no framing, no MIME sniffing, no
//! full URLs leaked to other sites.
//!
//! A page's policy allows scripts from this origin and the inline ones Leptos writes (the hydration
//! bootstrap and each resolved resource) by a nonce minted per response: those scripts carry data,
//! so hashes cannot be known before the page has streamed. The page cache replays a kept page with
//! the current response's nonce ([`Stamped`]), so a nonce a visitor read is never valid again.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;

/// Anything that is not a page (JSON, SVG, event streams, static files): opened on its own it may
/// draw, never run or load anything. SVG badges keep working as `<img>` in other sites' READMEs.
const NOT_A_PAGE: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// The nonce of one response's inline scripts, handed to the Leptos render through the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspNonce(Arc<str>);

impl CspNonce {
    /// 128 random bits; `None` only when the system has no randomness (the page then loses its
    /// inline scripts, not its policy).
    fn mint() -> Option<Self> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).ok()?;
        Some(Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes).into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A page's policy. WebAssembly compilation needs `'wasm-unsafe-eval'` (not `'unsafe-eval'`);
/// `style` attributes (bar widths) are allowed, `<style>` elements are not.
fn page_policy(nonce: Option<&CspNonce>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{}'", n.as_str())).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Paths Leptos may render a page for (its routes and the not-found page): everything but the
/// API and server functions, badges, the built assets and the health check.
fn may_render_page(path: &str) -> bool {
    !["/api/", "/badges/", "/pkg/", "/healthz"].iter().any(|prefix| path.starts_with(prefix))
}

/// The middleware: mints the nonce for a page, then sets the headers a handler did not set itself.
pub async fn secure(mut request: Request, next: Next) -> Response {
    let nonce = if may_render_page(request.uri().path()) { CspNonce::mint() } else { None };
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(nonce.clone());
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if is_html(headers) {
            HeaderValue::from_str(&page_policy(nonce.as_ref())).unwrap_or(HeaderValue::from_static(NOT_A_PAGE))
        } else {
            HeaderValue::from_static(NOT_A_PAGE)
        };
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/html"))
}

/// For the Leptos context: the render uses this request's nonce (Leptos would otherwise mint its
/// own, which the policy would not name).
pub fn provide_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let parts = use_context::<axum::http::request::Parts>();
    if let Some(nonce) = parts.as_ref().and_then(|p| p.extensions.get::<CspNonce>()) {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0.clone()));
    }
}

/// The nonce a request's page will be rendered with, for the page cache.
pub fn nonce_of(request: &Request) -> Option<CspNonce> {
    request.extensions().get::<CspNonce>().cloned()
}

/// A kept page cut where the render wrote its nonce, so each response joins the pieces with its
/// own nonce in one copy (searching a 25 KB page on every response cost more than serving it).
pub struct Stamped {
    pieces: Vec<Bytes>,
    len: usize,
}

impl Stamped {
    /// `body` as rendered with `nonce` (128 random bits: they appear only where the render wrote
    /// them).
    pub fn cut(body: Bytes, nonce: Option<&CspNonce>) -> Self {
        let len = body.len();
        let Some(old) = nonce.map(|n| n.as_str().as_bytes()).filter(|n| !n.is_empty()) else {
            return Self { pieces: vec![body], len };
        };
        let mut pieces = Vec::new();
        let mut start = 0;
        for at in memchr::memmem::find_iter(&body, old) {
            pieces.push(body.slice(start..at));
            start = at + old.len();
        }
        pieces.push(body.slice(start..));
        Self { pieces, len }
    }

    /// The page with `nonce` where the render's was (no nonce: the page's scripts get none).
    pub fn with(&self, nonce: Option<&CspNonce>) -> Bytes {
        if let [whole] = self.pieces.as_slice() {
            return whole.clone();
        }
        let nonce = nonce.map_or(&b""[..], |n| n.as_str().as_bytes());
        let mut out = Vec::with_capacity(self.len + self.pieces.len() * nonce.len());
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(nonce);
            }
            out.extend_from_slice(piece);
        }
        out.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restamp_replaces_every_occurrence_and_nothing_else() {
        let (old, new) = (CspNonce::mint().unwrap(), CspNonce::mint().unwrap());
        assert_eq!(old.as_str().len(), 22);
        let page = format!(
            r#"<link crossorigin="{o}"><script nonce="{o}">x</script><p>nonce</p><script nonce="{o}">y</script>"#,
            o = old.as_str()
        );
        let kept = Stamped::cut(Bytes::from(page.clone()), Some(&old));
        let stamped = kept.with(Some(&new));
        assert_eq!(String::from_utf8(stamped.to_vec()).unwrap(), page.replace(old.as_str(), new.as_str()));
        assert!(!String::from_utf8_lossy(&stamped).contains(old.as_str()));
        assert_eq!(kept.with(None), page.replace(old.as_str(), "").as_bytes());
        let plain = Stamped::cut(Bytes::from("<p>no scripts</p>"), None);
        assert_eq!(plain.with(Some(&new)), "<p>no scripts</p>".as_bytes());
    }

    #[test]
    fn pages_get_a_nonce_and_the_rest_does_not() {
        assert!(may_render_page("/") && may_render_page("/images/alpine") && may_render_page("/no/such"));
        assert!(!may_render_page("/api/status") && !may_render_page("/badges/size/a.svg"));
        assert!(!may_render_page("/pkg/shipshape.js") && !may_render_page("/healthz"));
        let policy = page_policy(CspNonce::mint().as_ref());
        assert!(policy.contains("'nonce-") && policy.contains("frame-ancestors 'none'"), "{policy}");
    }
}
