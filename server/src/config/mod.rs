//! Configuration: defaults, then an optional TOML file (`SHIPSHAPE_CONFIG`), then `SHIPSHAPE_*` variables.
//! Anything unknown or malformed stops start-up with a message naming the variable or key.

mod known_bases;
mod notify;
mod sources;
mod variables;
mod vulndb;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use sources::{AllowHostsValue, Sources, items};

pub use crate::allow_list::AllowList;
use crate::scan::limits::{DEFAULT_SCAN_MEMORY_MIB, DEFAULT_SCAN_TIMEOUT_SECS, ScanLimits};
// The store owns what names a database; the configuration only reads it.
pub use crate::store::{DatabaseUrl, Secret};
pub use known_bases::{DEFAULT_BASE_IMAGES, KnownBases};
pub use notify::{BearerSecret, DEFAULT_DELIVERY_SCHEDULE, NotifySettings, parse_schedule};
pub use variables::VARIABLES;
pub use vulndb::{DEFAULT_VULNDB_ECOSYSTEMS, DEFAULT_VULNDB_URL, VulnDbSync};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE: &str = "sqlite://./data/shipshape.db";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: String, reason: String },
    #[error("{name} is not a Shipshape setting; known: {known}")]
    Unknown { name: String, known: String },
    #[error("SHIPSHAPE_CONFIG: cannot read {path}: {source}")]
    ReadFile { path: String, source: std::io::Error },
    #[error("SHIPSHAPE_CONFIG: {path}: {reason}")]
    ParseFile { path: String, reason: String },
}

impl ConfigError {
    fn invalid(name: &str, reason: impl fmt::Display) -> Self {
        ConfigError::Invalid { name: name.to_string(), reason: reason.to_string() }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: DatabaseUrl,
    pub allow_hosts: AllowList,
    pub log: String,
    pub tag_ttl: Duration,
    /// How long an anonymous image page is served again from memory (0: never).
    pub page_cache: Duration,
    pub registry_timeout: Duration,
    pub insecure_registries: Vec<String>,
    pub base_images: KnownBases,
    pub vulndb: VulnDbSync,
    /// Whether `serve` runs the background jobs too.
    pub worker: bool,
    pub scan: ScanLimits,
    /// SHIPSHAPE_SECRET_KEY (environment only: a secret stays out of the config file); unset, a
    /// SQLite deployment keeps its key in a file beside the database (see `secrets`).
    pub secret_key: Option<crate::secrets::SecretKey>,
    /// SHIPSHAPE_SIGNUP: whether anyone may make an account, or only administrators and the CLI.
    pub signup: crate::auth::Signup,
    /// SHIPSHAPE_PUBLIC_URL: the origin browsers use (scheme, host, port; no path).
    pub public_url: Option<PublicUrl>,
    /// Whose `X-Forwarded-For` names the client (`SHIPSHAPE_TRUSTED_PROXIES`).
    pub trusted_proxies: crate::http::client::TrustedProxies,
    /// Watches and notifications.
    pub notify: NotifySettings,
}

/// The origin users reach the server at, as a browser's `Origin` header writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// `https://shipshape.example` (default ports left out, as browsers do).
    pub origin: String,
    pub https: bool,
}

impl PublicUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text.trim()).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(format!("{text:?}: the scheme must be http or https, not {other}")),
        };
        if url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{text:?}: write it as https://host[:port]"));
        }
        Ok(Self { origin: url.origin().ascii_serialization(), https })
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Builds the configuration from variables (the environment, or a test's list).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let sources = Sources::new(vars)?;
        let mut file = sources.file()?;

        let listen = match sources.pick("SHIPSHAPE_LISTEN", file.listen.take()) {
            Some((name, value)) => value
                .parse()
                .map_err(|_| ConfigError::invalid(&name, format!("{value:?} is not an address like 127.0.0.1:3000")))?,
            None => DEFAULT_LISTEN.parse().expect("default listen address parses"),
        };
        let database_url = match sources.pick("SHIPSHAPE_DATABASE_URL", file.database_url.take()) {
            Some((name, value)) => DatabaseUrl::parse(&value).map_err(|reason| ConfigError::invalid(&name, reason))?,
            None => DatabaseUrl::parse(DEFAULT_DATABASE).expect("default database URL parses"),
        };
        let listed = file.allow_hosts.take().map(AllowHostsValue::joined);
        let allow_hosts = match sources.pick("SHIPSHAPE_ALLOW_HOSTS", listed) {
            Some((name, value)) => AllowList::parse(&value).map_err(|reason| ConfigError::invalid(&name, reason))?,
            None => AllowList::default(),
        };
        let log = sources.pick("SHIPSHAPE_LOG", file.log.take()).map_or_else(|| "info".to_string(), |(_, value)| value);
        let tag_ttl = sources.seconds("SHIPSHAPE_TAG_TTL", file.tag_ttl, 300, 0)?;
        let page_cache = sources.seconds("SHIPSHAPE_PAGE_CACHE", file.page_cache, 5, 0)?;
        let registry_timeout = sources.seconds("SHIPSHAPE_REGISTRY_TIMEOUT", file.registry_timeout, 30, 1)?;
        let insecure_registries = sources
            .pick("SHIPSHAPE_INSECURE_REGISTRIES", file.insecure_registries.take().map(AllowHostsValue::joined))
            .map(|(_, value)| items(&value.to_ascii_lowercase()))
            .unwrap_or_default();
        let base_images = KnownBases::read(&sources, &mut file)?;
        let vulndb = VulnDbSync::read(&sources, &mut file)?;
        let worker = match sources.pick("SHIPSHAPE_WORKER", file.worker.map(|w| w.to_string())) {
            Some((name, value)) => match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => return Err(ConfigError::invalid(&name, format!("{value:?}: use true or false"))),
            },
            None => true,
        };
        let scan_memory = sources.number("SHIPSHAPE_SCAN_MEMORY", file.scan_memory, DEFAULT_SCAN_MEMORY_MIB, 16, "MiB")?;
        let scan_timeout = sources.seconds("SHIPSHAPE_SCAN_TIMEOUT", file.scan_timeout, DEFAULT_SCAN_TIMEOUT_SECS, 5)?;
        let secret_key = match sources.pick("SHIPSHAPE_SECRET_KEY", None) {
            Some((name, value)) => {
                Some(crate::secrets::SecretKey::from_base64(&value).map_err(|reason| ConfigError::invalid(&name, reason))?)
            }
            None => None,
        };
        let signup = match sources.pick("SHIPSHAPE_SIGNUP", file.signup.take()) {
            Some((name, value)) => crate::auth::Signup::parse(&value)
                .ok_or_else(|| ConfigError::invalid(&name, format!("{value:?}: use open or closed")))?,
            None => crate::auth::Signup::Open,
        };
        let public_url = match sources.pick("SHIPSHAPE_PUBLIC_URL", file.public_url.take()) {
            Some((name, value)) => Some(PublicUrl::parse(&value).map_err(|reason| ConfigError::invalid(&name, reason))?),
            None => None,
        };
        let trusted_proxies =
            match sources.pick("SHIPSHAPE_TRUSTED_PROXIES", file.trusted_proxies.take().map(AllowHostsValue::joined)) {
                Some((name, value)) => crate::http::client::TrustedProxies::parse(&value)
                    .map_err(|reason| ConfigError::invalid(&name, reason))?,
                None => crate::http::client::TrustedProxies::default(),
            };

        Ok(Config {
            listen,
            database_url,
            allow_hosts,
            log,
            tag_ttl,
            page_cache,
            registry_timeout,
            insecure_registries,
            base_images,
            vulndb,
            worker,
            scan: ScanLimits::with_memory(scan_memory << 20, scan_timeout),
            secret_key,
            signup,
            public_url,
            trusted_proxies,
            notify: NotifySettings::read(&sources, &mut file)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_serve_loopback_with_sqlite_under_data() {
        let config = Config::from_vars(vars(&[("HOME", "/root")])).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, DatabaseUrl::Sqlite("./data/shipshape.db".into()));
        assert!(config.allow_hosts.is_empty());
    }

    #[test]
    fn unknown_variable_is_named() {
        let err = Config::from_vars(vars(&[("SHIPSHAPE_LISTN", "x")])).unwrap_err().to_string();
        assert!(err.starts_with("SHIPSHAPE_LISTN is not a Shipshape setting"), "{err}");
    }

    #[test]
    fn invalid_values_name_their_variable() {
        let err = Config::from_vars(vars(&[("SHIPSHAPE_LISTEN", "localhost")])).unwrap_err().to_string();
        assert!(err.starts_with("SHIPSHAPE_LISTEN:"), "{err}");
        let err = Config::from_vars(vars(&[("SHIPSHAPE_DATABASE_URL", "mysql://u:pw@h/db")])).unwrap_err().to_string();
        assert!(err.starts_with("SHIPSHAPE_DATABASE_URL:"), "{err}");
        assert!(!err.contains("pw"), "password leaked: {err}");
        let err = Config::from_vars(vars(&[("SHIPSHAPE_ALLOW_HOSTS", "10.0.0.0/99")])).unwrap_err().to_string();
        assert!(err.starts_with("SHIPSHAPE_ALLOW_HOSTS:"), "{err}");
    }

    #[test]
    fn known_bases_default_to_official_images_and_can_be_changed_or_turned_off() {
        let defaults = Config::from_vars(vars(&[])).unwrap().base_images;
        assert_eq!(defaults.repositories[0].repository_path(), "docker.io/library/alpine");
        assert_eq!((defaults.tags_per_repository, defaults.platforms.len()), (5, 2));
        let custom = Config::from_vars(vars(&[
            ("SHIPSHAPE_BASE_IMAGES", "debian, registry.lan:5000/team/base"),
            ("SHIPSHAPE_BASE_TAGS", "0"),
            ("SHIPSHAPE_BASE_PLATFORMS", "linux/arm64/v8"),
        ]))
        .unwrap()
        .base_images;
        let paths: Vec<String> = custom.repositories.iter().map(|r| r.repository_path()).collect();
        assert_eq!(paths, ["docker.io/library/debian", "registry.lan:5000/team/base"]);
        assert!(Config::from_vars(vars(&[("SHIPSHAPE_BASE_IMAGES", "")])).unwrap().base_images.repositories.is_empty());
        for (name, value) in [
            ("SHIPSHAPE_BASE_IMAGES", "alpine:3.20"),
            ("SHIPSHAPE_BASE_TAGS", "1000"),
            ("SHIPSHAPE_BASE_PLATFORMS", "linux"),
            ("SHIPSHAPE_BASE_INTERVAL", "5"),
        ] {
            let err = Config::from_vars(vars(&[(name, value)])).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{name}:")), "{err}");
        }
    }

    #[test]
    fn database_password_never_appears_in_debug() {
        let config =
            Config::from_vars(vars(&[("SHIPSHAPE_DATABASE_URL", "postgres://app:s3cr3t@db:5432/shipshape")])).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("postgres://app:***@db:5432/shipshape"), "{shown}");
        match config.database_url {
            DatabaseUrl::Postgres(url) => assert_eq!(url.expose(), "postgres://app:s3cr3t@db:5432/shipshape"),
            other => panic!("expected postgres, got {other}"),
        }
    }

    #[test]
    fn signup_is_open_unless_closed_and_anything_else_is_refused() {
        use crate::auth::Signup;
        assert_eq!(Config::from_vars(vars(&[])).unwrap().signup, Signup::Open);
        assert_eq!(Config::from_vars(vars(&[("SHIPSHAPE_SIGNUP", "closed")])).unwrap().signup, Signup::Closed);
        assert_eq!(Config::from_vars(vars(&[("SHIPSHAPE_SIGNUP", "Open")])).unwrap().signup, Signup::Open);
        let err = Config::from_vars(vars(&[("SHIPSHAPE_SIGNUP", "invite")])).unwrap_err().to_string();
        assert!(err.starts_with("SHIPSHAPE_SIGNUP:") && err.contains("open or closed"), "{err}");
    }

    #[test]
    fn toml_file_is_read_and_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shipshape.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:8080\"\nallow_hosts = [\"registry.local:5000\", \"10.1.0.0/16\"]\nlog = \"debug\"\n",
        )
        .unwrap();
        let file = path.to_str().unwrap();
        let config = Config::from_vars(vars(&[("SHIPSHAPE_CONFIG", file), ("SHIPSHAPE_LOG", "warn")])).unwrap();
        assert_eq!(config.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(config.log, "warn");
        assert_eq!(config.allow_hosts.len(), 2);

        std::fs::write(&path, "listen = \"nope\"\n").unwrap();
        let err = Config::from_vars(vars(&[("SHIPSHAPE_CONFIG", file)])).unwrap_err().to_string();
        assert!(err.starts_with("listen in SHIPSHAPE_CONFIG:"), "{err}");
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        let err = Config::from_vars(vars(&[("SHIPSHAPE_CONFIG", file)])).unwrap_err().to_string();
        assert!(err.contains("unknown field `lisen`"), "{err}");
    }
}
