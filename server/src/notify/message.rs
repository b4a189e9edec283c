//! What a notification says: the event's public type and data (stored once per delivery, the same
//! on every attempt), and how each kind of channel writes it (webhook JSON or CloudEvents, Slack
//! Block Kit, a GitHub `repository_dispatch`, an e-mail).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::store::EventRecord;

/// The event types watches subscribe to, as the API names them.
pub const EVENT_TYPES: &[&str] =
    &["tag.created", "tag.updated", "tag.deleted", "base.updated", "vulnerabilities.found", "scan.completed"];

/// The public type of a stored event kind; `None` for kinds nobody is told about.
pub fn public_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "tag.created" => "tag.created",
        "tag.moved" => "tag.updated",
        "tag.deleted" => "tag.deleted",
        crate::lineage::BASE_UPDATED => "base.updated",
        "scan.completed" => "scan.completed",
        "vulnerabilities.found" => "vulnerabilities.found",
        _ => return None,
    })
}

/// A message as stored in the outbox: `{"type","timestamp","data"}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    pub data: Value,
}

impl Message {
    /// The message for stored `event`, linking to pages under `site` (no trailing slash).
    pub fn for_event(event: &EventRecord, site: &str) -> Option<Self> {
        let event_type = public_type(&event.kind)?;
        let repository = format!("{}/{}", event.registry, event.repository);
        let tag = event.tag.clone();
        let url = match &tag {
            Some(tag) => format!("{site}/images/{repository}:{tag}"),
            None => format!("{site}/images/{repository}"),
        };
        let mut data = json!({
            "repository": repository,
            "tag": tag,
            "digest": event.digest.as_ref().map(|d| d.as_str()),
            "url": url,
        });
        let detail = &event.detail;
        match event_type {
            "tag.updated" | "tag.deleted" => {
                data["previous_digest"] = detail["from"].clone();
                if event_type == "tag.deleted" {
                    data["digest"] = Value::Null;
                }
            }
            "base.updated" => {
                data["base"] = json!({
                    "image": detail["base"],
                    "previous_digest": detail["base_digest"],
                    "digest": detail["base_now"],
                });
                data["platform_digest"] = detail["platform_digest"].clone();
            }
            _ => {
                for key in ["platform_digest", "platform", "findings", "new_findings", "counts", "state"] {
                    if !detail[key].is_null() {
                        data[key] = detail[key].clone();
                    }
                }
            }
        }
        Some(Self { event_type: event_type.to_string(), timestamp: event.created_at, data })
    }

    /// The message "send test" sends.
    pub fn test(channel: &str, site: &str) -> Self {
        Self {
            event_type: "test".into(),
            timestamp: Utc::now(),
            data: json!({ "message": format!("a test of the channel {channel:?} from Shipshape"), "url": site }),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "type": self.event_type,
            "timestamp": self.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": self.data,
        })
    }

    pub fn from_json(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        Some(Self {
            event_type: value["type"].as_str()?.to_string(),
            timestamp: DateTime::parse_from_rfc3339(value["timestamp"].as_str()?).ok()?.with_timezone(&Utc),
            data: value["data"].clone(),
        })
    }

    fn text(&self, key: &str) -> &str {
        self.data[key].as_str().unwrap_or("")
    }

    /// The image the message is about, `registry/repository:tag`.
    pub fn image(&self) -> String {
        match self.data["tag"].as_str() {
            Some(tag) => format!("{}:{tag}", self.text("repository")),
            None => self.text("repository").to_string(),
        }
    }

    /// One line saying what happened, for chat messages and e-mail subjects.
    pub fn summary(&self) -> String {
        let image = self.image();
        let short = |key: &str| short_digest(self.data[key].as_str().unwrap_or(""));
        match self.event_type.as_str() {
            "tag.created" => format!("{image} was pushed ({})", short("digest")),
            "tag.updated" => format!("{image} changed: {} → {}", short("previous_digest"), short("digest")),
            "tag.deleted" => format!("{image} was deleted (was {})", short("previous_digest")),
            "base.updated" => format!(
                "{image}: its base image {} was updated ({}): rebuild",
                self.data["base"]["image"].as_str().unwrap_or("?"),
                short_digest(self.data["base"]["digest"].as_str().unwrap_or(""))
            ),
            "vulnerabilities.found" => {
                let count = self.data["new_findings"].as_u64().unwrap_or(0);
                let worst = self.data["findings"][0]["severity"].as_str().unwrap_or("unknown");
                format!("{image}: {count} new vulnerabilit{} (worst: {worst})", if count == 1 { "y" } else { "ies" })
            }
            "scan.completed" => {
                let findings = self.data["findings"].as_u64().unwrap_or(0);
                format!("{image}: scan completed, {findings} finding{}", if findings == 1 { "" } else { "s" })
            }
            _ => self.text("message").to_string(),
        }
    }

    pub fn url(&self) -> &str {
        self.text("url")
    }

    /// A Standard Webhooks body.
    pub fn webhook_body(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// A CloudEvents 1.0 event in structured mode (`application/cloudevents+json`).
    pub fn cloudevent_body(&self, id: &str, site: &str) -> Vec<u8> {
        json!({
            "specversion": "1.0",
            "id": id,
            "source": site,
            "type": format!("io.shipshape.{}", self.event_type),
            "subject": self.image(),
            "time": self.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true),
            "datacontenttype": "application/json",
            "data": self.data,
        })
        .to_string()
        .into_bytes()
    }

    /// A Slack incoming-webhook body: Block Kit, with `text` for notifications and old clients.
    pub fn slack_body(&self) -> Vec<u8> {
        let summary = self.summary();
        let mut blocks = vec![json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": format!("*{}*", slack_escape(&summary)) },
        })];
        if !self.url().is_empty() {
            blocks.push(json!({
                "type": "context",
                "elements": [{ "type": "mrkdwn", "text": format!("<{}|Open in Shipshape>", self.url()) }],
            }));
        }
        json!({ "text": summary, "blocks": blocks }).to_string().into_bytes()
    }

    /// A `repository_dispatch` body: the event as `client_payload` (at most ten top-level keys).
    pub fn github_dispatch_body(&self, event_type: &str) -> Vec<u8> {
        let payload = json!({
            "type": self.event_type,
            "image": self.image(),
            "repository": self.data["repository"],
            "tag": self.data["tag"],
            "digest": self.data["digest"],
            "previous_digest": self.data["previous_digest"],
            "base": self.data["base"],
            "url": self.data["url"],
            "timestamp": self.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true),
        });
        json!({ "event_type": event_type, "client_payload": payload }).to_string().into_bytes()
    }

    /// An e-mail's subject, plain text and HTML.
    pub fn email(&self) -> (String, String, String) {
        let summary = self.summary();
        let subject = format!("[Shipshape] {summary}");
        let details = serde_json::to_string_pretty(&self.data).unwrap_or_default();
        let text = format!("{summary}\n\n{}\n\n{details}\n", self.url());
        let html = format!(
            "<p><strong>{}</strong></p><p><a href=\"{}\">Open in Shipshape</a></p><pre>{}</pre>",
            html_escape(&summary),
            html_escape(self.url()),
            html_escape(&details)
        );
        (subject, text, html)
    }
}

fn short_digest(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    if hex.is_empty() { "none".into() } else { hex.chars().take(12).collect() }
}

/// Slack's mrkdwn gives `&`, `<` and `>` meaning: an image name must not make a link or mention.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RepositoryId;
    use app::digest::Digest;

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn moved() -> EventRecord {
        EventRecord {
            id: 7,
            kind: "tag.moved".into(),
            repository_id: RepositoryId(1),
            registry: "ghcr.io".into(),
            repository: "o/app".into(),
            tag: Some("1.0".into()),
            digest: Some(Digest::parse(&digest('b')).unwrap()),
            detail: json!({ "from": digest('a'), "to": digest('b') }),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_moved_tag_is_tag_updated_with_both_digests() {
        let message = Message::for_event(&moved(), "https://ship.example").unwrap();
        assert_eq!(message.event_type, "tag.updated");
        assert_eq!(message.data["previous_digest"], digest('a'));
        assert_eq!(message.data["digest"], digest('b'));
        assert_eq!(message.data["url"], "https://ship.example/images/ghcr.io/o/app:1.0");
        assert_eq!(message.summary(), "ghcr.io/o/app:1.0 changed: aaaaaaaaaaaa → bbbbbbbbbbbb");
        let again = Message::from_json(&message.to_json().to_string()).unwrap();
        assert_eq!(again.data, message.data);
        assert_eq!(again.event_type, "tag.updated");
    }

    #[test]
    fn chat_and_mail_escape_what_an_image_name_could_smuggle() {
        let mut event = moved();
        event.repository = "o/<!channel>".into();
        let message = Message::for_event(&event, "http://s").unwrap();
        let slack: Value = serde_json::from_slice(&message.slack_body()).unwrap();
        assert!(slack["blocks"][0]["text"]["text"].as_str().unwrap().contains("&lt;!channel&gt;"));
        assert!(slack["text"].as_str().unwrap().contains("changed"));
        let (_, _, html) = message.email();
        assert!(html.contains("&lt;!channel&gt;") && !html.contains("<!channel>"));
    }

    #[test]
    fn kinds_nobody_is_told_about_make_no_message() {
        let mut event = moved();
        event.kind = "something.internal".into();
        assert!(Message::for_event(&event, "http://s").is_none());
    }
}
