//! Data the server hands the UI. Plain serde types: nothing server-only may leak in here.

use serde::{Deserialize, Serialize};

mod accounts;
mod notifications;
pub use accounts::*;
pub use notifications::*;

/// What the footer shows about the running instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub version: String,
    /// "SQLite" or "PostgreSQL".
    pub database: String,
    pub repositories: u64,
    pub manifests: u64,
}

/// Everything Shipshape knows about one image reference: the JSON of `shipshape inspect --json`
/// and `GET /api/v1/images/{ref}`, and what the tag page renders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageReport {
    /// Normalised: `docker.io/library/alpine:3.20`, or `…@sha256:…` when asked by digest.
    pub reference: String,
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    /// The manifest (or index) the reference resolves to.
    pub digest: String,
    pub media_type: String,
    /// Read with credentials: never shown to anonymous visitors.
    pub private: bool,
    /// When the registry last confirmed the tag's digest (RFC 3339).
    pub checked_at: Option<String>,
    pub platforms: Vec<PlatformImage>,
    /// Entries of an index past what one inspection reads (the server's `MAX_INDEX_PLATFORMS`):
    /// the index lists this many more platforms than `platforms` holds.
    #[serde(default)]
    pub platforms_not_fetched: u64,
    /// Each digest the tag has pointed at, newest first.
    pub tag_history: Vec<TagPeriod>,
    /// The repository's other tags that name the same digest now, as far as they are stored.
    #[serde(default)]
    pub also_tagged: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(variant) => write!(f, "/{variant}"),
            None => Ok(()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlatformImage {
    pub platform: Platform,
    /// The platform's image manifest.
    pub digest: String,
    pub media_type: String,
    pub config_digest: String,
    /// As the config states it (RFC 3339).
    pub created: Option<String>,
    /// Sum of the compressed layer sizes, in bytes.
    pub size: u64,
    /// `User` from the config, "" when unset.
    pub user: String,
    /// Unset, `root`, `0`, with or without a group: the container runs as root.
    pub runs_as_root: bool,
    pub labels: std::collections::BTreeMap<String, String>,
    pub label_facts: LabelFacts,
    pub env: Vec<EnvVar>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub workdir: Option<String>,
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub healthcheck: Option<Healthcheck>,
    pub stop_signal: Option<String>,
    pub layers: Vec<LayerInfo>,
    /// The config's history, empty-layer entries included.
    pub history: Vec<HistoryEntry>,
    /// The base images it was built on, as far as Shipshape knows them.
    #[serde(default)]
    pub lineage: Lineage,
}

/// Where an image comes from: the known images whose layer stacks its own stack starts with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    /// The nearest known base.
    pub base: Option<BaseRef>,
    /// Every known ancestor, nearest first, down to the root.
    pub chain: Vec<Ancestor>,
    /// Layers the image adds on top of its nearest base (all of them when none is known).
    pub own_layers: usize,
    /// The tag of some ancestor now names a different image: rebuild (nearest first).
    pub base_moved: bool,
    /// When the first ancestor's tag moved on.
    pub base_moved_at: Option<String>,
    /// With no base known: how many layers the history suggests came from one (the layers before
    /// the last `CMD` that precedes the image's own layers).
    pub unknown_base_layers: Option<usize>,
    /// What the image says its base is (`org.opencontainers.image.base.name` / `.base.digest`).
    pub annotated_base: Option<AnnotatedBase>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseRef {
    pub reference: String,
    pub digest: String,
}

/// One known base image in a lineage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ancestor {
    /// `registry/repository:tag`, the way its pages are addressed.
    pub reference: String,
    /// `registry/repository`.
    pub repository: String,
    pub tag: Option<String>,
    /// Its platform image manifest.
    pub digest: String,
    /// Layers in its whole stack.
    pub layers: usize,
    /// Layers it adds on top of the next ancestor.
    pub contributes: usize,
    /// A Docker official image (`docker.io/library/…`).
    pub official: bool,
    /// Its tag has moved on to another image since.
    pub moved: bool,
    pub moved_at: Option<String>,
    /// What the tag names now, when it moved.
    pub current_digest: Option<String>,
    /// Named by the image's base annotations (and confirmed by the layers).
    pub annotated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotatedBase {
    pub name: Option<String>,
    pub digest: Option<String>,
    /// The annotated image is known and its layers are where the image's own begin.
    pub confirmed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub digest: String,
    /// The uncompressed layer's digest from the config's `rootfs.diff_ids`.
    pub diff_id: Option<String>,
    /// Compressed, in bytes.
    pub size: u64,
    /// Of the image's compressed size, 0.0–1.0.
    pub share: f64,
    pub media_type: String,
    /// The history command as recorded.
    pub created_by: Option<String>,
    /// The same as a Dockerfile instruction (`RUN apk add …`, `COPY …`).
    pub instruction: Option<String>,
    pub created: Option<String>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub created: Option<String>,
    pub created_by: Option<String>,
    pub instruction: Option<String>,
    pub comment: Option<String>,
    pub empty_layer: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    /// "••••••" when the name looks like it holds a secret.
    pub value: String,
    pub masked: bool,
}

/// What the OCI (`org.opencontainers.image.*`) and label-schema (`org.label-schema.*`) labels say.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelFacts {
    pub title: Option<String>,
    pub description: Option<String>,
    pub version: Option<String>,
    pub revision: Option<String>,
    /// A link to the commit when the source is on GitHub or GitLab.
    pub commit_url: Option<String>,
    pub source: Option<String>,
    pub url: Option<String>,
    pub documentation: Option<String>,
    pub license: Option<String>,
    pub authors: Option<String>,
    pub vendor: Option<String>,
    pub created: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval_seconds: Option<u64>,
    pub timeout_seconds: Option<u64>,
    pub start_period_seconds: Option<u64>,
    pub retries: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPeriod {
    pub digest: String,
    pub first_seen: String,
    pub last_seen: String,
}

/// A repository's tags, as the registry lists them, with what is stored about each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepositoryTags {
    /// `docker.io/library/alpine`.
    pub repository: String,
    pub registry: String,
    pub name: String,
    pub private: bool,
    /// All tags the registry listed (for pagination).
    pub total: usize,
    pub tags: Vec<TagSummary>,
    /// Pass as `last` for the next page; `None` on the last page.
    pub next: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TagSummary {
    pub name: String,
    /// `None` until the tag has been inspected.
    pub digest: Option<String>,
    pub size: Option<u64>,
    pub layers: Option<usize>,
    pub platforms: Vec<String>,
    pub created: Option<String>,
    /// When the tag started pointing at its current digest.
    pub last_changed: Option<String>,
}

/// A platform image's scan as the tag page and the vulnerabilities badge show it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// `queued`, `running`, `done`, `failed`, `none`, or `unavailable` (a private image nobody
    /// with credentials has asked to scan yet).
    pub state: String,
    pub layers_done: u32,
    pub layers_total: u32,
    pub error: Option<String>,
    pub scanned_at: Option<String>,
    /// The newest `modified` among the imported advisories; `None` when none are imported (see
    /// [`ScanSummary::vulnerabilities_checked`]).
    pub vulndb_as_of: Option<String>,
    pub os: Option<String>,
    pub packages: usize,
    /// Packages per ecosystem (`Debian`, `npm`…), most first.
    #[serde(default)]
    pub ecosystems: Vec<EcosystemCount>,
    pub counts: SeverityCounts,
    pub findings: Vec<FindingRow>,
    pub checks: Vec<CheckRow>,
    pub wasted_bytes: u64,
    pub efficiency: f64,
}

impl ScanSummary {
    /// Whether the packages were matched against any advisory. `vulndb_as_of` is the newest
    /// imported advisory's `modified` time, so it is `None` exactly when none was imported: then
    /// no findings means "not looked for", not "none".
    pub fn vulnerabilities_checked(&self) -> bool {
        self.vulndb_as_of.is_some()
    }
}

/// One package of a scanned image, as the tag page's package list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRow {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub license: Option<String>,
    pub purl: String,
    /// Where a language package was found.
    pub path: Option<String>,
    pub layer_digest: Option<String>,
    pub layer_command: Option<String>,
    /// Findings naming this package at this version.
    pub findings: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcosystemCount {
    pub ecosystem: String,
    pub count: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub unknown: u32,
}

impl SeverityCounts {
    pub fn total(&self) -> u32 {
        self.critical + self.high + self.medium + self.low + self.unknown
    }

    /// Worst first, with the counts that are not zero.
    pub fn present(&self) -> Vec<(&'static str, u32)> {
        [
            ("critical", self.critical),
            ("high", self.high),
            ("medium", self.medium),
            ("low", self.low),
            ("unknown", self.unknown),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRow {
    pub id: String,
    pub aliases: Vec<String>,
    /// `Debian`, `npm`, `PyPI`…, as the scan report names it.
    #[serde(default)]
    pub ecosystem: String,
    pub package: String,
    pub version: String,
    pub fixed_version: Option<String>,
    pub severity: crate::severity::Severity,
    pub summary: Option<String>,
    pub layer_digest: Option<String>,
    pub layer_command: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRow {
    pub id: String,
    pub severity: crate::severity::Severity,
    pub title: String,
    pub detail: String,
    pub fix: String,
    pub layer_digest: Option<String>,
    pub layer_command: Option<String>,
}
