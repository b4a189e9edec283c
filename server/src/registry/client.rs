//! One registry, one credential: the operations inspection needs.
//!
//! oci-client runs the auth flows (WWW-Authenticate, token realm, per-scope token cache), the tag
//! list and blob streams. Manifests are fetched here with reqwest directly, because oci-client reads
//! them unbounded and drops the status and headers this layer needs for clear errors (429 with
//! `Retry-After`, 404 repository vs tag, 401 after a token was granted).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::{Bytes, BytesMut};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference, RegistryOperation};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, OnceCell};

use super::{
    Credentials, DOCKER_LIST, DOCKER_MANIFEST, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, MANIFEST_LIMIT, OCI_INDEX,
    OCI_MANIFEST, RegistryError, RegistrySettings, api_host,
};
use crate::net::{EgressProxy, NetError, Policy};

const USER_AGENT: &str = concat!("shipshape/", env!("CARGO_PKG_VERSION"));

const ACCEPTED_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1";

/// A manifest as served, verified against its digest.
#[derive(Clone, Debug)]
pub struct FetchedManifest {
    pub digest: String,
    pub media_type: String,
    pub body: Bytes,
}

#[derive(Clone)]
struct Authorization {
    header: HeaderValue,
    /// Whether it came from a token realm (a later 401 then means "no access", not "wrong password").
    bearer: bool,
    expires: Option<Instant>,
}

pub struct RegistryClient {
    registry: String,
    host: String,
    plain_http: bool,
    credentials: Option<Credentials>,
    oci: OnceCell<oci_client::Client>,
    http: reqwest::Client,
    proxy: EgressProxy,
    timeout: Duration,
    authorizations: Mutex<HashMap<String, Authorization>>,
}

impl RegistryClient {
    /// `plain_http`: speak HTTP, not HTTPS (allow-listed loopback or configured insecure registries).
    pub(super) async fn connect(
        registry: &str,
        credentials: Option<Credentials>,
        policy: Arc<Policy>,
        settings: &RegistrySettings,
        plain_http: bool,
    ) -> Result<Self, RegistryError> {
        let setup_failed = |detail: String| RegistryError::Unreachable { registry: registry.into(), detail };
        let proxy = EgressProxy::start(policy).await.map_err(|e| setup_failed(format!("egress proxy: {e}")))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::net::tls::client_config())
            .proxy(reqwest::Proxy::all(proxy.url()).map_err(|e| setup_failed(e.to_string()))?)
            .connect_timeout(crate::net::CONNECT_TIMEOUT)
            .read_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| setup_failed(e.to_string()))?;
        Ok(Self {
            registry: registry.to_string(),
            host: api_host(registry).to_string(),
            plain_http,
            credentials,
            oci: OnceCell::new(),
            http,
            proxy,
            timeout: settings.timeout,
            authorizations: Mutex::new(HashMap::new()),
        })
    }

    /// oci-client, built on first use: loading TLS roots costs milliseconds, and registries that
    /// need no token flow never need it for manifests and configs.
    async fn oci(&self) -> Result<&oci_client::Client, RegistryError> {
        self.oci
            .get_or_try_init(|| async {
                oci_client::Client::try_from(ClientConfig {
                    protocol: if self.plain_http { ClientProtocol::Http } else { ClientProtocol::Https },
                    connect_timeout: Some(crate::net::CONNECT_TIMEOUT),
                    read_timeout: Some(self.timeout),
                    https_proxy: Some(self.proxy.url().to_string()),
                    http_proxy: Some(self.proxy.url().to_string()),
                    user_agent: USER_AGENT,
                    ..Default::default()
                })
                .map_err(|e| RegistryError::Unreachable { registry: self.registry.clone(), detail: e.to_string() })
            })
            .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}://{}/v2/{path}", if self.plain_http { "http" } else { "https" }, self.host)
    }

    /// GET a manifest by tag or digest, capped at [`MANIFEST_LIMIT`] and verified against its digest.
    pub async fn manifest(&self, repository: &str, reference: &str) -> Result<FetchedManifest, RegistryError> {
        let response = self.manifest_request(Method::GET, repository, reference).await?;
        let headers = response.headers().clone();
        let what = format!("manifest {repository}:{reference}");
        let body = self.read_capped(response, MANIFEST_LIMIT, &what).await?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        if reference.starts_with("sha256:") && reference != digest {
            return Err(RegistryError::DigestMismatch { what, expected: reference.to_string(), actual: digest });
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
            && header != digest
        {
            return Err(RegistryError::DigestMismatch { what, expected: header.to_string(), actual: digest });
        }
        Ok(FetchedManifest { digest, media_type, body })
    }

    /// HEAD a tag: its current digest in one request, without the body.
    pub async fn manifest_digest(&self, repository: &str, tag: &str) -> Result<String, RegistryError> {
        let response = self.manifest_request(Method::HEAD, repository, tag).await?;
        match response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()) {
            Some(digest) if digest.starts_with("sha256:") => Ok(digest.to_string()),
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

    /// A small blob (an image config), size-capped and verified against its digest. Redirects to
    /// blob storage are followed through the egress proxy; reqwest drops `Authorization` when the
    /// host changes.
    pub async fn blob(&self, repository: &str, digest: &str, limit: u64, what: &str) -> Result<Bytes, RegistryError> {
        let url = self.url(&format!("{repository}/blobs/{digest}"));
        let response = self.send(repository, |http| http.get(&url)).await?;
        let response = self.check_status(response, repository, digest).await?;
        let body = self.read_capped(response, limit, what).await?;
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        if actual != digest {
            return Err(RegistryError::DigestMismatch { what: what.to_string(), expected: digest.into(), actual });
        }
        Ok(body)
    }

    /// A layer blob as a response to read in chunks (see [`BlobReader`]); the caller verifies
    /// its digest as the bytes go by.
    pub async fn blob_response(&self, repository: &str, digest: &str) -> Result<reqwest::Response, RegistryError> {
        let url = self.url(&format!("{repository}/blobs/{digest}"));
        let response = self.send(repository, |http| http.get(&url)).await?;
        self.check_status(response, repository, digest).await
    }

    /// How long one read may wait before the registry counts as stalled.
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
    }

    /// Every tag of a repository, following pagination (`n` + `last`), up to `max` tags.
    pub async fn tags(&self, repository: &str, max: usize) -> Result<Vec<String>, RegistryError> {
        const PAGE: usize = 1000;
        let reference = self.oci_reference(repository);
        let auth = self.oci_auth();
        let mut tags: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut last: Option<String> = None;
        loop {
            self.proxy.clear_failure();
            let page = tokio::time::timeout(
                self.timeout,
                self.oci().await?.list_tags(&reference, &auth, Some(PAGE), last.as_deref()),
            )
            .await
            .map_err(|_| self.timeout_error())?
            .map_err(|e| self.oci_error(e, repository, "tags"))?;
            let count = page.tags.len();
            last = page.tags.last().cloned();
            // A registry that ignores `last` would loop forever: stop when nothing new arrives.
            let before = tags.len();
            tags.extend(page.tags.into_iter().filter(|t| seen.insert(t.clone())));
            if count < PAGE || tags.len() == before || tags.len() >= max {
                break;
            }
        }
        // Registries differ in order (distribution 2.8 lists in storage order): lexical, as the spec asks.
        tags.sort();
        tags.truncate(max);
        Ok(tags)
    }

    /// Sends a request with this repository's authorization, authenticating once on a 401.
    async fn send(
        &self,
        repository: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, RegistryError> {
        let mut authorization = self.cached_authorization(repository).await;
        let mut authenticated = false;
        loop {
            self.proxy.clear_failure();
            let mut request = build(&self.http);
            if let Some(auth) = &authorization {
                request = request.header(AUTHORIZATION, auth.header.clone());
            }
            let response = match tokio::time::timeout(self.timeout, request.send()).await {
                Err(_) => return Err(self.timeout_error()),
                Ok(Err(e)) => return Err(self.transport_error(&e)),
                Ok(Ok(response)) => response,
            };
            if response.status() != StatusCode::UNAUTHORIZED || authenticated {
                return Ok(response);
            }
            authenticated = true;
            match self.authenticate(repository).await? {
                Some(auth) => authorization = Some(auth),
                None => return Ok(response),
            }
        }
    }

    async fn cached_authorization(&self, repository: &str) -> Option<Authorization> {
        let cache = self.authorizations.lock().await;
        cache.get(repository).filter(|a| a.expires.is_none_or(|at| Instant::now() < at)).cloned()
    }

    /// Runs the registry's auth flow for pull access to `repository` (oci-client follows the
    /// `WWW-Authenticate` challenge to the token realm) and caches the result until it expires.
    async fn authenticate(&self, repository: &str) -> Result<Option<Authorization>, RegistryError> {
        self.proxy.clear_failure();
        let reference = self.oci_reference(repository);
        let granted = tokio::time::timeout(
            self.timeout,
            self.oci().await?.auth(&reference, &self.oci_auth(), RegistryOperation::Pull),
        )
        .await
        .map_err(|_| self.timeout_error())?;
        let authorization = match granted {
            Ok(Some(token)) => Some(Authorization {
                header: header_value(&format!("Bearer {token}"), &self.registry)?,
                bearer: true,
                expires: Some(Instant::now() + token_lifetime(&token)),
            }),
            Ok(None) => match &self.credentials {
                Some(creds) => {
                    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        creds.username,
                        creds.password()
                    ));
                    Some(Authorization {
                        header: header_value(&format!("Basic {basic}"), &self.registry)?,
                        bearer: false,
                        expires: None,
                    })
                }
                None => None,
            },
            Err(e) => {
                // The token realm may be another host: the policy can refuse it too.
                if let Some(failure) = self.proxy.take_failure() {
                    return Err(self.net_error(failure));
                }
                return Err(match e {
                    OciDistributionError::AuthenticationFailure(_) => self.unauthorized(repository, false),
                    other => self.oci_error(other, repository, "authentication"),
                });
            }
        };
        let mut cache = self.authorizations.lock().await;
        match &authorization {
            Some(auth) => cache.insert(repository.to_string(), auth.clone()),
            None => cache.remove(repository),
        };
        Ok(authorization)
    }

    async fn check_status(
        &self,
        response: reqwest::Response,
        repository: &str,
        reference: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if let Some(failure) = self.proxy.take_failure() {
            return Err(self.net_error(failure));
        }
        let retry_after = retry_after(response.headers());
        let bearer = self.cached_authorization(repository).await.is_some_and(|a| a.bearer);
        let body = read_prefix(response).await;
        let codes = error_codes(&body);
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => self.unauthorized(repository, bearer),
            StatusCode::TOO_MANY_REQUESTS => {
                RegistryError::RateLimited { registry: self.registry.clone(), retry_after }
            }
            StatusCode::NOT_FOUND if codes.iter().any(|c| c == "NAME_UNKNOWN") => {
                RegistryError::RepositoryNotFound { registry: self.registry.clone(), repository: repository.into() }
            }
            StatusCode::NOT_FOUND if self.repository_missing(repository).await => {
                RegistryError::RepositoryNotFound { registry: self.registry.clone(), repository: repository.into() }
            }
            StatusCode::NOT_FOUND => {
                RegistryError::ManifestNotFound { repository: repository.into(), reference: reference.into() }
            }
            _ => RegistryError::Status { registry: self.registry.clone(), status: status.as_u16(), message: body },
        })
    }

    /// Registries answer MANIFEST_UNKNOWN for a tag of a repository that does not exist at all;
    /// the tag list (404 NAME_UNKNOWN) tells the two apart.
    async fn repository_missing(&self, repository: &str) -> bool {
        let url = self.url(&format!("{repository}/tags/list?n=1"));
        match self.send(repository, |http| http.get(&url)).await {
            Ok(response) if response.status() == StatusCode::NOT_FOUND => {
                error_codes(&read_prefix(response).await).iter().any(|c| c == "NAME_UNKNOWN")
            }
            _ => false,
        }
    }

    /// A refusal after auth: without credentials they are needed; with them, either the password
    /// is wrong (basic auth, or the token realm refused it) or the account lacks access.
    fn unauthorized(&self, repository: &str, granted_token: bool) -> RegistryError {
        match &self.credentials {
            None => {
                RegistryError::CredentialsRequired { registry: self.registry.clone(), repository: repository.into() }
            }
            Some(creds) if granted_token => {
                RegistryError::AccessDenied { repository: repository.into(), username: creds.username.clone() }
            }
            Some(creds) => {
                RegistryError::WrongCredentials { registry: self.registry.clone(), username: creds.username.clone() }
            }
        }
    }

    fn oci_error(&self, err: OciDistributionError, repository: &str, reference: &str) -> RegistryError {
        if let Some(failure) = self.proxy.take_failure() {
            return self.net_error(failure);
        }
        let registry = self.registry.clone();
        match err {
            OciDistributionError::RegistryError { envelope, .. } => match envelope.errors.first().map(|e| &e.code) {
                Some(OciErrorCode::NameUnknown) => {
                    RegistryError::RepositoryNotFound { registry, repository: repository.into() }
                }
                Some(OciErrorCode::ManifestUnknown | OciErrorCode::BlobUnknown | OciErrorCode::NotFound) => {
                    RegistryError::ManifestNotFound { repository: repository.into(), reference: reference.into() }
                }
                Some(OciErrorCode::Unauthorized | OciErrorCode::Denied) => self.unauthorized(repository, true),
                Some(OciErrorCode::Toomanyrequests) => RegistryError::RateLimited { registry, retry_after: None },
                _ => RegistryError::Status { registry, status: 0, message: envelope.to_string() },
            },
            OciDistributionError::UnauthorizedError { .. } => self.unauthorized(repository, false),
            OciDistributionError::AuthenticationFailure(_) => self.unauthorized(repository, false),
            OciDistributionError::ServerError { code: 429, .. } => {
                RegistryError::RateLimited { registry, retry_after: None }
            }
            OciDistributionError::ServerError { code: 401 | 403, .. } => self.unauthorized(repository, false),
            OciDistributionError::ServerError { code, message, .. } => {
                RegistryError::Status { registry, status: code, message: truncate(message) }
            }
            OciDistributionError::RequestError(e) => self.transport_error(&e),
            other => RegistryError::Protocol { registry, detail: other.to_string() },
        }
    }

    fn transport_error(&self, err: &reqwest::Error) -> RegistryError {
        if let Some(failure) = self.proxy.take_failure() {
            return self.net_error(failure);
        }
        if err.is_timeout() {
            return self.timeout_error();
        }
        let mut detail = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            detail = format!("{detail}: {cause}");
            source = cause.source();
        }
        RegistryError::Unreachable { registry: self.registry.clone(), detail }
    }

    fn net_error(&self, failure: NetError) -> RegistryError {
        match failure {
            NetError::Refused { .. } | NetError::BadHost { .. } => RegistryError::Net(failure),
            other => RegistryError::Unreachable { registry: self.registry.clone(), detail: other.to_string() },
        }
    }

    fn timeout_error(&self) -> RegistryError {
        RegistryError::Timeout { registry: self.registry.clone(), after: self.timeout }
    }

    fn oci_reference(&self, repository: &str) -> Reference {
        Reference::with_tag(self.host.clone(), repository.to_string(), "latest".to_string())
    }

    fn oci_auth(&self) -> RegistryAuth {
        match &self.credentials {
            Some(c) => RegistryAuth::Basic(c.username.clone(), c.password().to_string()),
            None => RegistryAuth::Anonymous,
        }
    }

    async fn read_capped(&self, response: reqwest::Response, limit: u64, what: &str) -> Result<Bytes, RegistryError> {
        if let Some(size) = response.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            && size > limit
        {
            return Err(RegistryError::TooLarge { what: what.to_string(), size, limit });
        }
        let mut response = response;
        let mut body = BytesMut::new();
        loop {
            let chunk = tokio::time::timeout(self.timeout, response.chunk())
                .await
                .map_err(|_| self.timeout_error())?
                .map_err(|e| self.transport_error(&e))?;
            let Some(chunk) = chunk else { break };
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(RegistryError::TooLarge { what: what.to_string(), size: body.len() as u64, limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

pub(super) fn split_host_port(host: &str) -> (&str, Option<u16>) {
    if let Some(rest) = host.strip_prefix('[') {
        let (addr, tail) = rest.split_once(']').unwrap_or((rest, ""));
        return (addr, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match host.rsplit_once(':') {
        Some((name, port)) => (name, port.parse().ok()),
        None => (host, None),
    }
}

fn header_value(text: &str, registry: &str) -> Result<HeaderValue, RegistryError> {
    HeaderValue::from_str(text).map_err(|_| RegistryError::Protocol {
        registry: registry.to_string(),
        detail: "the token realm returned a token that is not a valid header value".into(),
    })
}

/// How long to reuse a bearer token: its `exp` claim when it is a JWT (less a margin), else the
/// 60 s the distribution spec guarantees as a minimum.
fn token_lifetime(token: &str) -> Duration {
    const FALLBACK: Duration = Duration::from_secs(60);
    let Some(payload) = token.split('.').nth(1) else { return FALLBACK };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return FALLBACK;
    };
    let Some(exp) = serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| v.get("exp")?.as_u64())
    else {
        return FALLBACK;
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    Duration::from_secs(exp.saturating_sub(now).saturating_sub(10).min(3600))
}

fn retry_after(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64)
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

async fn read_prefix(response: reqwest::Response) -> String {
    let mut response = response;
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > 4096 {
            break;
        }
    }
    truncate(String::from_utf8_lossy(&body).into_owned())
}

fn error_codes(body: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            Some(
                v.get("errors")?
                    .as_array()?
                    .iter()
                    .filter_map(|e| Some(e.get("code")?.as_str()?.to_string()))
                    .collect(),
            )
        })
        .unwrap_or_default()
}

fn truncate(mut text: String) -> String {
    if text.len() > 300 {
        let cut = (0..=300).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port() {
        assert_eq!(split_host_port("127.0.0.1:5000"), ("127.0.0.1", Some(5000)));
        assert_eq!(split_host_port("[::1]:5000"), ("::1", Some(5000)));
        assert_eq!(split_host_port("ghcr.io"), ("ghcr.io", None));
    }

    #[test]
    fn token_lifetime_reads_the_exp_claim() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{}}}"#, now + 300));
        let lifetime = token_lifetime(&format!("h.{payload}.s"));
        assert!((285..=290).contains(&lifetime.as_secs()), "{lifetime:?}");
        assert_eq!(token_lifetime("opaque"), Duration::from_secs(60));
    }

    #[test]
    fn retry_after_in_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("42"));
        assert_eq!(retry_after(&headers), Some(42));
    }
}

/// A blob response read synchronously (on a blocking thread) chunk by chunk, each chunk within
/// the registry timeout, at most `limit` bytes in all.
pub struct BlobReader {
    response: reqwest::Response,
    runtime: tokio::runtime::Handle,
    chunk: Bytes,
    timeout: std::time::Duration,
    read: u64,
    limit: u64,
}

impl BlobReader {
    /// Must be called on the runtime; the reader is then used off it (`spawn_blocking`).
    pub fn new(response: reqwest::Response, timeout: std::time::Duration, limit: u64) -> Self {
        Self { response, runtime: tokio::runtime::Handle::current(), chunk: Bytes::new(), timeout, read: 0, limit }
    }
}

impl std::io::Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            let next = self.runtime.block_on(tokio::time::timeout(self.timeout, self.response.chunk()));
            match next {
                Err(_) => {
                    return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the registry stopped sending"));
                }
                Ok(Err(e)) => return Err(std::io::Error::other(e)),
                Ok(Ok(None)) => return Ok(0),
                Ok(Ok(Some(chunk))) => {
                    self.read += chunk.len() as u64;
                    if self.read > self.limit {
                        return Err(std::io::Error::other(format!("the blob is larger than its {} bytes", self.limit)));
                    }
                    self.chunk = chunk;
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}
