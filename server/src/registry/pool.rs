//! One [`RegistryClient`] per (registry, credential), kept for reuse: oci-client keeps the first
//! credentials it sees per host, so a client must never be shared between credentials.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use super::{Credentials, RegistryClient, RegistryError};
use crate::net::Policy;

#[derive(Clone, Debug)]
pub struct RegistrySettings {
    /// Per request (and per body chunk): an unresponsive registry fails instead of hanging.
    pub timeout: Duration,
    /// Registries spoken to over plain HTTP besides allow-listed loopback ones (`host[:port]`).
    pub insecure: Vec<String>,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(30), insecure: Vec::new() }
    }
}

type ClientKey = (String, Option<Credentials>);

pub struct Registries {
    policy: Arc<Policy>,
    settings: RegistrySettings,
    clients: Mutex<HashMap<ClientKey, Arc<RegistryClient>>>,
}

impl Registries {
    pub fn new(policy: Policy, settings: RegistrySettings) -> Self {
        Self { policy: Arc::new(policy), settings, clients: Mutex::new(HashMap::new()) }
    }

    /// The client for `registry` with these credentials (`None`: anonymous), created on first use.
    /// Creation checks the registry's host against the outbound policy, so a refused host fails
    /// here with the allow-list advice before any request is made.
    pub async fn client(
        &self,
        registry: &str,
        credentials: Option<&Credentials>,
    ) -> Result<Arc<RegistryClient>, RegistryError> {
        let key = (registry.to_string(), credentials.cloned());
        let mut clients = self.clients.lock().await;
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let host = super::api_host(registry);
        let (name, port) = super::client::split_host_port(host);
        // Resolved once here: a refusal fails before any request, and loopback registries (allowed,
        // or we would not get past this) are spoken to over plain HTTP, as Docker does.
        let addrs = self.policy.resolve(name, port.unwrap_or(443)).await;
        if let Err(refused @ crate::net::NetError::Refused { .. }) = addrs {
            return Err(refused.into());
        }
        let loopback = addrs
            .as_ref()
            .is_ok_and(|a| a.iter().all(|addr| crate::net::restricted_kind(addr.ip()) == Some("loopback")));
        let plain_http = loopback || self.settings.insecure.iter().any(|h| h == registry || h == host);
        let client = Arc::new(
            RegistryClient::connect(registry, credentials.cloned(), self.policy.clone(), &self.settings, plain_http)
                .await?,
        );
        clients.insert(key, client.clone());
        Ok(client)
    }
}
