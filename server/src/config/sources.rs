//! Where a setting's text comes from: a `SHIPSHAPE_*` variable wins over the TOML file's key, and
//! either is named in an error by where it came from.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::variables::{PREFIX, VARIABLES};

/// The TOML file's shape: the variables' names without the prefix, in lowercase.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
    pub(super) listen: Option<String>,
    pub(super) database_url: Option<String>,
    pub(super) allow_hosts: Option<AllowHostsValue>,
    pub(super) log: Option<String>,
    pub(super) tag_ttl: Option<u64>,
    pub(super) page_cache: Option<u64>,
    pub(super) registry_timeout: Option<u64>,
    pub(super) insecure_registries: Option<AllowHostsValue>,
    pub(super) base_images: Option<AllowHostsValue>,
    pub(super) base_tags: Option<u64>,
    pub(super) base_platforms: Option<AllowHostsValue>,
    pub(super) base_interval: Option<u64>,
    pub(super) vulndb_url: Option<String>,
    pub(super) vulndb_ecosystems: Option<AllowHostsValue>,
    pub(super) vulndb_interval: Option<u64>,
    pub(super) worker: Option<bool>,
    pub(super) scan_memory: Option<u64>,
    pub(super) scan_timeout: Option<u64>,
    pub(super) signup: Option<String>,
    pub(super) public_url: Option<String>,
    pub(super) trusted_proxies: Option<AllowHostsValue>,
    pub(super) watch_interval: Option<u64>,
    pub(super) delivery_schedule: Option<String>,
    pub(super) smtp_from: Option<String>,
}

/// A list in the file: a TOML array or one comma-separated string, like the variable. (The name
/// shows in serde's error for a value of neither shape.)
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum AllowHostsValue {
    List(Vec<String>),
    Text(String),
}

impl AllowHostsValue {
    /// The comma-separated text a variable would hold.
    pub(super) fn joined(self) -> String {
        match self {
            AllowHostsValue::List(items) => items.join(","),
            AllowHostsValue::Text(text) => text,
        }
    }
}

/// The `SHIPSHAPE_*` variables given, every one of them known.
pub(super) struct Sources {
    vars: Vec<(String, String)>,
}

impl Sources {
    pub(super) fn new(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().filter(|(k, _)| k.starts_with(PREFIX)).collect();
        for (name, _) in &vars {
            if !VARIABLES.iter().any(|(known, _)| known == name) {
                let known = VARIABLES.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ");
                return Err(ConfigError::Unknown { name: name.clone(), known });
            }
        }
        Ok(Self { vars })
    }

    fn var(&self, name: &str) -> Option<String> {
        self.vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// The file `SHIPSHAPE_CONFIG` names, or an empty one.
    pub(super) fn file(&self) -> Result<FileConfig, ConfigError> {
        match self.var("SHIPSHAPE_CONFIG") {
            Some(path) => read_file(Path::new(&path)),
            None => Ok(FileConfig::default()),
        }
    }

    /// The value for `env`, from the variable or else the file, with the name to blame in errors.
    pub(super) fn pick(&self, env: &str, from_file: Option<String>) -> Option<(String, String)> {
        match self.var(env) {
            Some(value) => Some((env.to_string(), value)),
            None => from_file
                .map(|value| (format!("{} in SHIPSHAPE_CONFIG", env.trim_start_matches(PREFIX).to_lowercase()), value)),
        }
    }

    /// A whole number of seconds, at least `min`; `default` when neither source sets it.
    pub(super) fn seconds(
        &self,
        env: &str,
        from_file: Option<u64>,
        default: u64,
        min: u64,
    ) -> Result<Duration, ConfigError> {
        self.number(env, from_file, default, min, "seconds").map(Duration::from_secs)
    }

    /// A whole number of `unit` at least `min`.
    pub(super) fn number(
        &self,
        env: &str,
        from_file: Option<u64>,
        default: u64,
        min: u64,
        unit: &str,
    ) -> Result<u64, ConfigError> {
        match self.pick(env, from_file.map(|v| v.to_string())) {
            Some((name, value)) => value.trim().parse::<u64>().ok().filter(|v| *v >= min).ok_or_else(|| {
                ConfigError::invalid(&name, format!("{value:?} is not a whole number of {unit} >= {min}"))
            }),
            None => Ok(default),
        }
    }
}

/// The non-empty items of a comma-separated list, trimmed.
pub(super) fn items(value: &str) -> Vec<String> {
    value.split(',').map(|h| h.trim().to_string()).filter(|h| !h.is_empty()).collect()
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::ReadFile { path: path.display().to_string(), source })?;
    toml::from_str(&text)
        .map_err(|e| ConfigError::ParseFile { path: path.display().to_string(), reason: e.to_string() })
}
