//! Talking to OCI / Docker registries: credentials, the auth flows, manifests, blobs and tag lists,
//! over `oci-client` with its gaps closed (see `client/mod.rs`) and every connection through `net`.

pub(crate) mod client;
mod credentials;
mod pool;
mod public;

use std::time::Duration;

use crate::net::NetError;

pub use client::{BlobReader, FetchedManifest, RegistryClient, TAG_PAGE_LIMIT, TOKEN_LIMIT};
pub use credentials::{Credentials, docker_config_path, from_docker_config};
pub use pool::{Registries, RegistrySettings};

/// A manifest larger than this is refused (distribution's own limit is 4 MiB).
pub const MANIFEST_LIMIT: u64 = 4 << 20;
/// An image config larger than this is refused.
pub const CONFIG_LIMIT: u64 = 8 << 20;

/// Media types asked for and understood, most preferred first.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// `Display` is the operator's full story (the registry's own error text, resolved addresses);
/// [`RegistryError::public_message`] is what a web visitor may read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("registry {registry} is unreachable: {detail}")]
    Unreachable { registry: String, detail: String },
    #[error("registry {registry} did not answer within {} s; try again, or check the registry", .after.as_secs())]
    Timeout { registry: String, after: Duration },
    #[error("registry {registry} rejected the username or password for {username}")]
    WrongCredentials { registry: String, username: String },
    #[error("{repository} needs credentials: it is private or does not exist")]
    CredentialsRequired { registry: String, repository: String },
    #[error("the credentials for {username} were accepted but give no access to {repository}")]
    AccessDenied { repository: String, username: String },
    #[error("repository {repository} does not exist on {registry}")]
    RepositoryNotFound { registry: String, repository: String },
    #[error("{repository}:{reference} does not exist (the repository does); list its tags to find the right one")]
    ManifestNotFound { repository: String, reference: String },
    #[error("registry {registry} is rate limiting requests (HTTP 429){}; wait and retry, or log in for a higher limit",
        .retry_after.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    RateLimited { registry: String, retry_after: Option<u64> },
    #[error("{what} is {size} bytes, over the {limit}-byte limit")]
    TooLarge { what: String, size: u64, limit: u64 },
    #[error("{what} does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch { what: String, expected: String, actual: String },
    #[error(
        "{reference} is a Docker schema 1 manifest, a format retired in 2019 that Shipshape does not read; \
         re-push the image with a current Docker or skopeo to inspect it"
    )]
    Schema1 { reference: String },
    #[error("{reference} has media type {media_type}, which is not a container image manifest or index")]
    UnsupportedMediaType { reference: String, media_type: String },
    #[error("registry {registry} answered HTTP {status}: {message}")]
    Status { registry: String, status: u16, message: String },
    #[error("registry {registry} sent a malformed response: {detail}")]
    Protocol { registry: String, detail: String },
    #[error("credentials: {0}")]
    BadCredentials(String),
}

/// The host that serves a registry's API: Docker Hub's references say `docker.io`.
pub fn api_host(registry: &str) -> &str {
    if registry == "docker.io" { "registry-1.docker.io" } else { registry }
}
