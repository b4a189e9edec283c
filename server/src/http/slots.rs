//! How many scan event streams may be open, in all and per client: each holds a connection for
//! minutes, so without a bound a few clients hold every connection the server has.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;

/// Past a bound the stream is refused; the tag page then asks for the scan every few seconds.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("too many scan event streams are open on this server; ask again shortly")]
    Busy,
    #[error("too many scan event streams are open from your address; close some pages first")]
    TooManyFromClient,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let (status, code, retry_after) = match self {
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy", 10u32),
            Self::TooManyFromClient => (StatusCode::TOO_MANY_REQUESTS, "too_many_streams", 30),
        };
        let body = Json(json!({ "error": { "code": code, "message": self.to_string() } }));
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        response
    }
}

#[derive(Default)]
struct Open {
    total: usize,
    /// `None`: a server started without peer addresses, where all clients count as one.
    by_client: HashMap<Option<IpAddr>, usize>,
}

pub struct StreamSlots {
    total: usize,
    per_client: usize,
    open: Mutex<Open>,
}

/// One open stream; dropping it (the stream ended or the client went away) frees the slot.
pub struct Slot {
    slots: Arc<StreamSlots>,
    client: Option<IpAddr>,
}

impl StreamSlots {
    pub fn new(total: usize, per_client: usize) -> Arc<Self> {
        Arc::new(Self { total, per_client, open: Mutex::new(Open::default()) })
    }

    pub fn take(self: &Arc<Self>, client: Option<IpAddr>) -> Result<Slot, Refused> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mine = open.by_client.get(&client).copied().unwrap_or(0);
        if mine >= self.per_client {
            return Err(Refused::TooManyFromClient);
        }
        if open.total >= self.total {
            return Err(Refused::Busy);
        }
        open.total += 1;
        open.by_client.insert(client, mine + 1);
        Ok(Slot { slots: self.clone(), client })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_client.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold_per_client_and_in_all_and_free_on_drop() {
        let slots = StreamSlots::new(3, 2);
        let (a, b, c) = (Some("192.0.2.1".parse().unwrap()), Some("192.0.2.2".parse().unwrap()), None);
        let first = slots.take(a).unwrap();
        let _second = slots.take(a).unwrap();
        assert!(matches!(slots.take(a), Err(Refused::TooManyFromClient)));
        let _third = slots.take(b).unwrap();
        assert!(matches!(slots.take(c), Err(Refused::Busy)));
        drop(first);
        let _fourth = slots.take(c).unwrap();
        assert_eq!(slots.open.lock().unwrap().by_client.len(), 3);
    }
}
