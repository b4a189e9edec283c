//! `/api/v1/scan-events/{reference}`: a scan's summary pushed as server-sent events while it runs,
//! for the tag page. One `data:` line of `ScanSummary` JSON each time it changes, ending with a
//! state that will not change by itself (`done`, `failed`, `unavailable`, `none`).
//!
//! Streams are bounded ([`StreamSlots`]): past the bound the page asks every few seconds instead.
//! A stream on which nothing changed for a while ends, and the browser opens it again by itself.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::Extensions;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::feeds::{Feeds, Latest, Snapshot};
use super::limits::Limits;
use super::scans::ScanParams;
use super::slots::{Slot, StreamSlots};
use super::{ApiError, client};
use super::caller::Caller;
use crate::services::Services;

/// A stream ends after this even if the scan has not: the page then asks again.
const EVENTS_FOR: Duration = Duration::from_secs(30 * 60);

pub struct ScanEvents {
    services: Arc<Services>,
    feeds: Arc<Feeds>,
    slots: Arc<StreamSlots>,
    idle: Duration,
}

impl ScanEvents {
    pub fn new(services: Arc<Services>, limits: &Limits) -> Arc<Self> {
        Arc::new(Self {
            feeds: Feeds::new(services.scans.clone()),
            services,
            slots: StreamSlots::new(limits.event_streams, limits.event_streams_per_client),
            idle: limits.event_idle,
        })
    }
}

pub async fn scan_events(
    State(events): State<Arc<ScanEvents>>,
    Path(reference): Path<String>,
    Query(params): Query<ScanParams>,
    extensions: Extensions,
) -> Result<Response, ApiError> {
    // Before anything that may reach a registry: a refused stream costs nothing.
    let caller = extensions.get::<Caller>().cloned().unwrap_or_default();
    let slot = match events.slots.take(client::address(&extensions)) {
        Ok(slot) => slot,
        Err(refused) => return Ok(refused.into_response()),
    };
    let digest = events.services.scans.followed(caller.viewer(), params.query(&reference)).await?;
    let following = Following {
        updates: events.feeds.follow(digest),
        last: None,
        idle: events.idle,
        until: Instant::now() + EVENTS_FOR,
        _slot: slot,
    };
    Ok(Sse::new(stream(following)).keep_alive(KeepAlive::default()).into_response())
}

/// One open stream: what it last sent, and the slot it holds until it is dropped.
struct Following {
    updates: watch::Receiver<Latest>,
    last: Latest,
    idle: Duration,
    until: Instant,
    _slot: Slot,
}

fn stream(following: Following) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(Some(following), |following| async move {
        let mut following = following?;
        let snapshot = following.next().await?;
        let event = Event::default().data(snapshot.json.clone());
        // After a settled state the stream ends (the next poll of `unfold` sees `None`).
        Some((Ok(event), (!snapshot.settled).then_some(following)))
    })
}

impl Following {
    /// The next summary unlike the last one sent; `None` when the stream should end: the poller
    /// stopped (the store failed), nothing changed for `idle`, or the stream is old enough.
    async fn next(&mut self) -> Option<Arc<Snapshot>> {
        loop {
            let latest = self.updates.borrow_and_update().clone();
            if let Some(snapshot) = latest.filter(|s| self.last.as_deref() != Some(s.as_ref())) {
                self.last = Some(snapshot.clone());
                return Some(snapshot);
            }
            let wait = self.idle.min(self.until.saturating_duration_since(Instant::now()));
            match tokio::time::timeout(wait, self.updates.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }
}
