//! One registry, one credential: the operations inspection needs, over reqwest directly. Every
//! answer is read within a limit (oci-client, used before, read manifests, token realms and tag
//! lists unbounded, and dropped the status and headers this layer needs for clear errors: 429 with
//! `Retry-After`, 404 repository vs tag, 401 after a token was granted).
//!
//! By concern: `challenge` (`WWW-Authenticate`), `auth` (token realm, basic auth, token cache),
//! `manifests`, `blobs` (size-limited, digest-verified), `tags` (pagination), `errors` (statuses,
//! transport failures and the egress proxy's refusals as [`RegistryError`]).

mod auth;
mod blobs;
pub(crate) mod challenge;
mod errors;
mod manifests;
mod tags;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use super::{Credentials, RegistryError, RegistrySettings, api_host};
use crate::net::{EgressProxy, Policy};
use auth::Authorization;

pub use auth::TOKEN_LIMIT;
pub use blobs::BlobReader;
pub use manifests::FetchedManifest;
pub use tags::TAG_PAGE_LIMIT;

const USER_AGENT: &str = concat!("shipshape/", env!("CARGO_PKG_VERSION"));
/// Idle connections a client keeps to its registry: what an index's fan-out uses at once.
const MAX_IDLE_CONNECTIONS: usize = 8;

pub struct RegistryClient {
    registry: String,
    host: String,
    plain_http: bool,
    credentials: Option<Credentials>,
    http: reqwest::Client,
    proxy: EgressProxy,
    timeout: Duration,
    authorizations: Mutex<HashMap<String, Authorization>>,
}

/// Which registry and how it is spoken to; never the credentials.
impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("registry", &self.registry)
            .field("plain_http", &self.plain_http)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// `plain_http`: speak HTTP, not HTTPS (allow-listed loopback or configured insecure registries).
    /// `policy` holds every connection, redirects and token realms included: the pool gives a
    /// registry that is not allow-listed a public-only one ([`Policy::for_registry`]).
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
            // 64 pooled clients each keeping every connection of a burst would hold hundreds of
            // sockets open for minutes.
            .pool_max_idle_per_host(MAX_IDLE_CONNECTIONS)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| setup_failed(e.to_string()))?;
        Ok(Self {
            registry: registry.to_string(),
            host: api_host(registry).to_string(),
            plain_http,
            credentials,
            http,
            proxy,
            timeout: settings.timeout,
            authorizations: Mutex::new(HashMap::new()),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}://{}/v2/{path}", if self.plain_http { "http" } else { "https" }, self.host)
    }

    /// How long one read may wait before the registry counts as stalled.
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
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
