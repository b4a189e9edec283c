//! What kind of address a host name or IP is, spelled any way a URL parser accepts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::allow_list::canonical_ip;

/// A host as the HTTP stack will connect to it: a literal address or a name still to resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    Ip(IpAddr),
    Name(String),
}

/// Parses a host the way reqwest (the WHATWG URL rules) will, so `2130706433`, `0177.0.0.1`,
/// `0x7f.1` and `[::ffff:127.0.0.1]` are recognised as the addresses they are.
pub fn parse_host(host: &str) -> Option<Host> {
    // An IPv6 address as split from `[::1]:5000` (no brackets): never a `host:port`.
    if let Ok(v6) = host.parse::<Ipv6Addr>() {
        return Some(Host::Ip(canonical_ip(IpAddr::V6(v6))));
    }
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if host.contains(['/', '@', '?', '#', '\\']) || (host.contains(':') && !bracketed) {
        return None;
    }
    let url = url::Url::parse(&format!("http://{host}/")).ok()?;
    if url.port().is_some() || url.path() != "/" || !url.username().is_empty() {
        return None;
    }
    match url.host()? {
        url::Host::Ipv4(v4) => Some(Host::Ip(IpAddr::V4(v4))),
        url::Host::Ipv6(v6) => Some(Host::Ip(canonical_ip(IpAddr::V6(v6)))),
        url::Host::Domain(name) => Some(Host::Name(name.trim_end_matches('.').to_string())),
    }
}

/// Why an address may not be connected to without an allow-list entry; `None` for public addresses.
pub fn restricted_kind(ip: IpAddr) -> Option<&'static str> {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => restricted_v4(v4),
        IpAddr::V6(v6) => restricted_v6(v6),
    }
}

fn restricted_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match () {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "cloud metadata",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private",
        _ if ip.is_link_local() => "link-local",
        _ if a == 100 && (64..128).contains(&b) => "carrier-grade NAT (CGNAT)",
        _ if a == 0 => "unspecified (\"this network\")",
        _ if ip.is_broadcast() || ip.is_multicast() || a >= 240 => "multicast or reserved",
        // 192.0.0.0/24 holds protocol assignments, incl. some providers' metadata endpoints.
        _ if a == 192 && b == 0 && c == 0 => "IETF protocol assignment",
        _ if a == 198 && (b == 18 || b == 19) => "benchmarking",
        _ => return None,
    })
}

fn restricted_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    // Addresses that embed an IPv4 address route to it: judge the IPv4 address.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (segments[..6] == [0; 6] && segments[6] != 0) {
        let [_, _, _, _, _, _, hi, lo] = segments;
        return restricted_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))).or(Some("IPv4-embedding"));
    }
    if segments[0] == 0x2002 {
        return restricted_v4(Ipv4Addr::from((u32::from(segments[1]) << 16) | u32::from(segments[2])));
    }
    Some(match segments[0] {
        _ if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) => "cloud metadata",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_unspecified() => "unspecified",
        s if s & 0xfe00 == 0xfc00 => "unique-local",
        s if s & 0xffc0 == 0xfe80 => "link-local",
        s if s & 0xffc0 == 0xfec0 => "site-local",
        s if s & 0xff00 == 0xff00 => "multicast",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        match parse_host(text) {
            Some(Host::Ip(ip)) => ip,
            other => panic!("{text} parsed as {other:?}"),
        }
    }

    #[test]
    fn every_spelling_of_loopback_is_loopback() {
        for spelling in ["127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "[::1]", "[::ffff:127.0.0.1]"]
        {
            assert_eq!(restricted_kind(ip(spelling)), Some("loopback"), "{spelling}");
        }
        assert_eq!(parse_host("LocalHost."), Some(Host::Name("localhost".into())));
        assert_eq!(parse_host("::1"), parse_host("[::1]"), "as a registry's host:port splits it");
    }

    #[test]
    fn private_metadata_and_friends_are_restricted() {
        let cases = [
            ("169.254.169.254", "cloud metadata"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.0.1", "private"),
            ("169.254.1.1", "link-local"),
            ("100.64.0.1", "carrier-grade NAT (CGNAT)"),
            ("0.0.0.0", "unspecified (\"this network\")"),
            ("[fd00:ec2::254]", "cloud metadata"),
            ("[fd12::1]", "unique-local"),
            ("[fe80::1]", "link-local"),
            ("[::ffff:10.0.0.1]", "private"),
            ("[64:ff9b::a9fe:a9fe]", "cloud metadata"),
            ("[2002:7f00:1::]", "loopback"),
        ];
        for (spelling, kind) in cases {
            assert_eq!(restricted_kind(ip(spelling)), Some(kind), "{spelling}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for spelling in ["1.1.1.1", "100.128.0.1", "172.32.0.1", "[2606:4700::1111]"] {
            assert_eq!(restricted_kind(ip(spelling)), None, "{spelling}");
        }
    }

    #[test]
    fn junk_hosts_do_not_parse() {
        for junk in ["", "a b", "user@host", "host/path", "host:80"] {
            assert_eq!(parse_host(junk), None, "{junk}");
        }
    }
}
