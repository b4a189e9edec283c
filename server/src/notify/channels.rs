//! A user's channels: where notifications go. Checked when saved (the URL's address against the
//! outbound policy, the fields each kind needs), secrets sealed to the channel's row, and what the
//! owner may read back (never a secret; a webhook's signing secret is shown once, when made).

use chrono::{DateTime, Utc};
use serde_json::json;
use zeroize::Zeroizing;

use super::sign::WebhookSecret;
use super::{Notifier, NotifyError};
use crate::store::{Capped, ChannelRecord, NewChannel, UserId};

pub const KINDS: &[&str] = &["webhook", "slack", "email", "github_dispatch"];
const MAX_NAME: usize = 64;
/// Channels one user may have: enough for any team, not enough to make delivery work unbounded.
pub const MAX_CHANNELS: usize = 50;
const MAX_URL: usize = 2048;
const MAX_TOKEN: usize = 512;
const DEFAULT_GITHUB_API: &str = "https://api.github.com";
const DEFAULT_DISPATCH_EVENT: &str = "shipshape";

/// What a user asks for; which fields count depends on `kind`.
#[derive(Clone, Default, serde::Deserialize)]
pub struct ChannelInput {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub api_url: Option<String>,
    /// Webhooks only: CloudEvents 1.0 structured mode instead of the Standard Webhooks body.
    #[serde(default)]
    pub cloudevents: bool,
}

impl std::fmt::Debug for ChannelInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChannelInput({} {:?})", self.kind, self.name)
    }
}

/// A channel as its owner's pages and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ChannelView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    /// The webhook URL, the e-mail address, the GitHub repository; a Slack URL's host only.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    pub cloudevents: bool,
    pub created_at: DateTime<Utc>,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
}

impl From<&ChannelRecord> for ChannelView {
    fn from(record: &ChannelRecord) -> Self {
        let settings: serde_json::Value = serde_json::from_str(&record.settings).unwrap_or_default();
        Self {
            id: record.id,
            name: record.name.clone(),
            kind: record.kind.clone(),
            target: record.target.clone(),
            event_type: settings["event_type"].as_str().map(str::to_string),
            api_url: settings["api_url"].as_str().map(str::to_string),
            cloudevents: settings["cloudevents"].as_bool().unwrap_or(false),
            created_at: record.created_at,
            failing_since: record.failing_since,
            disabled_at: record.disabled_at,
            disabled_reason: record.disabled_reason.clone(),
        }
    }
}

/// What a sealed channel secret is bound to: the channel and its owner.
pub fn sealing_context(channel: i64, user: i64) -> Vec<u8> {
    format!("notification-channel\0{channel}\0{user}").into_bytes()
}

/// A channel checked and ready to store: what may be shown, the settings, the secret to seal.
struct Checked {
    target: String,
    settings: serde_json::Value,
    secret: Option<Zeroizing<String>>,
    /// A webhook's signing secret, shown once.
    shown_once: Option<String>,
}

impl Notifier {
    /// Saves a channel for `user`; its view and, for a webhook, the signing secret (shown once).
    pub async fn create_channel(
        &self,
        user: UserId,
        input: &ChannelInput,
    ) -> Result<(ChannelView, Option<String>), NotifyError> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(NotifyError::Invalid(format!("name: 1 to {MAX_NAME} characters, no control characters")));
        }
        let checked = match input.kind.as_str() {
            "webhook" => self.check_webhook(input).await?,
            "slack" => self.check_slack(input).await?,
            "email" => self.check_email(input)?,
            "github_dispatch" => self.check_github(input).await?,
            other => {
                return Err(NotifyError::Invalid(format!("kind {other:?}: use one of {}", KINDS.join(", "))));
            }
        };
        let settings = checked.settings.to_string();
        let new = NewChannel { user, name, kind: &input.kind, target: &checked.target, settings: &settings };
        let key = &self.key;
        let secret = checked.secret.as_ref();
        let sealed = |id| secret.map(|s| key.seal(&sealing_context(id, user.0), s.as_bytes()));
        let id = match self.store.insert_channel(&new, MAX_CHANNELS, sealed).await? {
            Capped::Saved(id) => id,
            Capped::Duplicate => {
                return Err(NotifyError::Conflict(format!("you have a channel named {name:?} already")));
            }
            Capped::Full => {
                let why = format!("you have {MAX_CHANNELS} channels, the most one user may have: delete one first");
                return Err(NotifyError::Invalid(why));
            }
        };
        let record = self.store.channel(id).await?.ok_or(NotifyError::NotFound)?;
        tracing::info!(user = user.0, channel = id, kind = %input.kind, "notification channel saved");
        Ok((ChannelView::from(&record), checked.shown_once))
    }

    pub async fn channels(&self, user: UserId) -> Result<Vec<ChannelView>, NotifyError> {
        Ok(self.store.channels(user).await?.iter().map(ChannelView::from).collect())
    }

    /// `user`'s channel `id`, or not found (another user's channel is not found either).
    pub async fn own_channel(&self, user: UserId, id: i64) -> Result<ChannelRecord, NotifyError> {
        self.store.channel(id).await?.filter(|c| c.user_id == user.0).ok_or(NotifyError::NotFound)
    }

    pub async fn delete_channel(&self, user: UserId, id: i64) -> Result<(), NotifyError> {
        if self.store.delete_channel(user, id).await? { Ok(()) } else { Err(NotifyError::NotFound) }
    }

    /// Turns a disabled channel back on (its owner fixed the receiver).
    pub async fn enable_channel(&self, user: UserId, id: i64) -> Result<ChannelView, NotifyError> {
        self.own_channel(user, id).await?;
        self.store.enable_channel(user, id).await?;
        Ok(ChannelView::from(&self.own_channel(user, id).await?))
    }

    /// The channel's secret, opened.
    pub(super) fn open_secret(&self, channel: &ChannelRecord) -> Result<Zeroizing<String>, String> {
        let sealed = channel.sealed.as_deref().ok_or("the channel has no secret stored")?;
        let plain = self
            .key
            .open(&sealing_context(channel.id, channel.user_id), sealed)
            .map_err(|_| "the channel's secret does not open with this server's key".to_string())?;
        String::from_utf8(plain).map(Zeroizing::new).map_err(|_| "the channel's secret is not text".into())
    }

    async fn check_webhook(&self, input: &ChannelInput) -> Result<Checked, NotifyError> {
        let url = self.check_url("url", input.url.as_deref()).await?;
        let secret = WebhookSecret::generate().to_text();
        Ok(Checked {
            target: url,
            settings: json!({ "cloudevents": input.cloudevents }),
            secret: Some(Zeroizing::new(secret.clone())),
            shown_once: Some(secret),
        })
    }

    async fn check_slack(&self, input: &ChannelInput) -> Result<Checked, NotifyError> {
        let url = self.check_url("url", input.url.as_deref()).await?;
        // The URL is the credential: only its host is shown again.
        let host = url::Url::parse(&url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        Ok(Checked {
            target: format!("{host}/…"),
            settings: json!({}),
            secret: Some(Zeroizing::new(url)),
            shown_once: None,
        })
    }

    fn check_email(&self, input: &ChannelInput) -> Result<Checked, NotifyError> {
        if self.settings.smtp_url.is_none() {
            return Err(NotifyError::Invalid(
                "this server sends no e-mail: its operator has not set SHIPSHAPE_SMTP_URL".into(),
            ));
        }
        let to = input.to.as_deref().map(str::trim).unwrap_or_default();
        if to.parse::<lettre::Address>().is_err() || to.len() > 254 {
            return Err(NotifyError::Invalid(format!("to: {to:?} is not an e-mail address")));
        }
        Ok(Checked { target: to.to_string(), settings: json!({}), secret: None, shown_once: None })
    }

    async fn check_github(&self, input: &ChannelInput) -> Result<Checked, NotifyError> {
        let repository = input.repository.as_deref().map(str::trim).unwrap_or_default();
        let valid_part = |p: &str| {
            !p.is_empty() && p.len() <= 100 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        match repository.split_once('/') {
            Some((owner, name)) if valid_part(owner) && valid_part(name) && name != "." && name != ".." => {}
            _ => return Err(NotifyError::Invalid(format!("repository: {repository:?} is not owner/name"))),
        }
        let token = input.token.as_deref().map(str::trim).unwrap_or_default();
        if token.is_empty() || token.len() > MAX_TOKEN || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(NotifyError::Invalid(
                "token: a GitHub token allowed to dispatch to the repository (fine-grained: Contents read and write)".into(),
            ));
        }
        let event_type = input.event_type.as_deref().map(str::trim).filter(|e| !e.is_empty());
        let event_type = event_type.unwrap_or(DEFAULT_DISPATCH_EVENT);
        if event_type.len() > 100 || event_type.chars().any(char::is_control) {
            return Err(NotifyError::Invalid("event_type: at most 100 characters".into()));
        }
        let api_url = match input.api_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => self.check_url("api_url", Some(url)).await?.trim_end_matches('/').to_string(),
            None => DEFAULT_GITHUB_API.to_string(),
        };
        Ok(Checked {
            target: repository.to_string(),
            settings: json!({ "event_type": event_type, "api_url": api_url }),
            secret: Some(Zeroizing::new(token.to_string())),
            shown_once: None,
        })
    }

    /// An http(s) URL whose host the outbound policy allows now (it is checked again at delivery).
    async fn check_url(&self, field: &str, url: Option<&str>) -> Result<String, NotifyError> {
        let text = url.map(str::trim).unwrap_or_default();
        let invalid = |why: &str| NotifyError::Invalid(format!("{field}: {why}"));
        if text.is_empty() {
            return Err(invalid("required"));
        }
        if text.len() > MAX_URL {
            return Err(invalid(&format!("at most {MAX_URL} characters")));
        }
        let parsed = url::Url::parse(text).map_err(|e| invalid(&format!("{text:?} is not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("use an http:// or https:// URL"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("no user name or password in the URL"));
        }
        let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
            return Err(invalid("the URL names no host"));
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.policy.resolve(host, port).await.map_err(|e| match e {
            crate::net::NetError::Resolve { host, .. } => invalid(&format!("cannot resolve {host}")),
            refused => {
                tracing::info!(error = %refused, "a channel URL was refused");
                NotifyError::Refused(format!(
                    "{field}: refusing {host}:{port}: it is not a public address, and notifications go only to \
                     public addresses unless the operator allow-lists them (SHIPSHAPE_ALLOW_HOSTS={host}:{port})"
                ))
            }
        })?;
        Ok(parsed.to_string())
    }
}
