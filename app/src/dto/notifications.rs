//! What the notification pages show: the user's channels (never a secret), watches and the
//! delivery log of a channel, and the channels a "Watch" panel offers.

use serde::{Deserialize, Serialize};

use super::FreshSecret;

/// The event types a watch can ask for, with what each means to a reader of the form. The server
/// checks its own list against this one in a test.
pub const WATCH_EVENTS: &[(&str, &str)] = &[
    ("tag.created", "a new tag appears"),
    ("tag.updated", "a tag moves to another image"),
    ("tag.deleted", "a tag is deleted"),
    ("base.updated", "the image's base image was updated (rebuild)"),
    ("vulnerabilities.found", "a scan finds vulnerabilities"),
    ("scan.completed", "a scan completes"),
];

/// One of the user's channels. Times are RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRow {
    pub id: i64,
    pub name: String,
    /// "webhook", "slack", "email" or "github_dispatch".
    pub kind: String,
    /// The webhook URL, the e-mail address, the GitHub repository; a Slack URL's host only.
    pub target: String,
    pub cloudevents: bool,
    pub created_at: String,
    /// Since when deliveries fail (the channel is disabled if they go on failing).
    pub failing_since: Option<String>,
    pub disabled_at: Option<String>,
    pub disabled_reason: Option<String>,
}

/// A watch as its owner sees it, with its channels by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRow {
    pub id: i64,
    /// `registry/name`.
    pub repository: String,
    pub tag: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub events: Vec<String>,
    pub min_severity: Option<String>,
    pub channels: Vec<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsPage {
    pub channels: Vec<ChannelRow>,
    pub watches: Vec<WatchRow>,
    /// Whether the operator set up e-mail (SHIPSHAPE_SMTP_URL): the form offers e-mail channels then.
    pub email_enabled: bool,
    /// A webhook's signing secret made a moment ago, shown once (name: the channel's).
    pub fresh_secret: Option<FreshSecret>,
    /// The refresh-hook URL of a watch made a moment ago, shown once (name: what is watched).
    pub fresh_hook: Option<FreshSecret>,
}

/// One try at sending a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRow {
    pub attempt: i32,
    pub at: String,
    pub duration_ms: i32,
    /// "delivered" or "failed".
    pub status: String,
    /// The receiver's HTTP status, when it answered.
    pub response_code: Option<i32>,
    /// The start of the answer, or what went wrong.
    pub detail: String,
}

/// One message through a channel (an event, or a test), with every attempt at it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_type: String,
    /// The `webhook-id` header: the same on every attempt, so receivers can drop repeats.
    pub webhook_id: String,
    /// "pending", "delivered" or "failed".
    pub state: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub attempts: Vec<AttemptRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelLogPage {
    pub channel: ChannelRow,
    /// Newest first.
    pub deliveries: Vec<DeliveryRow>,
}

/// A channel a "Watch" panel offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelChoice {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub disabled: bool,
}
