//! Manifests, fetched with reqwest rather than oci-client: oci-client reads them unbounded and
//! drops the status and headers needed for clear errors. Here each is capped at
//! [`MANIFEST_LIMIT`], verified against its digest, and refused by name when it is schema 1 or
//! not an image at all.

use app::digest::Digest;
use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use sha2::{Digest as _, Sha256};

use super::RegistryClient;
use crate::registry::{
    DOCKER_LIST, DOCKER_MANIFEST, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, MANIFEST_LIMIT, OCI_INDEX, OCI_MANIFEST,
    RegistryError,
};

const ACCEPTED_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1";

/// A manifest as served, verified against its digest.
#[derive(Clone, Debug)]
pub struct FetchedManifest {
    pub digest: Digest,
    pub media_type: String,
    pub body: Bytes,
}

impl RegistryClient {
    /// GET a manifest by `reference`, a tag or a digest, capped at [`MANIFEST_LIMIT`] and verified against its digest.
    pub async fn manifest(&self, repository: &str, reference: &str) -> Result<FetchedManifest, RegistryError> {
        let response = self.manifest_request(Method::GET, repository, reference).await?;
        let headers = response.headers().clone();
        let what = format!("manifest {repository}:{reference}");
        let body = self.read_capped(response, MANIFEST_LIMIT, &what).await?;
        let digest = Digest::from_sha256(Sha256::digest(&body).into());
        if reference.starts_with("sha256:") && digest != reference {
            let actual = digest.into();
            return Err(RegistryError::DigestMismatch { what, expected: reference.to_string(), actual });
        }
        let media_type = media_type(&headers, &body);
        if media_type == DOCKER_SCHEMA1 || media_type == DOCKER_SCHEMA1_SIGNED || schema_version(&body) == Some(1) {
            return Err(RegistryError::Schema1 { reference: format!("{}/{repository}:{reference}", self.registry) });
        }
        if ![OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].contains(&media_type.as_str()) {
            return Err(RegistryError::UnsupportedMediaType {
                reference: format!("{}/{repository}:{reference}", self.registry),
                media_type,
            });
        }
        // A sha512 header (rare) cannot be compared with our sha256; the body hash is what we trust.
        if let Some(header) = headers.get("docker-content-digest").and_then(|v| v.to_str().ok())
            && header.starts_with("sha256:")
            && digest != header
        {
            let (expected, actual) = (header.to_string(), digest.into());
            return Err(RegistryError::DigestMismatch { what, expected, actual });
        }
        Ok(FetchedManifest { digest, media_type, body })
    }

    /// HEAD a tag: its current digest in one request, without the body.
    pub async fn manifest_digest(&self, repository: &str, tag: &str) -> Result<Digest, RegistryError> {
        let response = self.manifest_request(Method::HEAD, repository, tag).await?;
        match response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()) {
            Some(digest) if digest.starts_with("sha256:") => {
                Digest::parse(digest).map_err(|e| RegistryError::Protocol {
                    registry: self.registry.clone(),
                    detail: format!("Docker-Content-Digest: {e}"),
                })
            }
            // Registries may omit the header; the body then tells.
            _ => Ok(self.manifest(repository, tag).await?.digest),
        }
    }

    async fn manifest_request(
        &self,
        method: Method,
        repository: &str,
        reference: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let url = self.url(&format!("{repository}/manifests/{reference}"));
        let response =
            self.send(repository, |http| http.request(method.clone(), &url).header(ACCEPT, ACCEPTED_MANIFESTS)).await?;
        if response.status() == StatusCode::NOT_FOUND && method == Method::HEAD {
            // No body on HEAD: ask again with GET to tell a missing repository from a missing tag.
            return Box::pin(self.manifest_request(Method::GET, repository, reference)).await;
        }
        self.check_status(response, repository, reference).await
    }
}

fn media_type(headers: &HeaderMap, body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
        manifests: Option<serde::de::IgnoredAny>,
    }
    let probe: Option<Probe> = serde_json::from_slice(body).ok();
    if let Some(media_type) = probe.as_ref().and_then(|p| p.media_type.clone()) {
        return media_type;
    }
    let header = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string());
    match header {
        Some(h) if h != "application/json" && h != "application/octet-stream" && !h.is_empty() => h,
        // OCI allows omitting mediaType; the shape tells.
        _ if probe.is_some_and(|p| p.manifests.is_some()) => OCI_INDEX.to_string(),
        _ => OCI_MANIFEST.to_string(),
    }
}

fn schema_version(body: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(body).ok()?.get("schemaVersion")?.as_u64()
}
