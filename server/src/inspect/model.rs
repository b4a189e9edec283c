//! Manifests and configs (untrusted JSON, parsed leniently) → the image model the UI and API show.

use std::collections::BTreeMap;

use app::digest::Digest;
use app::dto::{EnvVar, Healthcheck, HistoryEntry, LayerInfo, Platform, PlatformImage};
use serde::Deserialize;

use super::{InspectError, history, labels};

#[derive(Clone, Debug, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// Validated as the manifest is read: a manifest naming a malformed digest is malformed.
    pub digest: Digest,
    #[serde(default)]
    pub size: u64,
    pub platform: Option<PlatformJson>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PlatformJson {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    pub variant: Option<String>,
}

impl From<&PlatformJson> for Platform {
    fn from(p: &PlatformJson) -> Self {
        Platform { os: p.os.clone(), architecture: p.architecture.clone(), variant: p.variant.clone() }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct ImageManifest {
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Index {
    pub manifests: Vec<Descriptor>,
}

pub enum Manifest {
    Image(ImageManifest),
    Index(Index),
}

pub fn is_index(media_type: &str) -> bool {
    media_type == crate::registry::OCI_INDEX || media_type == crate::registry::DOCKER_LIST
}

/// serde's message quotes the offending value whole ("invalid type: string \"…\""): the image's
/// author decides its length, and it reaches pages and logs, so only its start is kept.
fn not_json_we_read(what: String, err: serde_json::Error) -> InspectError {
    const KEPT: usize = 160;
    let mut detail = err.to_string();
    if detail.len() > KEPT {
        let end = (0..=KEPT).rev().find(|&i| detail.is_char_boundary(i)).unwrap_or(0);
        detail.truncate(end);
        detail.push_str(" …");
    }
    InspectError::Malformed { what, detail }
}

pub fn parse_manifest(media_type: &str, body: &[u8], digest: &Digest) -> Result<Manifest, InspectError> {
    let malformed = |e: serde_json::Error| not_json_we_read(format!("manifest {digest}"), e);
    Ok(if is_index(media_type) {
        Manifest::Index(serde_json::from_slice(body).map_err(malformed)?)
    } else {
        Manifest::Image(serde_json::from_slice(body).map_err(malformed)?)
    })
}

impl Index {
    /// The platform image this index means when nobody names a platform (the pages' choice).
    pub fn default_image(&self) -> Option<&Descriptor> {
        let images: Vec<&Descriptor> = self.images().collect();
        let names: Vec<String> =
            images.iter().map(|d| d.platform.as_ref().map(|p| Platform::from(p).to_string()).unwrap_or_default()).collect();
        app::platform_choice::position(&names, None).map(|i| images[i])
    }

    /// Entries that are images for a platform: attestations and other artifacts left out.
    pub fn images(&self) -> impl Iterator<Item = &Descriptor> {
        self.manifests.iter().filter(|d| {
            let attestation =
                d.annotations.get("vnd.docker.reference.type").is_some_and(|t| t == "attestation-manifest");
            let unknown = d.platform.as_ref().is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
            !attestation && !unknown && !is_index(&d.media_type)
        })
    }
}

#[derive(Debug, Default, Deserialize)]
struct ImageConfig {
    created: Option<String>,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    variant: Option<String>,
    config: Option<ContainerConfig>,
    rootfs: Option<RootFs>,
    history: Option<Vec<History>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerConfig {
    user: Option<String>,
    env: Option<Vec<String>>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    working_dir: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    exposed_ports: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    volumes: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    healthcheck: Option<HealthcheckJson>,
    stop_signal: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HealthcheckJson {
    test: Option<Vec<String>>,
    /// Durations are nanoseconds.
    interval: Option<u64>,
    timeout: Option<u64>,
    start_period: Option<u64>,
    retries: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct History {
    created: Option<String>,
    created_by: Option<String>,
    comment: Option<String>,
    #[serde(default)]
    empty_layer: bool,
}

/// One platform's image from its manifest and config.
pub fn platform_image(
    manifest_digest: &Digest,
    manifest_media_type: &str,
    manifest: &ImageManifest,
    config_bytes: &[u8],
    index_platform: Option<Platform>,
) -> Result<PlatformImage, InspectError> {
    let config: ImageConfig = serde_json::from_slice(config_bytes)
        .map_err(|e| not_json_we_read(format!("image config {}", manifest.config.digest), e))?;
    let container = config.config.unwrap_or_default();
    let size: u64 = manifest.layers.iter().map(|l| l.size).sum();
    let diff_ids = config.rootfs.map(|r| r.diff_ids).unwrap_or_default();
    let history = config.history.unwrap_or_default();
    let layers = layers(manifest, &diff_ids, &history);
    let labels = container.labels.unwrap_or_default();
    let user = container.user.unwrap_or_default();
    let platform = index_platform.unwrap_or(Platform {
        os: config.os,
        architecture: config.architecture,
        variant: config.variant,
    });
    Ok(PlatformImage {
        platform,
        digest: manifest_digest.to_string(),
        media_type: manifest_media_type.to_string(),
        config_digest: manifest.config.digest.to_string(),
        created: config.created,
        size,
        runs_as_root: runs_as_root(&user),
        user,
        label_facts: labels::facts(&labels),
        labels,
        env: container.env.unwrap_or_default().iter().map(|e| env_var(e)).collect(),
        entrypoint: container.entrypoint,
        cmd: container.cmd,
        workdir: container.working_dir.filter(|w| !w.is_empty()),
        exposed_ports: container.exposed_ports.map(|p| p.into_keys().collect()).unwrap_or_default(),
        volumes: container.volumes.map(|v| v.into_keys().collect()).unwrap_or_default(),
        healthcheck: container.healthcheck.and_then(healthcheck),
        stop_signal: container.stop_signal.filter(|s| !s.is_empty()),
        layers,
        history: history.into_iter().map(history_entry).collect(),
        // Filled in by the inspector, which has the store.
        lineage: Default::default(),
    })
}

/// The manifest's layers, each with what the history says made it: each non-empty history entry
/// made one layer, in order.
fn layers(manifest: &ImageManifest, diff_ids: &[String], history: &[History]) -> Vec<LayerInfo> {
    let size: u64 = manifest.layers.iter().map(|l| l.size).sum();
    let mut layer_history = history.iter().filter(|h| !h.empty_layer);
    manifest
        .layers
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let made_by = layer_history.next();
            let created_by = made_by.and_then(|h| h.created_by.clone());
            LayerInfo {
                digest: layer.digest.to_string(),
                diff_id: diff_ids.get(i).cloned(),
                size: layer.size,
                share: if size == 0 { 0.0 } else { layer.size as f64 / size as f64 },
                media_type: layer.media_type.clone(),
                instruction: created_by.as_deref().and_then(history::instruction),
                created_by,
                created: made_by.and_then(|h| h.created.clone()),
                comment: made_by.and_then(|h| h.comment.clone()),
            }
        })
        .collect()
}

/// A HEALTHCHECK with a test; its durations in whole seconds, unset when zero.
fn healthcheck(h: HealthcheckJson) -> Option<Healthcheck> {
    let test = h.test.unwrap_or_default();
    let seconds = |ns: Option<u64>| ns.filter(|n| *n > 0).map(|n| n / 1_000_000_000);
    (!test.is_empty()).then(|| Healthcheck {
        test,
        interval_seconds: seconds(h.interval),
        timeout_seconds: seconds(h.timeout),
        start_period_seconds: seconds(h.start_period),
        retries: h.retries.filter(|r| *r > 0),
    })
}

fn history_entry(h: History) -> HistoryEntry {
    HistoryEntry {
        instruction: h.created_by.as_deref().and_then(history::instruction),
        created: h.created,
        created_by: h.created_by,
        comment: h.comment,
        empty_layer: h.empty_layer,
    }
}

/// Root unless a non-root user is named: unset, `root`, `0`, with any group.
pub fn runs_as_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or("").trim();
    name.is_empty() || name == "root" || name.trim_start_matches('0').is_empty()
}

const MASK: &str = "••••••";

fn env_var(entry: &str) -> EnvVar {
    let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
    let masked = looks_secret(name) && !value.is_empty();
    EnvVar { name: name.to_string(), value: if masked { MASK.to_string() } else { value.to_string() }, masked }
}

/// Names people give secrets: `DB_PASSWORD`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `API_KEY`.
fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    const WORDS: [&str; 10] =
        ["PASSWORD", "PASSWD", "PWD", "PASS", "SECRET", "TOKEN", "APIKEY", "CREDENTIALS", "CREDENTIAL", "AUTH"];
    words.iter().any(|w| WORDS.contains(w))
        || upper.ends_with("_KEY") && !upper.ends_with("PUBLIC_KEY") && !upper.contains("GPG")
        || upper.contains("PRIVATE_KEY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_spellings() {
        for root in ["", "root", "0", "0:0", "root:root", "00", " 0 :1"] {
            assert!(runs_as_root(root), "{root:?}");
        }
        for user in ["1000", "nobody", "app:0", "65534:65534", "10"] {
            assert!(!runs_as_root(user), "{user:?}");
        }
    }

    #[test]
    fn secret_looking_env_values_are_masked() {
        for secret in ["DB_PASSWORD=x", "GITHUB_TOKEN=x", "AWS_SECRET_ACCESS_KEY=x", "API_KEY=x", "npm_config_auth=x"] {
            assert!(env_var(secret).masked, "{secret}");
            assert_eq!(env_var(secret).value, MASK);
        }
        for plain in ["PATH=/usr/bin", "PYTHON_GPG_KEY=A1B2", "PASSWORD=", "LANG=C.UTF-8", "KEYBOARD=us"] {
            assert!(!env_var(plain).masked, "{plain}");
        }
    }

    #[test]
    fn empty_layer_history_maps_to_the_right_layers() {
        let digest = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let manifest: ImageManifest = serde_json::from_value(serde_json::json!({
            "config": {"mediaType": "c", "digest": digest('c'), "size": 2},
            "layers": [
                {"mediaType": "l", "digest": digest('a'), "size": 30},
                {"mediaType": "l", "digest": digest('b'), "size": 10},
            ],
        }))
        .unwrap();
        let config = br#"{"architecture":"arm64","os":"linux","variant":"v8","created":"2024-01-01T00:00:00Z",
            "config":{"User":"app","Env":["A=1"],"Labels":null,"Entrypoint":null,"Cmd":["sh"]},
            "rootfs":{"type":"layers","diff_ids":["sha256:da","sha256:db"]},
            "history":[{"created_by":"/bin/sh -c #(nop) ADD file:x in / "},
                       {"created_by":"/bin/sh -c #(nop)  LABEL a=b","empty_layer":true},
                       {"created_by":"/bin/sh -c apk add curl"},
                       {"created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}]}"#;
        let image = platform_image(&Digest::parse(&digest('d')).unwrap(), "mt", &manifest, config, None).unwrap();
        assert_eq!(image.platform.to_string(), "linux/arm64/v8");
        assert_eq!(image.size, 40);
        assert_eq!(image.layers[1].instruction.as_deref(), Some("RUN apk add curl"));
        assert_eq!(image.layers[1].diff_id.as_deref(), Some("sha256:db"));
        assert!((image.layers[0].share - 0.75).abs() < 1e-9);
        assert_eq!(image.history.len(), 4);
        assert!(!image.runs_as_root);
        assert_eq!((image.digest, image.layers[1].digest.clone()), (digest('d'), digest('b')));
    }

    #[test]
    fn a_manifest_naming_a_malformed_digest_is_malformed() {
        let body = br#"{"config":{"mediaType":"c","digest":"sha256:c","size":2},"layers":[]}"#;
        let digest = Digest::from_sha256([0; 32]);
        let parsed = parse_manifest(crate::registry::OCI_MANIFEST, body, &digest);
        assert!(matches!(parsed, Err(InspectError::Malformed { detail, .. }) if detail.contains("not a valid digest")));
    }

    #[test]
    fn a_long_value_in_a_malformed_manifest_is_not_quoted_whole() {
        let long = "é".repeat(5_000);
        let body = format!(r#"{{"config":{{"mediaType":"c","digest":"sha256:{}","size":"{long}"}}}}"#, "c".repeat(64));
        let digest = Digest::from_sha256([0; 32]);
        let parsed = parse_manifest(crate::registry::OCI_MANIFEST, body.as_bytes(), &digest);
        let Err(InspectError::Malformed { detail, .. }) = parsed else {
            panic!("a string where a number belongs is malformed")
        };
        assert!(detail.starts_with("invalid type: string"), "{detail}");
        assert!(detail.len() < 200 && detail.ends_with(" …"), "{detail}");
    }
}
