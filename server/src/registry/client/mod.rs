//! One registry, one credential: the operations inspection needs.
//!
//! oci-client runs the auth flows (WWW-Authenticate, token realm, per-scope token cache) and the tag
//! list. Manifests are fetched here with reqwest directly, because oci-client reads them unbounded
//! and drops the status and headers this layer needs for clear errors (429 with `Retry-After`, 404
//! repository vs tag, 401 after a token was granted); blobs go the same capped, verified way.
//!
//! By concern: `auth` (oci-client's token reused for reqwest), `manifests`, `blobs` (size-limited,
//! digest-verified), `tags` (pagination), `errors` (statuses and oci-client errors as
//! [`RegistryError`]).

mod auth;
mod blobs;
mod errors;
mod manifests;
mod tags;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use oci_client::Reference;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use tokio::sync::{Mutex, OnceCell};

use super::{Credentials, RegistryError, RegistrySettings, api_host};
use crate::net::{EgressProxy, Policy};
use auth::Authorization;

pub use blobs::BlobReader;
pub use manifests::FetchedManifest;

const USER_AGENT: &str = concat!("shipshape/", env!("CARGO_PKG_VERSION"));

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

    /// How long one read may wait before the registry counts as stalled.
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port() {
        assert_eq!(split_host_port("127.0.0.1:5000"), ("127.0.0.1", Some(5000)));
        assert_eq!(split_host_port("[::1]:5000"), ("::1", Some(5000)));
        assert_eq!(split_host_port("ghcr.io"), ("ghcr.io", None));
    }
}
