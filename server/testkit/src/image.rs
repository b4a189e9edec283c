//! `ImageBuilder`: real images built in memory (gzip tar layers with stable digests, config JSON,
//! OCI or Docker schema 2 manifests, OCI index or Docker manifest list), pushed with the distribution API.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use http::HeaderValue;
use oci_client::{Reference, RegistryOperation};
use serde_json::{Map, Value, json};

use crate::{HarnessError, TestRegistry, sha256_digest};

/// Fixed so that the same files always give the same digests.
const EPOCH_MTIME: u64 = 1_700_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestFormat {
    Oci,
    Docker,
}

impl ManifestFormat {
    pub fn manifest_media_type(self) -> &'static str {
        match self {
            ManifestFormat::Oci => "application/vnd.oci.image.manifest.v1+json",
            ManifestFormat::Docker => "application/vnd.docker.distribution.manifest.v2+json",
        }
    }

    pub fn index_media_type(self) -> &'static str {
        match self {
            ManifestFormat::Oci => "application/vnd.oci.image.index.v1+json",
            ManifestFormat::Docker => "application/vnd.docker.distribution.manifest.list.v2+json",
        }
    }

    fn config_media_type(self) -> &'static str {
        match self {
            ManifestFormat::Oci => "application/vnd.oci.image.config.v1+json",
            ManifestFormat::Docker => "application/vnd.docker.container.image.v1+json",
        }
    }

    fn layer_media_type(self) -> &'static str {
        match self {
            ManifestFormat::Oci => "application/vnd.oci.image.layer.v1.tar+gzip",
            ManifestFormat::Docker => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        }
    }
}

/// One layer: the compressed blob and both of its digests.
#[derive(Clone, Debug)]
pub struct Layer {
    pub blob: Vec<u8>,
    /// Digest of the gzip blob (what manifests list).
    pub digest: String,
    /// Digest of the uncompressed tar (what the config's rootfs lists).
    pub diff_id: String,
}

#[derive(Default)]
pub struct LayerBuilder {
    tar: Vec<u8>,
    error: Option<std::io::Error>,
}

impl Layer {
    pub fn builder() -> LayerBuilder {
        LayerBuilder::default()
    }
}

impl LayerBuilder {
    pub fn file(self, path: &str, data: impl AsRef<[u8]>) -> Self {
        self.file_with_mode(path, data, 0o644)
    }

    pub fn file_with_mode(self, path: &str, data: impl AsRef<[u8]>, mode: u32) -> Self {
        self.entry(path, tar::EntryType::Regular, mode, data.as_ref(), None)
    }

    pub fn dir(self, path: &str) -> Self {
        self.entry(path, tar::EntryType::Directory, 0o755, &[], None)
    }

    pub fn symlink(self, path: &str, target: &str) -> Self {
        self.entry(path, tar::EntryType::Symlink, 0o777, &[], Some(target))
    }

    /// Deletes `path` from lower layers (OCI whiteout `.wh.NAME`).
    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let marker = if dir.is_empty() { format!(".wh.{name}") } else { format!("{dir}/.wh.{name}") };
        self.file(&marker, b"")
    }

    /// Hides everything lower layers put in `dir` (`.wh..wh..opq`).
    pub fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{}/.wh..wh..opq", dir.trim_end_matches('/')), b"")
    }

    fn entry(mut self, path: &str, kind: tar::EntryType, mode: u32, data: &[u8], link: Option<&str>) -> Self {
        if self.error.is_some() {
            return self;
        }
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(EPOCH_MTIME);
        header.set_size(data.len() as u64);
        let result = (|| {
            if let Some(target) = link {
                header.set_link_name(target)?;
            }
            let mut builder = tar::Builder::new(&mut self.tar);
            builder.append_data(&mut header, path.trim_start_matches('/'), data)?;
            builder.into_inner().map(|_| ())
        })();
        // Finishing a tar::Builder appends the end-of-archive marker (two zero blocks); one entry
        // at a time, it must come off again, or readers stop after the first file. `build` adds
        // the marker once.
        if result.is_ok() {
            self.tar.truncate(self.tar.len() - 1024);
        }
        if let Err(e) = result {
            self.error = Some(e);
        }
        self
    }

    pub fn build(mut self) -> Result<Layer, HarnessError> {
        if let Some(e) = self.error {
            return Err(e.into());
        }
        self.tar.extend_from_slice(&[0u8; 1024]); // end-of-archive marker
        let diff_id = sha256_digest(&self.tar);
        // flate2 writes mtime 0 and no file name: the gzip bytes depend only on the tar.
        let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
        gz.write_all(&self.tar)?;
        let blob = gz.finish()?;
        Ok(Layer { digest: sha256_digest(&blob), diff_id, blob })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

pub struct ImageBuilder {
    platform: Platform,
    created: String,
    config: Map<String, Value>,
    layers: Vec<Layer>,
    history: Vec<Value>,
    annotations: Map<String, Value>,
}

impl Default for ImageBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ImageBuilder {
    pub fn new() -> Self {
        Self {
            platform: Platform { os: "linux".into(), architecture: "amd64".into(), variant: None },
            created: "2024-01-01T00:00:00Z".into(),
            config: Map::new(),
            layers: Vec::new(),
            history: Vec::new(),
            annotations: Map::new(),
        }
    }

    pub fn platform(mut self, os: &str, architecture: &str, variant: Option<&str>) -> Self {
        self.platform = Platform { os: os.into(), architecture: architecture.into(), variant: variant.map(Into::into) };
        self
    }

    pub fn created(mut self, rfc3339: &str) -> Self {
        self.created = rfc3339.into();
        self
    }

    /// A layer and the history entry (`created_by`) that made it.
    pub fn layer(mut self, layer: Layer, created_by: &str) -> Self {
        self.history.push(json!({"created": self.created, "created_by": created_by}));
        self.layers.push(layer);
        self
    }

    /// A history entry that made no layer (ENV, LABEL, CMD, …).
    pub fn empty_layer(mut self, created_by: &str) -> Self {
        self.history.push(json!({"created": self.created, "created_by": created_by, "empty_layer": true}));
        self
    }

    /// An annotation on the manifest (OCI), e.g. `org.opencontainers.image.base.name`.
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.object("Labels").insert(key.into(), value.into());
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.array("Env").push(format!("{name}={value}").into());
        self
    }

    pub fn user(self, user: &str) -> Self {
        self.config_field("User", user.into())
    }

    pub fn workdir(self, dir: &str) -> Self {
        self.config_field("WorkingDir", dir.into())
    }

    pub fn cmd(self, args: &[&str]) -> Self {
        self.config_field("Cmd", json!(args))
    }

    pub fn entrypoint(self, args: &[&str]) -> Self {
        self.config_field("Entrypoint", json!(args))
    }

    pub fn expose(mut self, port: &str) -> Self {
        self.object("ExposedPorts").insert(port.into(), json!({}));
        self
    }

    /// Any other field of the config's `config` object (Volumes, Healthcheck, StopSignal, …).
    pub fn config_field(mut self, key: &str, value: Value) -> Self {
        self.config.insert(key.into(), value);
        self
    }

    fn object(&mut self, key: &str) -> &mut Map<String, Value> {
        self.config.entry(key).or_insert_with(|| json!({})).as_object_mut().expect("object field")
    }

    fn array(&mut self, key: &str) -> &mut Vec<Value> {
        self.config.entry(key).or_insert_with(|| json!([])).as_array_mut().expect("array field")
    }

    pub fn build(self, format: ManifestFormat) -> BuiltImage {
        let mut config = json!({
            "created": self.created,
            "architecture": self.platform.architecture,
            "os": self.platform.os,
            "config": self.config,
            "rootfs": {"type": "layers", "diff_ids": self.layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
            "history": self.history,
        });
        if let Some(variant) = &self.platform.variant {
            config["variant"] = variant.clone().into();
        }
        let config = serde_json::to_vec(&config).expect("config serialises");
        let config_digest = sha256_digest(&config);
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": format.manifest_media_type(),
            "config": {"mediaType": format.config_media_type(), "digest": config_digest, "size": config.len()},
            "layers": self.layers.iter().map(|l| json!({
                "mediaType": format.layer_media_type(), "digest": l.digest, "size": l.blob.len(),
            })).collect::<Vec<_>>(),
        });
        if !self.annotations.is_empty() {
            manifest["annotations"] = Value::Object(self.annotations);
        }
        let manifest = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        BuiltImage {
            format,
            platform: self.platform,
            manifest_digest: sha256_digest(&manifest),
            manifest,
            config_digest,
            config,
            layers: self.layers,
        }
    }
}

#[derive(Clone, Debug)]
pub struct BuiltImage {
    pub format: ManifestFormat,
    pub platform: Platform,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
    pub config: Vec<u8>,
    pub config_digest: String,
    pub layers: Vec<Layer>,
}

impl BuiltImage {
    /// Pushes layers, config and manifest; tags it when `tag` is given. Returns the manifest digest.
    pub async fn push(
        &self,
        registry: &TestRegistry,
        repository: &str,
        tag: Option<&str>,
    ) -> Result<String, HarnessError> {
        let client = registry.client();
        let by_digest = reference(registry, repository, &format!("@{}", self.manifest_digest))?;
        client.auth(&by_digest, &registry.auth(), RegistryOperation::Push).await?;
        for layer in &self.layers {
            client.push_blob(&by_digest, layer.blob.clone(), &layer.digest).await?;
        }
        client.push_blob(&by_digest, self.config.clone(), &self.config_digest).await?;
        let target = match tag {
            Some(tag) => reference(registry, repository, &format!(":{tag}"))?,
            None => by_digest,
        };
        let media_type = HeaderValue::from_static(self.format.manifest_media_type());
        client.push_manifest_raw(&target, self.manifest.clone(), media_type).await?;
        Ok(self.manifest_digest.clone())
    }
}

/// An OCI index or Docker manifest list over several platform images.
#[derive(Clone, Debug)]
pub struct BuiltIndex {
    pub format: ManifestFormat,
    pub images: Vec<BuiltImage>,
    pub manifest: Vec<u8>,
    pub digest: String,
}

impl BuiltIndex {
    pub fn new(format: ManifestFormat, images: Vec<BuiltImage>) -> Self {
        let manifests: Vec<Value> = images
            .iter()
            .map(|image| {
                let mut platform = json!({"os": image.platform.os, "architecture": image.platform.architecture});
                if let Some(variant) = &image.platform.variant {
                    platform["variant"] = variant.clone().into();
                }
                json!({
                    "mediaType": image.format.manifest_media_type(),
                    "digest": image.manifest_digest,
                    "size": image.manifest.len(),
                    "platform": platform,
                })
            })
            .collect();
        let manifest = serde_json::to_vec_pretty(&json!({
            "schemaVersion": 2,
            "mediaType": format.index_media_type(),
            "manifests": manifests,
        }))
        .expect("index serialises");
        Self { format, digest: sha256_digest(&manifest), manifest, images }
    }

    /// Pushes every platform image by digest, then the index under `tag`. Returns the index digest.
    pub async fn push(&self, registry: &TestRegistry, repository: &str, tag: &str) -> Result<String, HarnessError> {
        for image in &self.images {
            image.push(registry, repository, None).await?;
        }
        let client = registry.client();
        let target = reference(registry, repository, &format!(":{tag}"))?;
        client.auth(&target, &registry.auth(), RegistryOperation::Push).await?;
        let media_type = HeaderValue::from_static(self.format.index_media_type());
        client.push_manifest_raw(&target, self.manifest.clone(), media_type).await?;
        Ok(self.digest.clone())
    }
}

fn reference(registry: &TestRegistry, repository: &str, suffix: &str) -> Result<Reference, HarnessError> {
    Ok(format!("{}/{repository}{suffix}", registry.host()).parse()?)
}
