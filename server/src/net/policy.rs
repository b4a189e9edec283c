//! Which destinations outbound connections may reach, checked on the address actually dialled.
//!
//! One policy serves the operator's own fetches (advisories) and registries that are allow-listed
//! themselves; a registry that is not gets [`Policy::for_registry`]'s public-only copy, so its
//! redirects and token realms cannot point Shipshape into the networks the allow list opens.

use std::net::SocketAddr;

use tokio::net::TcpStream;

use super::{CONNECT_TIMEOUT, Host, NetError, parse_host, restricted_kind};
use crate::allow_list::AllowList;

#[derive(Clone, Debug, Default)]
pub struct Policy {
    allow: AllowList,
    /// Set when this policy serves a registry that is not allow-listed (its name): the allow list
    /// then opens nothing, and a refusal says why instead of advising to allow-list the destination.
    unlisted_registry: Option<String>,
}

impl Policy {
    pub fn new(allow: AllowList) -> Self {
        Self { allow, unlisted_registry: None }
    }

    /// The policy for everything done on behalf of `registry` (served at `host:port`, which
    /// resolved to `addrs`; empty when it did not resolve): this policy when the registry is
    /// allow-listed itself, by name or because every address it has is, else public addresses only.
    pub fn for_registry(&self, registry: &str, host: &str, port: u16, addrs: &[SocketAddr]) -> Policy {
        let name = match parse_host(host) {
            Some(Host::Ip(ip)) => ip.to_string(),
            Some(Host::Name(name)) => name,
            None => host.to_string(),
        };
        let by_addresses = !addrs.is_empty() && addrs.iter().all(|a| self.allow.allows_ip(a.ip(), port));
        if self.allow.allows_host(&name, port) || by_addresses {
            return self.clone();
        }
        Policy { allow: AllowList::default(), unlisted_registry: Some(registry.to_string()) }
    }

    /// Whether the allow list applies (false for a registry that is not allow-listed itself).
    pub fn allow_listed(&self) -> bool {
        self.unlisted_registry.is_none()
    }

    /// Resolves `host` and returns its addresses, or the refusal if any of them is restricted and
    /// neither the name nor the address is allow-listed. One restricted answer refuses the host: a
    /// name that sometimes resolves inward is not one to trust.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
        let parsed = parse_host(host).ok_or_else(|| NetError::BadHost { host: host.to_string() })?;
        let (name, addrs) = match parsed {
            Host::Ip(ip) => (ip.to_string(), vec![SocketAddr::new(ip, port)]),
            Host::Name(name) => {
                let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), port))
                    .await
                    .map_err(|e| NetError::Resolve { host: name.clone(), detail: e.to_string() })?
                    .collect();
                if addrs.is_empty() {
                    return Err(NetError::Resolve { host: name, detail: "no addresses".into() });
                }
                (name, addrs)
            }
        };
        let name_allowed = self.allow.allows_host(&name, port);
        for addr in &addrs {
            if name_allowed || self.allow.allows_ip(addr.ip(), port) {
                continue;
            }
            if let Some(kind) = restricted_kind(addr.ip()) {
                let host = if name.contains(':') { format!("[{name}]") } else { name };
                let addr = addr.ip();
                return Err(match &self.unlisted_registry {
                    Some(registry) => NetError::NotForRegistry { host, port, addr, kind, registry: registry.clone() },
                    None => NetError::Refused { host, port, addr, kind },
                });
            }
        }
        Ok(addrs)
    }

    /// Connects to the first reachable address of a checked host.
    pub async fn connect(&self, host: &str, port: u16) -> Result<TcpStream, NetError> {
        let addrs = self.resolve(host, port).await?;
        let mut detail = String::new();
        for addr in addrs {
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(e)) => detail = format!("{addr}: {e}"),
                Err(_) => detail = format!("{addr}: no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            }
        }
        Err(NetError::Connect { host: host.to_string(), port, detail })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_spellings_are_refused_with_the_variable_named() {
        let policy = Policy::default();
        for host in
            ["localhost", "127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "2130706433", "0177.0.0.1", "169.254.169.254"]
        {
            let err = policy.resolve(host, 5000).await.unwrap_err();
            assert!(matches!(err, NetError::Refused { .. }), "{host}: {err}");
            assert!(err.to_string().contains("SHIPSHAPE_ALLOW_HOSTS"), "{err}");
        }
    }

    #[tokio::test]
    async fn allow_list_by_name_port_or_network() {
        let by_port = Policy::new(AllowList::parse("localhost:5000").unwrap());
        assert!(by_port.resolve("localhost", 5000).await.is_ok());
        assert!(by_port.resolve("localhost", 5001).await.is_err());
        assert!(by_port.resolve("[::1]", 5000).await.is_err(), "a name entry does not allow other spellings");

        let by_network = Policy::new(AllowList::parse("127.0.0.0/8").unwrap());
        assert!(by_network.resolve("2130706433", 1).await.is_ok());
        assert!(by_network.resolve("169.254.169.254", 80).await.is_err());
    }

    #[tokio::test]
    async fn only_allow_listed_registries_reach_allow_listed_networks() {
        let policy = Policy::new(AllowList::parse("10.0.0.0/8, registry.lan:5000, 127.0.0.1:5001").unwrap());
        let lan: SocketAddr = "10.1.2.3:443".parse().unwrap();
        let public: SocketAddr = "203.0.113.7:443".parse().unwrap();
        for (host, port, addrs) in
            [("registry.lan", 5000, vec![]), ("10.1.2.3", 443, vec![lan]), ("x.lan", 443, vec![lan])]
        {
            assert!(policy.for_registry(host, host, port, &addrs).allow_listed(), "{host}:{port}");
        }
        let public_registry = policy.for_registry("evil.example", "evil.example", 443, &[public]);
        assert!(!public_registry.allow_listed());
        assert!(!policy.for_registry("mixed.example", "mixed.example", 443, &[lan, public]).allow_listed());
        for (host, port) in [("10.9.9.9", 80), ("127.0.0.1", 5001)] {
            let err = public_registry.resolve(host, port).await.unwrap_err();
            assert!(matches!(&err, NetError::NotForRegistry { registry, .. } if registry == "evil.example"), "{err}");
            assert!(err.to_string().contains("evil.example"), "{err}");
            assert!(policy.resolve(host, port).await.is_ok(), "the operator's policy still reaches {host}");
        }
        assert!(public_registry.resolve("203.0.113.7", 443).await.is_ok(), "public addresses stay reachable");
    }
}
