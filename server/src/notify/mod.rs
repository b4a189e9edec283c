//! Change notifications: users' channels (webhook signed per Standard Webhooks, Slack, e-mail,
//! GitHub `repository_dispatch`), the outbox of deliveries (one per event and channel, sent by a
//! job each, retried on a schedule, every attempt logged), "send test" and "redeliver".
//! What is watched, and the watcher, are in `watch`.

mod channels;
mod deliver;
mod email;
mod fanout;
mod message;
mod send;
mod sign;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::NotifySettings;
use crate::net::Policy;
use crate::secrets::SecretKey;
use crate::store::{NewDelivery, SharedStore, StoreError, UserId};

pub use channels::{ChannelInput, ChannelView, KINDS, sealing_context as channel_sealing_context};
pub use deliver::{DISABLE_AFTER, DeliverNotification};
pub use fanout::deliveries_for;
pub use message::{EVENT_TYPES, Message, public_type};
pub use sign::WebhookSecret;

/// The least time between two test messages through one channel.
const TEST_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// Deliveries a log page lists at most.
const LOG_LIMIT: u32 = 100;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{0}")]
    Invalid(String),
    /// A URL the outbound policy refuses.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Conflict(String),
    #[error("no such channel, watch or delivery of yours")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Channels and deliveries, for the API, the pages and the jobs.
#[derive(Clone)]
pub struct Notifier {
    store: SharedStore,
    key: SecretKey,
    policy: Arc<Policy>,
    settings: NotifySettings,
    /// Where links in messages point: SHIPSHAPE_PUBLIC_URL, else the listening address.
    site: String,
    /// How recently a watcher's access to a private repository must have been confirmed.
    grant_ttl: std::time::Duration,
}

/// A delivery as the log shows it, with its attempts.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeliveryView {
    pub id: i64,
    pub channel: i64,
    pub event_type: String,
    /// The `webhook-id` header: the same on every attempt.
    pub webhook_id: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct AttemptView {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub duration_ms: i32,
    pub status: String,
    pub response_code: Option<i32>,
    pub detail: String,
}

impl Notifier {
    pub fn new(
        store: SharedStore,
        key: SecretKey,
        policy: Arc<Policy>,
        settings: NotifySettings,
        site: String,
        tag_ttl: std::time::Duration,
    ) -> Self {
        // Rounds re-check grants older than the tag TTL: two rounds' worth of slack.
        let grant_ttl = tag_ttl.max(settings.watch_interval).max(std::time::Duration::from_secs(60)) * 2;
        Self { store, key, policy, settings, site: site.trim_end_matches('/').to_string(), grant_ttl }
    }

    pub fn site(&self) -> &str {
        &self.site
    }

    /// The deliveries `event` causes (see `fanout`); how many were stored.
    pub async fn fan_out(&self, event: &crate::store::EventRecord) -> Result<usize, StoreError> {
        deliveries_for(&self.store, event, &self.site, self.grant_ttl).await
    }

    /// The newest deliveries through `user`'s channel `channel`, with their attempts.
    pub async fn deliveries(&self, user: UserId, channel: i64) -> Result<Vec<DeliveryView>, NotifyError> {
        self.own_channel(user, channel).await?;
        let deliveries = self.store.deliveries(channel, LOG_LIMIT).await?;
        let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
        let mut attempts = self.store.delivery_attempts(&ids).await?;
        Ok(deliveries
            .into_iter()
            .map(|d| {
                let mine: Vec<AttemptView> = attempts
                    .extract_if(.., |a| a.delivery_id == d.id)
                    .map(|a| AttemptView {
                        attempt: a.attempt,
                        at: a.started_at,
                        duration_ms: a.duration_ms,
                        status: a.outcome,
                        response_code: a.status_code,
                        detail: a.detail,
                    })
                    .collect();
                DeliveryView {
                    id: d.id,
                    channel: d.channel_id,
                    event_type: d.event_type,
                    webhook_id: d.message_id,
                    state: d.state,
                    created_at: d.created_at,
                    finished_at: d.finished_at,
                    attempts: mine,
                }
            })
            .collect())
    }

    /// Sends a test message through `user`'s channel `id` now (not retried); the delivery as logged.
    pub async fn test_channel(&self, user: UserId, id: i64) -> Result<DeliveryView, NotifyError> {
        let channel = self.own_channel(user, id).await?;
        // A test is sent at once, whatever the receiver: not a way to make this server a cannon.
        let last = self.store.deliveries(id, 1).await?;
        if last.first().is_some_and(|d| d.event_type == "test" && Utc::now() - d.created_at < TEST_EVERY) {
            return Err(NotifyError::Conflict("one test every 10 seconds per channel: try again in a moment".into()));
        }
        let message = Message::test(&channel.name, &self.site);
        let mut random = [0u8; 12];
        getrandom::fill(&mut random).map_err(|e| NotifyError::Invalid(format!("no randomness: {e}")))?;
        let delivery = NewDelivery {
            channel: id,
            event: None,
            event_type: "test".into(),
            message_id: format!("msg_test_{}", hex::encode(random)),
            payload: message.to_json().to_string(),
        };
        // Stored without a job: sent here, once, so the page can say at once how it went.
        let stored = self.store.enqueue_deliveries(std::slice::from_ref(&delivery), |_| None).await?;
        let delivery_id = *stored.first().ok_or(NotifyError::NotFound)?;
        // Sent on its own task: a caller that goes away mid-send does not leave it pending.
        let notifier = self.clone();
        let sending = tokio::spawn(async move { notifier.deliver(delivery_id).await });
        sending.await.map_err(|e| NotifyError::Invalid(format!("the test send stopped: {e}")))??;
        self.deliveries(user, id).await?.into_iter().find(|d| d.id == delivery_id).ok_or(NotifyError::NotFound)
    }

    /// Sends `user`'s delivery `id` again, with the same `webhook-id`.
    pub async fn redeliver(&self, user: UserId, id: i64) -> Result<(), NotifyError> {
        let delivery = self.store.delivery(id).await?.ok_or(NotifyError::NotFound)?;
        self.own_channel(user, delivery.channel_id).await?;
        if !self.store.redeliver(id, DeliverNotification::job(id)).await? {
            return Err(NotifyError::Conflict("this delivery is still being sent".into()));
        }
        Ok(())
    }
}
