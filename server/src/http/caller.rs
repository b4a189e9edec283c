//! Who is asking: a signed-in browser (session cookie), a script (API token) or an anonymous
//! visitor. Resolved once per request, before the routes, and refused early when it cannot be
//! trusted: an unknown API token (401), a read-only token on a write (403), or a cookie-carrying
//! state change from another site (403: cross-site request forgery).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::{Account, Scope};
use crate::config::PublicUrl;
use crate::inspect::Viewer;
use crate::services::Services;

pub const SESSION_COOKIE: &str = "shipshape_session";

#[derive(Clone, Debug, Default)]
pub enum Caller {
    #[default]
    Anonymous,
    /// A browser's session; `cookie` is its id, to keep this session when others are ended.
    Session { account: Account, cookie: String },
    Bearer { account: Account, scope: Scope },
}

impl Caller {
    pub fn account(&self) -> Option<&Account> {
        match self {
            Caller::Anonymous => None,
            Caller::Session { account, .. } | Caller::Bearer { account, .. } => Some(account),
        }
    }

    pub fn session_cookie(&self) -> Option<&str> {
        match self {
            Caller::Session { cookie, .. } => Some(cookie),
            _ => None,
        }
    }

    pub fn viewer(&self) -> Viewer {
        match self.account() {
            Some(account) => Viewer::User { id: account.id, admin: account.admin },
            None => Viewer::Anonymous,
        }
    }
}

/// Whether this server's cookies are `Secure` (SHIPSHAPE_PUBLIC_URL is https), in each request's
/// extensions for the code that sets cookies outside the form routes (pages clearing a fresh secret).
#[derive(Clone, Copy, Debug)]
pub struct SecureCookies(pub bool);

/// Routes read the caller from the request; one not passed through [`identify`] is anonymous.
impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned().unwrap_or_default())
    }
}

/// What [`identify`] needs: the accounts, and the origin browsers use.
#[derive(Clone)]
pub struct Identify {
    pub services: Arc<Services>,
    pub public_url: Option<PublicUrl>,
}

/// The endpoint a registry's notifications call with their own bearer secret.
const REGISTRY_EVENTS: &str = "/api/v1/registry-events";

pub async fn identify(State(state): State<Identify>, mut request: Request, next: Next) -> Response {
    let accounts = &state.services.accounts;
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = request.uri().path();
    let caller = if path == REGISTRY_EVENTS || path.starts_with(crate::services::HOOK_PATH) {
        // A registry's own secret, or a hook's token in its path, which their handlers check: no
        // user is calling (and a build pipeline's POST carries no Origin to compare).
        Caller::Anonymous
    } else if let Some(token) = bearer(request.headers()) {
        match accounts.token(&token).await {
            Ok(Some((account, scope))) => {
                if scope == Scope::Read && !safe {
                    return refusal(StatusCode::FORBIDDEN, "insufficient_scope", "this API token is read-only: make a write token for changes");
                }
                Caller::Bearer { account, scope }
            }
            Ok(None) => {
                let mut response = refusal(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "this API token is unknown or revoked: make a new one on /account/tokens",
                );
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return response;
            }
            Err(e) => {
                tracing::error!(error = %e, "API token lookup failed");
                return refusal(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server could not check the token");
            }
        }
    } else {
        // Whether signed in or not: a log-in or sign-up form posted from another site is refused too.
        if !safe && !same_origin(request.headers(), state.public_url.as_ref()) {
            return refusal(
                StatusCode::FORBIDDEN,
                "cross_site_request",
                "refused: this request came from another site (its Origin is not this server's)",
            );
        }
        match cookie(request.headers(), SESSION_COOKIE) {
            Some(value) => match accounts.session(&value).await {
                Ok(Some(account)) => Caller::Session { account, cookie: value },
                Ok(None) => Caller::Anonymous,
                Err(e) => {
                    tracing::error!(error = %e, "session lookup failed");
                    Caller::Anonymous
                }
            },
            None => Caller::Anonymous,
        }
    };
    let signed_in = caller.account().is_some();
    request.extensions_mut().insert(caller);
    request.extensions_mut().insert(SecureCookies(state.public_url.as_ref().is_some_and(|u| u.https)));
    let mut response = next.run(request).await;
    // A signed-in user's answers (account pages, a token shown once, private images) stay out of
    // shared and disk caches.
    if signed_in {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    response
}

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({ "error": { "code": code, "message": message } }))).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_string())
}

/// Whether a state change comes from this server's own pages: `Origin` when the browser sent one
/// (all current browsers do on POST), else `Sec-Fetch-Site`. A request with neither is not from a
/// browser a forged form could drive (curl, scripts), and passes.
fn same_origin(headers: &HeaderMap, public_url: Option<&PublicUrl>) -> bool {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if let Some(origin) = text(header::ORIGIN) {
        return match public_url {
            Some(public) => origin.eq_ignore_ascii_case(&public.origin),
            // Without a configured URL, the origin must name the host the request was sent to.
            None => {
                let host = text(header::HOST);
                let authority = origin.split_once("://").map(|(_, rest)| rest);
                host.is_some_and(|host| authority.is_some_and(|a| a.eq_ignore_ascii_case(host)))
            }
        };
    }
    match text(axum::http::HeaderName::from_static("sec-fetch-site")) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// `Set-Cookie` for a new session (or, with `None`, for ending it).
pub fn session_cookie(value: Option<&str>, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = match value {
        Some(value) => format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}"),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).expect("session ids are base64url")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn origin_must_be_this_server() {
        let here = headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]);
        assert!(same_origin(&here, None));
        let elsewhere = headers(&[("host", "127.0.0.1:3000"), ("origin", "https://elsewhere.example")]);
        assert!(!same_origin(&elsewhere, None));
        let opaque = headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]);
        assert!(!same_origin(&opaque, None));
        let public = PublicUrl::parse("https://shipshape.example/").unwrap();
        let proxied = headers(&[("host", "10.0.0.5:3000"), ("origin", "https://shipshape.example")]);
        assert!(same_origin(&proxied, Some(&public)));
        assert!(!same_origin(&here, Some(&public)), "with a public URL, only it counts");
    }

    #[test]
    fn without_origin_fetch_metadata_decides() {
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")]), None));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")]), None));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")]), None));
        assert!(same_origin(&headers(&[]), None), "not a browser");
    }

    #[test]
    fn cookies_are_found_among_others() {
        let map = headers(&[("cookie", "a=1; shipshape_session=abc; b=2")]);
        assert_eq!(cookie(&map, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers(&[("cookie", "x_shipshape_session=no")]), SESSION_COOKIE), None);
    }

    #[test]
    fn bearer_tokens_are_read_whatever_the_scheme_case() {
        assert_eq!(bearer(&headers(&[("authorization", "Bearer shp_x")])).as_deref(), Some("shp_x"));
        assert_eq!(bearer(&headers(&[("authorization", "bearer shp_y ")])).as_deref(), Some("shp_y"));
        assert_eq!(bearer(&headers(&[("authorization", "Basic abc")])), None);
    }
}
