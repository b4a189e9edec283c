//! The outbound HTTP policy shared by everything that fetches on a user's behalf (registries now,
//! webhooks later): which addresses may be connected to, checked on the address actually dialled.
//!
//! oci-client builds its own reqwest client and offers no DNS hook, so every outbound connection
//! goes through [`EgressProxy`], a loopback proxy that resolves, checks and dials itself. That holds
//! for redirects (blob storage, token realms) and DNS answers that change between check and use.

mod address;
mod egress;
pub mod tls;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpStream;

use crate::allow_list::AllowList;

pub use address::{Host, parse_host, restricted_kind};
pub use egress::EgressProxy;

/// How long one TCP connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error(
        "refusing to connect to {host}:{port}: it is {addr}, a {kind} address, which Shipshape does not reach \
         unless allow-listed. If this registry is meant to be reachable, add it to SHIPSHAPE_ALLOW_HOSTS \
         (for example SHIPSHAPE_ALLOW_HOSTS={host}:{port})"
    )]
    Refused { host: String, port: u16, addr: IpAddr, kind: &'static str },
    #[error("{host:?} is not a valid host name")]
    BadHost { host: String },
    #[error("cannot resolve {host}: {detail}")]
    Resolve { host: String, detail: String },
    #[error("cannot connect to {host}:{port}: {detail}")]
    Connect { host: String, port: u16, detail: String },
}

/// Which destinations outbound connections may reach.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    allow: AllowList,
}

impl Policy {
    pub fn new(allow: AllowList) -> Self {
        Self { allow }
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
                return Err(NetError::Refused { host, port, addr: addr.ip(), kind });
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
}
