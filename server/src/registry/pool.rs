//! One [`RegistryClient`] per (registry, credential), kept for reuse: oci-client keeps the first
//! credentials it sees per host, so a client must never be shared between credentials.
//!
//! Anyone may name a registry, so the pool is bounded: each client holds a loopback listener (its
//! egress proxy), an accept task and its idle connections, and a visitor naming a fresh registry
//! per request must not pin one of each forever. The least recently used client goes when the pool
//! is full (inspections still holding it finish with it; it closes when the last one lets go), and
//! a registry that could not be resolved or set up leaves nothing behind.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{Credentials, RegistryClient, RegistryError};
use crate::net::{NetError, Policy};

/// Clients kept. A server talks to a handful of registries (Docker Hub, ghcr.io, quay.io, a
/// cloud's, the company's own), each anonymously and with at most a credential or two: 64 keeps
/// that working set with room to spare, while what it pins stays small (64 listeners and their
/// idle connections, well under a default limit of 1,024 descriptors).
const MAX_CLIENTS: usize = 64;

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
    /// Held only to look up or insert, never across a DNS lookup or a client's set-up: one slow
    /// registry must not hold up requests to every other.
    clients: Mutex<Lru<ClientKey, Arc<RegistryClient>>>,
}

impl Registries {
    pub fn new(policy: Policy, settings: RegistrySettings) -> Self {
        Self::with_capacity(policy, settings, MAX_CLIENTS)
    }

    fn with_capacity(policy: Policy, settings: RegistrySettings, capacity: usize) -> Self {
        Self { policy: Arc::new(policy), settings, clients: Mutex::new(Lru::new(capacity)) }
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
        if let Some(client) = self.cached().get(&key) {
            return Ok(client);
        }
        // Two first uses at once may both create one; the first kept is the one both get, and the
        // other is dropped (with its listener) before anything was sent through it.
        let created = Arc::new(self.create(registry, credentials).await?);
        Ok(self.cached().keep(key, created))
    }

    /// Whether the outbound policy lets `registry` be reached, asked before anything is sent (when
    /// credentials for it are saved). Only a refusal fails: a name that does not resolve today may
    /// tomorrow, and is the "unreachable" a later use reports.
    pub async fn check_policy(&self, registry: &str) -> Result<(), RegistryError> {
        let host = super::api_host(registry);
        let (name, port) = super::client::split_host_port(host);
        match self.policy.resolve(name, port.unwrap_or(443)).await {
            Ok(_) | Err(NetError::Resolve { .. }) => Ok(()),
            Err(refused) => Err(RegistryError::Net(refused)),
        }
    }

    async fn create(&self, registry: &str, credentials: Option<&Credentials>) -> Result<RegistryClient, RegistryError> {
        let host = super::api_host(registry);
        let (name, port) = super::client::split_host_port(host);
        // Resolved once here: a refusal or an unknown name fails before any request, and loopback
        // registries (allowed, or we would not get past this) are spoken to over plain HTTP, as
        // Docker does.
        let addrs = self.policy.resolve(name, port.unwrap_or(443)).await.map_err(|e| setup_error(registry, e))?;
        let loopback = addrs.iter().all(|addr| crate::net::restricted_kind(addr.ip()) == Some("loopback"));
        let plain_http = loopback || self.settings.insecure.iter().any(|h| h == registry || h == host);
        // Its redirects and token realm reach allow-listed networks only if it is allow-listed itself.
        let policy = Arc::new(self.policy.for_registry(registry, name, port.unwrap_or(443), &addrs));
        RegistryClient::connect(registry, credentials.cloned(), policy, &self.settings, plain_http).await
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, Lru<ClientKey, Arc<RegistryClient>>> {
        // Nothing panics while holding it: the map is whole even if a holder did.
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A refusal stays one (it carries the allow-list advice); a name that does not resolve is an
/// unreachable registry, as it would be when a request found it so.
fn setup_error(registry: &str, error: NetError) -> RegistryError {
    match error {
        NetError::Resolve { .. } | NetError::Connect { .. } => {
            RegistryError::Unreachable { registry: registry.to_string(), detail: error.to_string() }
        }
        other => RegistryError::Net(other),
    }
}

/// A map that keeps the `capacity` most recently used entries. Eviction scans for the oldest:
/// linear, and cheaper than a linked list at the few dozen entries it holds.
struct Lru<K, V> {
    capacity: usize,
    entries: HashMap<K, (V, u64)>,
    clock: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> Lru<K, V> {
    fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), entries: HashMap::new(), clock: 0 }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn get(&mut self, key: &K) -> Option<V> {
        let now = self.tick();
        self.entries.get_mut(key).map(|(value, used)| {
            *used = now;
            value.clone()
        })
    }

    /// Keeps `value` under `key` unless a value is there already, and returns the one kept.
    fn keep(&mut self, key: K, value: V) -> V {
        if let Some(kept) = self.get(&key) {
            return kept;
        }
        if self.entries.len() >= self.capacity
            && let Some(oldest) = self.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone())
        {
            self.entries.remove(&oldest);
        }
        let now = self.tick();
        self.entries.insert(key, (value.clone(), now));
        value
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allow_list::AllowList;

    #[test]
    fn the_least_recently_used_goes_first() {
        let mut lru = Lru::new(2);
        lru.keep("a", 1);
        lru.keep("b", 2);
        assert_eq!(lru.get(&"a"), Some(1), "a is now the most recent");
        lru.keep("c", 3);
        assert_eq!((lru.len(), lru.get(&"b")), (2, None), "b was the least recently used");
        assert_eq!((lru.get(&"a"), lru.get(&"c")), (Some(1), Some(3)));
    }

    #[test]
    fn the_first_kept_wins() {
        let mut lru = Lru::new(2);
        assert_eq!(lru.keep("a", 1), 1);
        assert_eq!(lru.keep("a", 2), 1, "a second creation for the same key is dropped");
        assert_eq!(lru.len(), 1);
    }

    fn loopback_pool(capacity: usize) -> Registries {
        let policy = Policy::new(AllowList::parse("127.0.0.1/32").unwrap());
        Registries::with_capacity(policy, RegistrySettings::default(), capacity)
    }

    #[tokio::test]
    async fn the_pool_keeps_its_bound() {
        let pool = loopback_pool(4);
        let first = pool.client("127.0.0.1:1", None).await.unwrap();
        for port in 2..=10 {
            pool.client(&format!("127.0.0.1:{port}"), None).await.unwrap();
            assert!(pool.cached().len() <= 4);
        }
        assert_eq!(pool.cached().len(), 4);
        let again = pool.client("127.0.0.1:1", None).await.unwrap();
        assert!(!Arc::ptr_eq(&first, &again), "the least recently used client was evicted");
        let recent = pool.client("127.0.0.1:10", None).await.unwrap();
        assert!(Arc::ptr_eq(&recent, &pool.client("127.0.0.1:10", None).await.unwrap()), "a recent one is reused");
    }

    #[tokio::test]
    async fn failures_leave_nothing_behind() {
        let pool = loopback_pool(4);
        // `.invalid` never resolves (RFC 6761); 10.0.0.1 is private and not allow-listed.
        let unknown = pool.client("no-such-registry.invalid", None).await.err().expect("an unknown name fails");
        assert!(matches!(unknown, RegistryError::Unreachable { .. }), "{unknown}");
        let refused = pool.client("10.0.0.1:5000", None).await.err().expect("a refused host fails");
        assert!(matches!(refused, RegistryError::Net(NetError::Refused { .. })), "{refused}");
        assert_eq!(pool.cached().len(), 0);
    }

    #[tokio::test]
    async fn concurrent_first_uses_share_one_client() {
        let pool = loopback_pool(4);
        let (a, b) = tokio::join!(pool.client("127.0.0.1:7", None), pool.client("127.0.0.1:7", None));
        assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()));
        assert_eq!(pool.cached().len(), 1);
    }
}
