//! Which base images the background indexer keeps known, and how often it re-checks them.

use std::time::Duration;

use app::reference::ImageReference;

use super::ConfigError;
use super::sources::{AllowHostsValue, FileConfig, Sources, items};

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

/// What the background indexer keeps in the lineage index so bases are known on a fresh install.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownBases {
    pub repositories: Vec<ImageReference>,
    pub tags_per_repository: usize,
    pub platforms: Vec<String>,
    pub interval: Duration,
}

impl KnownBases {
    /// `SHIPSHAPE_BASE_IMAGES`, `_TAGS`, `_PLATFORMS` and `_INTERVAL`, or their keys in the file.
    pub(super) fn read(sources: &Sources, file: &mut FileConfig) -> Result<Self, ConfigError> {
        let listed = file.base_images.take().map(AllowHostsValue::joined);
        let repositories = match sources.pick("SHIPSHAPE_BASE_IMAGES", listed) {
            Some((name, value)) => items(&value)
                .iter()
                .map(|r| {
                    ImageReference::parse_repository(r)
                        .map_err(|e| ConfigError::invalid(&name, format!("{r:?} is not a repository: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => DEFAULT_BASE_IMAGES
                .iter()
                .map(|r| ImageReference::parse_repository(r).expect("default base repositories parse"))
                .collect(),
        };
        let tags_per_repository = match sources.pick("SHIPSHAPE_BASE_TAGS", file.base_tags.map(|v| v.to_string())) {
            Some((name, value)) => value.trim().parse::<usize>().ok().filter(|n| *n <= 100).ok_or_else(|| {
                ConfigError::invalid(&name, format!("{value:?} is not a number of tags from 0 to 100"))
            })?,
            None => 5,
        };
        let listed = file.base_platforms.take().map(AllowHostsValue::joined);
        let platforms = match sources.pick("SHIPSHAPE_BASE_PLATFORMS", listed) {
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
        let interval = sources.seconds("SHIPSHAPE_BASE_INTERVAL", file.base_interval, 21_600, 60)?;
        Ok(KnownBases { repositories, tags_per_repository, platforms, interval })
    }
}
