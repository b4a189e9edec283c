//! Sending one delivery: a job per delivery (claimed under a lease, so of several replicas one
//! sends it), the same message id on every attempt, retried on the configured schedule, every
//! attempt logged. A channel whose deliveries have all failed for [`DISABLE_AFTER`] is disabled.

use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::message::Message;
use super::send::{self, Attempt, Outgoing, Sent};
use super::{Notifier, email};
use crate::jobs::{BackgroundJob, Context, JobError, Lane, RunningJob};
use crate::store::{Attempted, ChannelRecord, DeliveryRecord, NewJob};

/// A channel failing this long, every delivery, is disabled (its owner is told on its page).
pub const DISABLE_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// Sends delivery `delivery` (see the module).
#[derive(Serialize, Deserialize)]
pub struct DeliverNotification {
    pub delivery: i64,
}

impl DeliverNotification {
    /// The job row for `delivery`, due now.
    pub fn job(delivery: i64) -> NewJob {
        crate::jobs::new_job(&Self { delivery }, Utc::now())
    }
}

#[async_trait::async_trait]
impl BackgroundJob for DeliverNotification {
    const KIND: &'static str = "deliver";
    const LANE: Lane = Lane::Prompt;
    const PRIORITY: i32 = 5;
    /// The schedule (attempts recorded on the delivery) decides; this cap only stops a delivery
    /// whose sending keeps killing its worker.
    const MAX_ATTEMPTS: i32 = 30;

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("deliver:{}", self.delivery))
    }

    async fn run(&self, context: &Context, _job: &RunningJob) -> Result<(), JobError> {
        let Some(notifier) = &context.notifier else {
            return Err(JobError::Failed("this process has no secret key: it cannot open channels".into()));
        };
        match notifier.deliver(self.delivery).await? {
            Some(wait) => Err(JobError::RetryAfter { reason: "the receiver did not take it".into(), after: wait }),
            None => Ok(()),
        }
    }
}

impl Notifier {
    /// One attempt at delivery `id`; how long to wait before the next one, if another is due.
    pub async fn deliver(&self, id: i64) -> Result<Option<Duration>, crate::store::StoreError> {
        let Some(delivery) = self.store.delivery(id).await? else { return Ok(None) };
        if delivery.state != "pending" {
            return Ok(None);
        }
        let Some(channel) = self.store.channel(delivery.channel_id).await? else { return Ok(None) };
        let attempt = if let Some(reason) = &channel.disabled_reason {
            let sent = Sent::Failed { status: None, detail: format!("the channel is disabled: {reason}") };
            Attempt { sent, duration: Duration::ZERO }
        } else {
            self.attempt(&delivery, &channel).await
        };
        let number = delivery.attempts + 1;
        let retries = self.settings.delivery_schedule.len() as i32;
        let started_at = Utc::now() - chrono::Duration::from_std(attempt.duration).unwrap_or_default();
        let (outcome, status, detail, wait) = match &attempt.sent {
            Sent::Delivered { status, excerpt } => ("delivered", Some(*status), excerpt.clone(), None),
            Sent::Failed { status, detail } => ("failed", *status, detail.clone(), None),
            Sent::Retry { status, detail, .. } if number > retries || delivery.event_type == "test" => {
                ("failed", *status, format!("{detail}; gave up after {number} attempts"), None)
            }
            Sent::Retry { status, detail, retry_after } => {
                let scheduled = self.settings.delivery_schedule[(number - 1) as usize];
                // A receiver asking for more time (429 Retry-After) gets it, up to a day.
                let wait = retry_after.map_or(scheduled, |asked| asked.clamp(scheduled, Duration::from_secs(86_400)));
                ("retry", *status, detail.clone(), Some(wait))
            }
        };
        let attempted = Attempted {
            delivery: id,
            started_at,
            duration_ms: attempt.duration.as_millis().min(i32::MAX as u128) as i32,
            status_code: status.map(i32::from),
            outcome,
            detail: &detail,
        };
        self.store.record_attempt(&attempted).await?;
        tracing::info!(delivery = id, channel = channel.id, attempt = number, outcome, status, "notification attempt");
        if outcome != "delivered" {
            self.disable_if_failing_long(&channel, &detail).await?;
        }
        Ok(wait)
    }

    async fn disable_if_failing_long(&self, channel: &ChannelRecord, detail: &str) -> Result<(), crate::store::StoreError> {
        let Some(since) = channel.failing_since else { return Ok(()) };
        if Utc::now() - since < DISABLE_AFTER {
            return Ok(());
        }
        let reason = format!(
            "every delivery has failed since {}; the last said: {detail}. Fix the receiver, then enable the channel again",
            since.format("%Y-%m-%d %H:%M UTC")
        );
        if self.store.disable_channel(channel.id, &reason).await? {
            tracing::warn!(channel = channel.id, "notification channel disabled: failing for days");
        }
        Ok(())
    }

    /// Sends `delivery` through `channel` as its kind writes it.
    async fn attempt(&self, delivery: &DeliveryRecord, channel: &ChannelRecord) -> Attempt {
        let failed = |detail: String| Attempt { sent: Sent::Failed { status: None, detail }, duration: Duration::ZERO };
        let Some(message) = Message::from_json(&delivery.payload) else {
            return failed("the stored message is not readable".into());
        };
        if channel.kind == "email" {
            return email::send(&self.settings, &channel.target, &delivery.message_id, &message).await;
        }
        let outgoing = match self.outgoing(delivery, channel, &message) {
            Ok(outgoing) => outgoing,
            Err(detail) => return failed(detail),
        };
        send::post(self.policy.clone(), outgoing).await
    }

    /// The HTTP request a delivery makes through a webhook, Slack or GitHub channel.
    fn outgoing(&self, delivery: &DeliveryRecord, channel: &ChannelRecord, message: &Message) -> Result<Outgoing, String> {
        let settings: serde_json::Value = serde_json::from_str(&channel.settings).unwrap_or_default();
        let secret = self.open_secret(channel)?;
        Ok(match channel.kind.as_str() {
            "webhook" => {
                let secret = super::sign::WebhookSecret::from_text(&secret).ok_or("the webhook secret is malformed")?;
                let cloudevents = settings["cloudevents"].as_bool().unwrap_or(false);
                let body = if cloudevents {
                    message.cloudevent_body(&delivery.message_id, &self.site)
                } else {
                    message.webhook_body()
                };
                let timestamp = Utc::now().timestamp();
                let signature = secret.sign(&delivery.message_id, timestamp, &body);
                let content_type = if cloudevents { "application/cloudevents+json" } else { "application/json" };
                Outgoing {
                    url: channel.target.clone(),
                    headers: vec![
                        ("content-type", content_type.into()),
                        ("webhook-id", delivery.message_id.clone()),
                        ("webhook-timestamp", timestamp.to_string()),
                        ("webhook-signature", signature),
                    ],
                    body,
                }
            }
            "slack" => Outgoing {
                url: secret.to_string(),
                headers: vec![("content-type", "application/json".into())],
                body: message.slack_body(),
            },
            "github_dispatch" => {
                let api = settings["api_url"].as_str().unwrap_or("https://api.github.com");
                let event_type = settings["event_type"].as_str().unwrap_or("shipshape");
                Outgoing {
                    url: format!("{api}/repos/{}/dispatches", channel.target),
                    headers: vec![
                        ("content-type", "application/json".into()),
                        ("accept", "application/vnd.github+json".into()),
                        ("x-github-api-version", "2022-11-28".into()),
                        ("authorization", format!("Bearer {}", secret.as_str())),
                    ],
                    body: message.github_dispatch_body(event_type),
                }
            }
            other => return Err(format!("unknown channel kind {other:?}")),
        })
    }
}
