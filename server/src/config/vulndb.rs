//! Where advisories are synced from, which ecosystems, and how often `serve` does it.

use std::time::Duration;

use super::ConfigError;
use super::sources::{AllowHostsValue, FileConfig, Sources, items};

pub const DEFAULT_VULNDB_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The OSV ecosystems whose packages scans find and match.
pub const DEFAULT_VULNDB_ECOSYSTEMS: &[&str] =
    &["Alpine", "Debian", "Ubuntu", "Rocky Linux", "AlmaLinux", "npm", "PyPI", "Go", "crates.io", "RubyGems"];

/// Where advisories are synced from, which, and how often `serve` does it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VulnDbSync {
    pub url: url::Url,
    pub ecosystems: Vec<String>,
    /// `None`: `serve` never syncs by itself.
    pub interval: Option<Duration>,
}

impl VulnDbSync {
    /// `SHIPSHAPE_VULNDB_URL`, `_ECOSYSTEMS` and `_INTERVAL`, or their keys in the file.
    pub(super) fn read(sources: &Sources, file: &mut FileConfig) -> Result<Self, ConfigError> {
        let url = match sources.pick("SHIPSHAPE_VULNDB_URL", file.vulndb_url.take()) {
            Some((name, value)) => url::Url::parse(value.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| ConfigError::invalid(&name, format!("{value:?} is not an http(s) URL")))?,
            None => url::Url::parse(DEFAULT_VULNDB_URL).expect("default vulndb URL parses"),
        };
        let listed = file.vulndb_ecosystems.take().map(AllowHostsValue::joined);
        let ecosystems = match sources.pick("SHIPSHAPE_VULNDB_ECOSYSTEMS", listed) {
            Some((name, value)) => {
                let ecosystems = items(&value);
                if let Some(bad) = ecosystems.iter().find(|e| e.contains(['/', '\\', '?', '#']) || e.starts_with('.')) {
                    return Err(ConfigError::invalid(&name, format!("{bad:?} is not an OSV ecosystem name")));
                }
                ecosystems
            }
            None => DEFAULT_VULNDB_ECOSYSTEMS.iter().map(|e| e.to_string()).collect(),
        };
        let interval = sources.seconds("SHIPSHAPE_VULNDB_INTERVAL", file.vulndb_interval, 86_400, 0)?;
        Ok(VulnDbSync {
            url,
            ecosystems,
            interval: (!interval.is_zero()).then_some(interval.max(Duration::from_secs(60))),
        })
    }
}
