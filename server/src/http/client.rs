//! Which client a request comes from, for per-client limits.
//!
//! The peer's address, except when the peer is a trusted proxy (`SHIPSHAPE_TRUSTED_PROXIES`;
//! by default any loopback or private address): then the client is the address that proxy
//! appended last to `X-Forwarded-For` (earlier entries are whatever the client sent, so they are
//! never read). With the default, a client on a private network can claim any address (the
//! global limits still hold); a LAN deployment without a proxy sets `none`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;

use crate::allow_list::{canonical_ip, in_network};

/// The peers whose `X-Forwarded-For` names the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TrustedProxies {
    /// Any loopback or private address (a proxy on the same host or network).
    #[default]
    LocalNetworks,
    /// None: the peer is always the client.
    Nobody,
    /// These addresses and networks (`addr/prefix`).
    Listed(Vec<(IpAddr, u8)>),
}

impl TrustedProxies {
    /// `local` (the default), `none`, or comma-separated addresses and CIDRs.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "local" => return Ok(Self::LocalNetworks),
            "none" => return Ok(Self::Nobody),
            _ => {}
        }
        let entry = |item: &str| -> Result<(IpAddr, u8), String> {
            let bad = || format!("{item:?} is not an address or a CIDR such as 10.0.0.0/8; or use local or none");
            let (addr, prefix) = item.split_once('/').map_or((item, None), |(a, p)| (a, Some(p)));
            let addr = canonical_ip(addr.parse().map_err(|_| bad())?);
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p.parse().ok().filter(|p| *p <= max).ok_or_else(bad)?,
                None => max,
            };
            Ok((addr, prefix))
        };
        text.split(',').map(str::trim).filter(|i| !i.is_empty()).map(entry).collect::<Result<_, _>>().map(Self::Listed)
    }

    fn trusts(&self, peer: IpAddr) -> bool {
        let peer = canonical_ip(peer);
        match self {
            Self::LocalNetworks => match peer {
                IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
                IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local(),
            },
            Self::Nobody => false,
            Self::Listed(networks) => networks.iter().any(|(base, prefix)| in_network(peer, *base, *prefix)),
        }
    }
}

/// The client's address, as [`record`] found it for this request.
#[derive(Clone, Copy, Debug)]
struct ClientAddress(Option<IpAddr>);

/// Middleware: finds the request's client once, for the handlers' [`address`].
pub async fn record(State(trusted): State<TrustedProxies>, mut request: Request, next: Next) -> Response {
    let client = resolve(request.extensions(), request.headers(), &trusted);
    request.extensions_mut().insert(ClientAddress(client));
    next.run(request).await
}

/// The request's client; `None` when the server was started without peer addresses (then all
/// clients count as one).
pub fn address(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<ClientAddress>().and_then(|c| c.0)
}

fn resolve(extensions: &Extensions, headers: &HeaderMap, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if !trusted.trusts(peer) {
        return Some(peer);
    }
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).next_back();
    let last = forwarded.and_then(|list| list.rsplit(',').next()).map(str::trim);
    Some(last.and_then(|a| a.parse().ok()).unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(trusted: &TrustedProxies, peer: &str, forwarded: &[&str]) -> Option<IpAddr> {
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 4000)));
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        resolve(&extensions, &headers, trusted)
    }

    fn from(peer: &str, forwarded: &[&str]) -> Option<IpAddr> {
        through(&TrustedProxies::default(), peer, forwarded)
    }

    #[test]
    fn a_public_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(from("203.0.113.7", &["198.51.100.1"]), "203.0.113.7".parse().ok());
    }

    #[test]
    fn behind_a_proxy_the_last_forwarded_address_is_the_client() {
        assert_eq!(from("127.0.0.1", &["1.1.1.1, 198.51.100.1"]), "198.51.100.1".parse().ok());
        assert_eq!(from("10.0.0.2", &["1.1.1.1", "198.51.100.2"]), "198.51.100.2".parse().ok());
        assert_eq!(from("::ffff:10.0.0.2", &["198.51.100.2"]), "198.51.100.2".parse().ok());
        assert_eq!(from("::1", &["garbage"]), "::1".parse().ok());
        assert_eq!(from("127.0.0.1", &[]), "127.0.0.1".parse().ok());
        assert_eq!(resolve(&Extensions::new(), &HeaderMap::new(), &TrustedProxies::default()), None);
    }

    #[test]
    fn only_the_configured_proxies_are_believed() {
        let nobody = TrustedProxies::parse("none").unwrap();
        assert_eq!(through(&nobody, "192.168.1.9", &["198.51.100.1"]), "192.168.1.9".parse().ok());
        let listed = TrustedProxies::parse("10.0.0.0/8, 172.17.0.1").unwrap();
        assert_eq!(through(&listed, "10.4.0.2", &["198.51.100.1"]), "198.51.100.1".parse().ok());
        assert_eq!(through(&listed, "172.17.0.1", &["198.51.100.1"]), "198.51.100.1".parse().ok());
        assert_eq!(through(&listed, "172.17.0.2", &["198.51.100.1"]), "172.17.0.2".parse().ok());
        assert_eq!(through(&listed, "127.0.0.1", &["198.51.100.1"]), "127.0.0.1".parse().ok(), "only those listed");
        assert_eq!(TrustedProxies::parse("local").unwrap(), TrustedProxies::LocalNetworks);
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.lan").unwrap_err().contains("CIDR"));
    }
}
