//! Which client a request comes from, for per-client limits.
//!
//! The peer's address, except when the peer is a loopback or private address: that is a reverse
//! proxy in front of Shipshape (or a neighbour on the same network), and the client is the address
//! that proxy appended last to `X-Forwarded-For` (earlier entries are whatever the client sent, so
//! they are never read). A client on a private network can therefore claim any address: the
//! global limits still hold.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

/// `None` when the server was started without peer addresses (then all clients count as one).
pub fn address(extensions: &Extensions, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if !behind_proxy(peer) {
        return Some(peer);
    }
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).next_back();
    let last = forwarded.and_then(|list| list.rsplit(',').next()).map(str::trim);
    Some(last.and_then(|a| a.parse().ok()).unwrap_or(peer))
}

fn behind_proxy(peer: IpAddr) -> bool {
    match peer {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unique_local()
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback() || v4.is_private())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(peer: &str, forwarded: &[&str]) -> Option<IpAddr> {
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 4000)));
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        address(&extensions, &headers)
    }

    #[test]
    fn a_public_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(from("203.0.113.7", &["198.51.100.1"]), "203.0.113.7".parse().ok());
    }

    #[test]
    fn behind_a_proxy_the_last_forwarded_address_is_the_client() {
        assert_eq!(from("127.0.0.1", &["1.1.1.1, 198.51.100.1"]), "198.51.100.1".parse().ok());
        assert_eq!(from("10.0.0.2", &["1.1.1.1", "198.51.100.2"]), "198.51.100.2".parse().ok());
        assert_eq!(from("::1", &["garbage"]), "::1".parse().ok());
        assert_eq!(from("127.0.0.1", &[]), "127.0.0.1".parse().ok());
        assert_eq!(address(&Extensions::new(), &HeaderMap::new()), None);
    }
}
