//! A secret a form made (a new API token, a new badge token, a webhook's signing secret, a watch's
//! refresh hook), carried
//! to the page that shows it once: in a short-lived HttpOnly cookie, never in a URL (URLs reach
//! logs and browser history). The page clears the cookie in the answer that shows it.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const COOKIE: &str = "shipshape_fresh";

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    ApiToken,
    BadgeToken,
    /// A webhook channel's signing secret (`whsec_…`); the name is the channel's.
    WebhookSecret,
    /// A watch's refresh-hook URL (its token is the credential); the name is what is watched.
    RefreshHook,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Fresh {
    kind: Kind,
    name: String,
    value: String,
}

/// Two minutes: long enough for the redirect, short enough not to linger.
pub fn cookie(kind: Kind, name: &str, value: &str, secure: bool) -> HeaderValue {
    let json = serde_json::to_vec(&Fresh { kind, name: name.to_string(), value: value.to_string() })
        .expect("plain strings serialise");
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=120{secure}", URL_SAFE_NO_PAD.encode(json));
    HeaderValue::from_str(&text).expect("base64url is a valid header value")
}

/// The cookie that removes it once shown.
pub fn clear(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"))
        .expect("static text")
}

/// The fresh secret of `kind` the request carries, as (name, value).
pub fn read(headers: &HeaderMap, kind: Kind) -> Option<(String, String)> {
    let raw = super::caller::cookie(headers, COOKIE)?;
    let fresh: Fresh = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
    (fresh.kind == kind).then_some((fresh.name, fresh.value))
}
