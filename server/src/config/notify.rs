//! Watches and notifications: how often watched tags are re-checked, when failed deliveries are
//! tried again, the registry-events endpoint's secret and the SMTP server for e-mail.

use std::time::Duration;

use super::ConfigError;
use super::sources::{FileConfig, Sources};
use crate::store::Secret;

pub const DEFAULT_WATCH_INTERVAL_SECS: u64 = 300;
pub const DEFAULT_DELIVERY_SCHEDULE: &str = "5,300,1800,7200,18000,36000,36000";

#[derive(Clone, Debug)]
pub struct NotifySettings {
    /// Between two rounds of the watcher (at least 5 s).
    pub watch_interval: Duration,
    /// The waits between a delivery's attempts: one attempt more than it has entries.
    pub delivery_schedule: Vec<Duration>,
    /// The bearer secret `POST /api/v1/registry-events` requires; unset, the endpoint is off.
    pub registry_events_token: Option<BearerSecret>,
    /// `smtp://`, `smtps://` or `smtp+starttls://` URL of the operator's mail server; unset, no e-mail.
    pub smtp_url: Option<Secret>,
    /// The sender of notification e-mail.
    pub smtp_from: String,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            watch_interval: Duration::from_secs(DEFAULT_WATCH_INTERVAL_SECS),
            delivery_schedule: parse_schedule(DEFAULT_DELIVERY_SCHEDULE).expect("the default schedule parses"),
            registry_events_token: None,
            smtp_url: None,
            smtp_from: "Shipshape <shipshape@localhost>".into(),
        }
    }
}

impl NotifySettings {
    /// `SHIPSHAPE_WATCH_INTERVAL`, `_DELIVERY_SCHEDULE`, `_SMTP_URL`, `_SMTP_FROM` (or their keys in
    /// the file) and `SHIPSHAPE_REGISTRY_EVENTS_TOKEN` (a secret: the environment only).
    pub(super) fn read(sources: &Sources, file: &mut FileConfig) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let watch_interval =
            sources.seconds("SHIPSHAPE_WATCH_INTERVAL", file.watch_interval, DEFAULT_WATCH_INTERVAL_SECS, 5)?;
        let delivery_schedule = match sources.pick("SHIPSHAPE_DELIVERY_SCHEDULE", file.delivery_schedule.take()) {
            Some((name, value)) => parse_schedule(&value).map_err(|reason| ConfigError::invalid(&name, reason))?,
            None => defaults.delivery_schedule,
        };
        let registry_events_token = match sources.pick("SHIPSHAPE_REGISTRY_EVENTS_TOKEN", None) {
            Some((name, value)) if value.trim().len() < 16 => {
                return Err(ConfigError::invalid(&name, "use at least 16 characters (`head -c 24 /dev/urandom | base64`)"));
            }
            Some((_, value)) => Some(BearerSecret(value.trim().to_string())),
            None => None,
        };
        let smtp_url = match sources.pick("SHIPSHAPE_SMTP_URL", None) {
            Some((name, value)) => {
                let scheme = value.split_once("://").map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
                if !matches!(scheme.as_str(), "smtp" | "smtps") {
                    return Err(ConfigError::invalid(
                        &name,
                        "use smtp://host:port (add ?tls=required for STARTTLS) or smtps://user:password@host:465",
                    ));
                }
                Some(Secret::new(value.trim().to_string()))
            }
            None => None,
        };
        let smtp_from = sources.pick("SHIPSHAPE_SMTP_FROM", file.smtp_from.take()).map_or(defaults.smtp_from, |(_, v)| v);
        Ok(Self { watch_interval, delivery_schedule, registry_events_token, smtp_url, smtp_from })
    }
}

/// A shared secret a caller sends as `Authorization: Bearer`: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerSecret(String);

impl BearerSecret {
    /// Whether `given` is the secret. Their SHA-256 digests are compared, so how long a
    /// comparison takes says nothing about how much of the secret a guess had right.
    pub fn matches(&self, given: &str) -> bool {
        use sha2::{Digest, Sha256};
        Sha256::digest(self.0.as_bytes()) == Sha256::digest(given.as_bytes())
    }
}

impl std::fmt::Debug for BearerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerSecret(***)")
    }
}

/// Comma-separated seconds between attempts, e.g. `5,300,1800`.
pub fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    let waits: Vec<Duration> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().map(Duration::from_secs).map_err(|_| format!("{s:?} is not a whole number of seconds")))
        .collect::<Result<_, _>>()?;
    if waits.len() > 20 {
        return Err("at most 20 retries".into());
    }
    Ok(waits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_bad_ones_are_named() {
        assert_eq!(parse_schedule("5, 300").unwrap(), vec![Duration::from_secs(5), Duration::from_secs(300)]);
        assert_eq!(parse_schedule("").unwrap(), Vec::<Duration>::new());
        assert!(parse_schedule("5,soon").unwrap_err().contains("\"soon\""));
        assert_eq!(NotifySettings::default().delivery_schedule.len(), 7);
    }
}
