//! The outbound HTTP policy shared by everything that fetches on a user's behalf (registries now,
//! webhooks later): which addresses may be connected to, checked on the address actually dialled.
//!
//! Every outbound connection goes through [`EgressProxy`], a loopback proxy that resolves, checks
//! and dials itself, so the check holds for redirects (blob storage, token realms) and for DNS
//! answers that change between check and use. Each registry client has its own proxy and policy
//! ([`Policy::for_registry`]).

mod address;
mod egress;
mod policy;
pub mod tls;

use std::net::IpAddr;
use std::time::Duration;

pub use address::{Host, parse_host, restricted_kind};
pub use egress::EgressProxy;
pub use policy::Policy;

/// How long one TCP connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a connection was not made. `Display` is the operator's full story (resolved addresses, the
/// OS's words); [`NetError::public_message`] is what a web visitor may read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error(
        "refusing to connect to {host}:{port}: it is {addr}, a {kind} address, which Shipshape does not reach \
         unless allow-listed. If this registry is meant to be reachable, add it to SHIPSHAPE_ALLOW_HOSTS \
         (for example SHIPSHAPE_ALLOW_HOSTS={host}:{port})"
    )]
    Refused { host: String, port: u16, addr: IpAddr, kind: &'static str },
    /// An allow-listed destination named by a registry that is not allow-listed (a redirect or a
    /// token realm): allow-listing the destination would not help, allow-listing the registry would.
    #[error(
        "refusing to connect to {host}:{port} for registry {registry}: it is {addr}, a {kind} address, and \
         allow-listed addresses are reached only for registries listed in SHIPSHAPE_ALLOW_HOSTS themselves. \
         If {registry} is yours, add it there"
    )]
    NotForRegistry { host: String, port: u16, addr: IpAddr, kind: &'static str, registry: String },
    #[error("{host:?} is not a valid host name")]
    BadHost { host: String },
    #[error("cannot resolve {host}: {detail}")]
    Resolve { host: String, detail: String },
    #[error("cannot connect to {host}:{port}: {detail}")]
    Connect { host: String, port: u16, detail: String },
}

impl NetError {
    /// The message for web visitors: what to do, without the addresses a name resolved to (they
    /// map the server's private network) or the resolver's and socket's own words.
    pub fn public_message(&self) -> String {
        match self {
            Self::Refused { host, port, .. } => format!(
                "refusing to connect to {host}:{port}: it is not a public address, and Shipshape reaches \
                 private networks only for allow-listed registries. If this registry is meant to be reachable, \
                 the operator can add it to SHIPSHAPE_ALLOW_HOSTS (for example SHIPSHAPE_ALLOW_HOSTS={host}:{port})"
            ),
            Self::NotForRegistry { host, port, registry, .. } => format!(
                "refusing to connect to {host}:{port} for registry {registry}: it is not a public address, and \
                 private networks are reached only for registries listed in SHIPSHAPE_ALLOW_HOSTS themselves"
            ),
            Self::BadHost { .. } => self.to_string(),
            Self::Resolve { host, .. } => format!("cannot resolve {host}: check the registry's name"),
            Self::Connect { host, port, .. } => {
                format!("cannot connect to {host}:{port}; try again later, or check that the registry is up")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_messages_keep_the_advice_and_drop_the_addresses() {
        let addr: IpAddr = "10.0.0.5".parse().unwrap();
        let refused = NetError::Refused { host: "db.internal".into(), port: 443, addr, kind: "private" };
        assert!(refused.to_string().contains("10.0.0.5"), "the operator sees it: {refused}");
        let public = refused.public_message();
        assert!(public.contains("SHIPSHAPE_ALLOW_HOSTS=db.internal:443"), "{public}");
        let connect = NetError::Connect { host: "r.lan".into(), port: 5000, detail: "10.0.0.5:5000: refused".into() };
        let not_for = NetError::NotForRegistry {
            host: "minio.lan".into(),
            port: 9000,
            addr,
            kind: "private",
            registry: "evil.example".into(),
        };
        for err in [refused, connect, not_for] {
            let public = err.public_message();
            assert!(!public.contains("10.0.0.5") && !public.contains("private address"), "{public}");
        }
    }
}
