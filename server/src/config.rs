//! Configuration: defaults, then an optional TOML file (`SHIPSHAPE_CONFIG`), then `SHIPSHAPE_*` variables.
//! Anything unknown or malformed stops start-up with a message naming the variable or key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use crate::allow_list::AllowList;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE: &str = "sqlite://./data/shipshape.db";
const PREFIX: &str = "SHIPSHAPE_";

/// Every variable Shipshape reads, with what it means: the README's table is the same list.
pub const VARIABLES: &[(&str, &str)] = &[
    ("SHIPSHAPE_CONFIG", "path of an optional TOML file with the keys below in lowercase"),
    ("SHIPSHAPE_LISTEN", "address to serve on, host:port"),
    ("SHIPSHAPE_DATABASE_URL", "sqlite://PATH or postgres://USER:PASSWORD@HOST/DB"),
    ("SHIPSHAPE_ALLOW_HOSTS", "comma-separated hosts, host:port or CIDRs allowed despite private addresses"),
    ("SHIPSHAPE_LOG", "log filter, e.g. info or shipshape=debug"),
    ("SHIPSHAPE_TAG_TTL", "seconds a tag's resolved digest is trusted before one HEAD re-checks it (default 300)"),
    ("SHIPSHAPE_REGISTRY_TIMEOUT", "seconds a registry request may stall before it fails (default 30)"),
    (
        "SHIPSHAPE_INSECURE_REGISTRIES",
        "comma-separated registries (host:port) spoken to over plain HTTP; allow-listed loopback ones always are",
    ),
    (
        "SHIPSHAPE_BASE_IMAGES",
        "comma-separated repositories indexed in the background as known bases (default: Docker official images \
         people build on; empty: none)",
    ),
    ("SHIPSHAPE_BASE_TAGS", "newest version tags indexed per base repository, besides latest (default 5)"),
    ("SHIPSHAPE_BASE_PLATFORMS", "platforms indexed for base images (default linux/amd64,linux/arm64)"),
    ("SHIPSHAPE_BASE_INTERVAL", "seconds between re-checks of the base images' tags (default 21600)"),
    (
        "SHIPSHAPE_VULNDB_URL",
        "where `vulndb sync` downloads ECOSYSTEM/all.zip from, laid out like osv.dev's bucket \
         (default https://osv-vulnerabilities.storage.googleapis.com)",
    ),
    ("SHIPSHAPE_VULNDB_ECOSYSTEMS", "comma-separated OSV ecosystems `vulndb sync` downloads (default: those scans match)"),
    ("SHIPSHAPE_VULNDB_INTERVAL", "seconds between the advisory syncs `serve` runs (default 86400; 0: never)"),
];

pub const DEFAULT_VULNDB_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The OSV ecosystems whose packages scans find and match.
pub const DEFAULT_VULNDB_ECOSYSTEMS: &[&str] = &[
    "Alpine",
    "Debian",
    "Ubuntu",
    "Rocky Linux",
    "AlmaLinux",
    "npm",
    "PyPI",
    "Go",
    "crates.io",
    "RubyGems",
];

/// The official images most Dockerfiles start `FROM`.
pub const DEFAULT_BASE_IMAGES: &[&str] = &[
    "alpine",
    "busybox",
    "debian",
    "ubuntu",
    "golang",
    "node",
    "python",
    "ruby",
    "rust",
    "eclipse-temurin",
    "php",
    "nginx",
];

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
    pub registry_timeout: Duration,
    pub insecure_registries: Vec<String>,
    pub base_images: KnownBases,
    pub vulndb: VulnDbSync,
}

/// Where advisories are synced from, which, and how often `serve` does it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VulnDbSync {
    pub url: url::Url,
    pub ecosystems: Vec<String>,
    /// `None`: `serve` never syncs by itself.
    pub interval: Option<Duration>,
}

/// What the background indexer keeps in the lineage index so bases are known on a fresh install.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownBases {
    pub repositories: Vec<app::reference::ImageReference>,
    pub tags_per_repository: usize,
    pub platforms: Vec<String>,
    pub interval: Duration,
}

/// The database to use, chosen by URL scheme. `Debug` and `Display` never show a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(Secret),
}

/// A string that must not reach logs: `Debug` prints it with the password replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url_password(&self.0))
    }
}

impl DatabaseUrl {
    pub fn parse(value: &str) -> Result<Self, String> {
        if let Some(rest) = value.strip_prefix("sqlite://").or_else(|| value.strip_prefix("sqlite:")) {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("sqlite URL needs a file path, e.g. sqlite://./data/shipshape.db".into());
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(Secret(value.to_string())))
        } else {
            Err(format!(
                "unsupported database URL {:?}: use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB",
                redact_url_password(value)
            ))
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => write!(f, "{url:?}"),
        }
    }
}

fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let masked = if userinfo.contains(':') { format!("{user}:***") } else { user.to_string() };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// The TOML file's shape: the variables' names without the prefix, in lowercase.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    allow_hosts: Option<AllowHostsValue>,
    log: Option<String>,
    tag_ttl: Option<u64>,
    registry_timeout: Option<u64>,
    insecure_registries: Option<AllowHostsValue>,
    base_images: Option<AllowHostsValue>,
    base_tags: Option<u64>,
    base_platforms: Option<AllowHostsValue>,
    base_interval: Option<u64>,
    vulndb_url: Option<String>,
    vulndb_ecosystems: Option<AllowHostsValue>,
    vulndb_interval: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AllowHostsValue {
    List(Vec<String>),
    Text(String),
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Builds the configuration from variables (the environment, or a test's list).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().filter(|(k, _)| k.starts_with(PREFIX)).collect();
        for (name, _) in &vars {
            if !VARIABLES.iter().any(|(known, _)| known == name) {
                let known = VARIABLES.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ");
                return Err(ConfigError::Unknown { name: name.clone(), known });
            }
        }
        let var = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());

        let file = match var("SHIPSHAPE_CONFIG") {
            Some(path) => read_file(Path::new(&path))?,
            None => FileConfig::default(),
        };
        let pick = |env: &str, from_file: Option<String>| -> Option<(String, String)> {
            match var(env) {
                Some(value) => Some((env.to_string(), value)),
                None => from_file.map(|value| {
                    (format!("{} in SHIPSHAPE_CONFIG", env.trim_start_matches(PREFIX).to_lowercase()), value)
                }),
            }
        };

        let listen = match pick("SHIPSHAPE_LISTEN", file.listen) {
            Some((name, value)) => value
                .parse()
                .map_err(|_| ConfigError::invalid(&name, format!("{value:?} is not an address like 127.0.0.1:3000")))?,
            None => DEFAULT_LISTEN.parse().expect("default listen address parses"),
        };
        let database_url = match pick("SHIPSHAPE_DATABASE_URL", file.database_url) {
            Some((name, value)) => DatabaseUrl::parse(&value).map_err(|reason| ConfigError::invalid(&name, reason))?,
            None => DatabaseUrl::parse(DEFAULT_DATABASE).expect("default database URL parses"),
        };
        let allow_hosts_file = file.allow_hosts.map(|v| match v {
            AllowHostsValue::List(items) => items.join(","),
            AllowHostsValue::Text(text) => text,
        });
        let allow_hosts = match pick("SHIPSHAPE_ALLOW_HOSTS", allow_hosts_file) {
            Some((name, value)) => AllowList::parse(&value).map_err(|reason| ConfigError::invalid(&name, reason))?,
            None => AllowList::default(),
        };
        let log = pick("SHIPSHAPE_LOG", file.log).map_or_else(|| "info".to_string(), |(_, value)| value);

        let seconds = |env: &str, from_file: Option<u64>, default: u64, min: u64| -> Result<Duration, ConfigError> {
            match pick(env, from_file.map(|v| v.to_string())) {
                Some((name, value)) => {
                    value.trim().parse::<u64>().ok().filter(|v| *v >= min).map(Duration::from_secs).ok_or_else(|| {
                        ConfigError::invalid(&name, format!("{value:?} is not a whole number of seconds >= {min}"))
                    })
                }
                None => Ok(Duration::from_secs(default)),
            }
        };
        let tag_ttl = seconds("SHIPSHAPE_TAG_TTL", file.tag_ttl, 300, 0)?;
        let registry_timeout = seconds("SHIPSHAPE_REGISTRY_TIMEOUT", file.registry_timeout, 30, 1)?;
        let list = |v: AllowHostsValue| match v {
            AllowHostsValue::List(items) => items.join(","),
            AllowHostsValue::Text(text) => text,
        };
        let items = |value: &str| -> Vec<String> {
            value.split(',').map(|h| h.trim().to_string()).filter(|h| !h.is_empty()).collect()
        };
        let insecure_registries = pick("SHIPSHAPE_INSECURE_REGISTRIES", file.insecure_registries.map(list))
            .map(|(_, value)| items(&value.to_ascii_lowercase()))
            .unwrap_or_default();

        let repositories = match pick("SHIPSHAPE_BASE_IMAGES", file.base_images.map(list)) {
            Some((name, value)) => items(&value)
                .iter()
                .map(|r| {
                    app::reference::ImageReference::parse_repository(r)
                        .map_err(|e| ConfigError::invalid(&name, format!("{r:?} is not a repository: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => DEFAULT_BASE_IMAGES
                .iter()
                .map(|r| app::reference::ImageReference::parse_repository(r).expect("default base repositories parse"))
                .collect(),
        };
        let tags_per_repository = match pick("SHIPSHAPE_BASE_TAGS", file.base_tags.map(|v| v.to_string())) {
            Some((name, value)) => value.trim().parse::<usize>().ok().filter(|n| *n <= 100).ok_or_else(|| {
                ConfigError::invalid(&name, format!("{value:?} is not a number of tags from 0 to 100"))
            })?,
            None => 5,
        };
        let platforms = match pick("SHIPSHAPE_BASE_PLATFORMS", file.base_platforms.map(list)) {
            Some((name, value)) => {
                let platforms = items(&value);
                for platform in &platforms {
                    crate::inspect::PlatformFilter::parse(platform)
                        .map_err(|e| ConfigError::invalid(&name, e.to_string()))?;
                }
                platforms
            }
            None => vec!["linux/amd64".to_string(), "linux/arm64".to_string()],
        };
        let interval = seconds("SHIPSHAPE_BASE_INTERVAL", file.base_interval, 21_600, 60)?;
        let base_images = KnownBases { repositories, tags_per_repository, platforms, interval };

        let url = match pick("SHIPSHAPE_VULNDB_URL", file.vulndb_url) {
            Some((name, value)) => url::Url::parse(value.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| ConfigError::invalid(&name, format!("{value:?} is not an http(s) URL")))?,
            None => url::Url::parse(DEFAULT_VULNDB_URL).expect("default vulndb URL parses"),
        };
        let ecosystems = match pick("SHIPSHAPE_VULNDB_ECOSYSTEMS", file.vulndb_ecosystems.map(list)) {
            Some((name, value)) => {
                let ecosystems = items(&value);
                if let Some(bad) = ecosystems.iter().find(|e| e.contains(['/', '\\', '?', '#']) || e.starts_with('.')) {
                    return Err(ConfigError::invalid(&name, format!("{bad:?} is not an OSV ecosystem name")));
                }
                ecosystems
            }
            None => DEFAULT_VULNDB_ECOSYSTEMS.iter().map(|e| e.to_string()).collect(),
        };
        let vulndb_interval = seconds("SHIPSHAPE_VULNDB_INTERVAL", file.vulndb_interval, 86_400, 0)?;
        let vulndb = VulnDbSync {
            url,
            ecosystems,
            interval: (!vulndb_interval.is_zero()).then_some(vulndb_interval.max(Duration::from_secs(60))),
        };

        Ok(Config {
            listen,
            database_url,
            allow_hosts,
            log,
            tag_ttl,
            registry_timeout,
            insecure_registries,
            base_images,
            vulndb,
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::ReadFile { path: path.display().to_string(), source })?;
    toml::from_str(&text)
        .map_err(|e| ConfigError::ParseFile { path: path.display().to_string(), reason: e.to_string() })
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
