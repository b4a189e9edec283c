//! One attempt at one delivery over HTTP, through the egress proxy (the outbound policy decides on
//! the address actually dialled, every time), classified the way the retry schedule needs it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::net::{EgressProxy, NetError, Policy};

/// How long a receiver may take to answer, whole.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);
/// The part of a receiver's answer kept in the delivery log.
const EXCERPT: usize = 300;
/// Read of a receiver's answer at most (the rest is not waited for).
const READ_AT_MOST: usize = 4096;

/// A request to make: where, what, with which headers.
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// What an attempt found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    Delivered { status: u16, excerpt: String },
    /// Worth another attempt: no answer, 408, 429 (with its `Retry-After` seconds), 5xx.
    Retry { status: Option<u16>, detail: String, retry_after: Option<Duration> },
    /// Would fail the same way again: another 4xx, a refused address, a malformed URL.
    Failed { status: Option<u16>, detail: String },
}

pub struct Attempt {
    pub sent: Sent,
    pub duration: Duration,
}

/// Sends `outgoing` as a POST under `policy`.
pub async fn post(policy: Arc<Policy>, outgoing: Outgoing) -> Attempt {
    let started = Instant::now();
    let sent = post_inner(policy, outgoing).await;
    Attempt { sent, duration: started.elapsed() }
}

async fn post_inner(policy: Arc<Policy>, outgoing: Outgoing) -> Sent {
    let url = match url::Url::parse(&outgoing.url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        _ => return Sent::Failed { status: None, detail: "the channel's URL is not an http(s) URL".into() },
    };
    let proxy = match EgressProxy::start(policy).await {
        Ok(proxy) => proxy,
        Err(e) => return Sent::Retry { status: None, detail: format!("egress proxy: {e}"), retry_after: None },
    };
    let client = match client(&proxy) {
        Ok(client) => client,
        Err(e) => return Sent::Retry { status: None, detail: e, retry_after: None },
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &outgoing.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            headers.insert(name, value);
        }
    }
    let sent = client.post(url).headers(headers).body(outgoing.body).send().await;
    // The proxy knows why it did not connect; over plain HTTP its own 403/502 would otherwise read
    // as the receiver's answer. Its words name resolved addresses: users get the host and port only.
    if let Some(failure) = proxy.take_failure() {
        tracing::info!(error = %failure, "a notification was not sent: egress");
        return match failure {
            NetError::Refused { .. } | NetError::NotForRegistry { .. } | NetError::BadHost { .. } => {
                Sent::Failed { status: None, detail: refusal(&outgoing.url) }
            }
            NetError::Resolve { host, .. } => Sent::Retry { status: None, detail: format!("cannot resolve {host}"), retry_after: None },
            NetError::Connect { host, port, .. } => {
                Sent::Retry { status: None, detail: format!("could not connect to {host}:{port}"), retry_after: None }
            }
        };
    }
    let response = match sent {
        Ok(response) => response,
        Err(e) => return Sent::Retry { status: None, detail: error_detail(e), retry_after: None },
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let excerpt = excerpt(response).await;
    match status {
        200..=299 => Sent::Delivered { status, excerpt },
        408 | 429 | 500..=599 => Sent::Retry { status: Some(status), detail: answered(status, &excerpt), retry_after },
        _ => Sent::Failed { status: Some(status), detail: format!("{} (not retried)", answered(status, &excerpt)) },
    }
}

fn client(proxy: &EgressProxy) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(crate::net::tls::client_config())
        .proxy(reqwest::Proxy::all(proxy.url()).map_err(|e| e.to_string())?)
        .connect_timeout(crate::net::CONNECT_TIMEOUT)
        .timeout(SEND_TIMEOUT)
        // A receiver answers; it does not send the message elsewhere (a redirect is a 3xx: failed).
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("shipshape/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

fn refusal(url: &str) -> String {
    let host = url::Url::parse(url).ok().and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)));
    format!(
        "refused by the outbound policy: {} is not a public address (the operator can allow-list it in \
         SHIPSHAPE_ALLOW_HOSTS)",
        host.unwrap_or_else(|| "the receiver".into())
    )
}

/// reqwest's words for a failed request, without its URL (a Slack URL is the channel's secret).
fn error_detail(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("no answer within {} s", SEND_TIMEOUT.as_secs());
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(EXCERPT).collect()
}

fn answered(status: u16, excerpt: &str) -> String {
    if excerpt.is_empty() { format!("the receiver answered {status}") } else { format!("the receiver answered {status}: {excerpt}") }
}

/// The start of the receiver's answer, as text, without control characters.
async fn excerpt(response: reqwest::Response) -> String {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= READ_AT_MOST {
            break;
        }
    }
    String::from_utf8_lossy(&body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT)
        .collect::<String>()
        .trim()
        .to_string()
}
