//! `Receiver`: a webhook receiver on a loopback port that records every request (path, headers,
//! body) and answers with the statuses it is told, in turn (200 once they run out); and a Standard
//! Webhooks signature check written from the specification, independently of the server's signer.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::HarnessError;

/// One request the receiver got.
#[derive(Clone)]
pub struct Received {
    pub path: String,
    /// Lower-case names.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "POST {} {:?} {}", self.path, self.headers.get("webhook-id"), String::from_utf8_lossy(&self.body))
    }
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    answers: VecDeque<u16>,
}

pub struct Receiver {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> Result<Self, HarnessError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = shared.clone();
            async move {
                let headers = headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                let mut state = state.lock().unwrap();
                state.received.push(Received { path: uri.path().to_string(), headers, body: body.to_vec() });
                let status = state.answers.pop_front().unwrap_or(200);
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), format!("answered {status}"))
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state, task })
    }

    /// `127.0.0.1:PORT`, for an allow list.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next requests are answered with `statuses`, in turn.
    pub fn answer(&self, statuses: &[u16]) {
        self.state.lock().unwrap().answers.extend(statuses.iter().copied());
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Waits until `count` requests arrived (or `within` passed); what arrived.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count || start.elapsed() >= within {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Checks a request as a Standard Webhooks receiver does: `webhook-signature` holds a `v1,`
/// signature equal to base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")), where
/// the key is the base64 after `whsec_`; the timestamp within five minutes of now.
pub fn verify_standard_webhook(secret: &str, request: &Received) -> Result<(), String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(secret.strip_prefix("whsec_").ok_or("the secret does not start with whsec_")?)
        .map_err(|e| format!("the secret is not base64: {e}"))?;
    let id = request.header("webhook-id").ok_or("no webhook-id")?;
    let timestamp = request.header("webhook-timestamp").ok_or("no webhook-timestamp")?;
    let seconds: i64 = timestamp.parse().map_err(|_| "webhook-timestamp is not a number")?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    if (now - seconds).abs() > 300 {
        return Err(format!("webhook-timestamp {seconds} is not within five minutes of {now}"));
    }
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&request.body);
    let expected = format!("v1,{}", b64.encode(hmac_sha256(&key, &signed)));
    let given = request.header("webhook-signature").ok_or("no webhook-signature")?;
    // Several signatures may be sent, space-separated (during a secret's rotation).
    if given.split(' ').any(|s| s == expected) { Ok(()) } else { Err(format!("signature {given:?}, expected {expected:?}")) }
}

/// HMAC (RFC 2104) over SHA-256.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
