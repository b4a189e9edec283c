//! `SHIPSHAPE_ALLOW_HOSTS`: the hosts and networks the outbound policy may reach even though they
//! resolve to loopback or private addresses (a registry on the LAN, a test registry on 127.0.0.1).
//!
//! A host entry without a port allows only the standard web ports ([`STANDARD_PORTS`]): "allow
//! registry.lan" should not also open its database or admin ports. A network entry (CIDR) allows
//! every port on it, as a network is the operator saying "anything there".

use std::net::{IpAddr, Ipv6Addr};

/// The ports a host entry without a port allows: HTTPS, and HTTP (plain-HTTP registries, redirects).
pub const STANDARD_PORTS: [u16; 2] = [443, 80];

/// The entry syntax, for error and help texts.
pub const SYNTAX: &str = "use host:port, host (ports 443 and 80 only) or a CIDR such as 10.0.0.0/8 (every port)";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<AllowEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum AllowEntry {
    /// This host name or address on the standard ports.
    Host(String),
    HostPort(String, u16),
    Network {
        base: IpAddr,
        prefix: u8,
    },
}

impl AllowList {
    /// Parses a comma-separated list of `host`, `host:port`, `[v6]:port` and `addr/prefix` entries.
    pub fn parse(text: &str) -> Result<Self, String> {
        let entries = text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(parse_entry)
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether `host` (as written in the reference or URL) on `port` is allow-listed by name or address.
    pub fn allows_host(&self, host: &str, port: u16) -> bool {
        let host = normalise_host(host);
        self.entries.iter().any(|entry| match entry {
            AllowEntry::Host(h) => *h == host && STANDARD_PORTS.contains(&port),
            AllowEntry::HostPort(h, p) => *h == host && *p == port,
            AllowEntry::Network { .. } => false,
        })
    }

    /// Whether an address actually connected to lies in an allow-listed network or is listed itself.
    pub fn allows_ip(&self, ip: IpAddr, port: u16) -> bool {
        let ip = canonical_ip(ip);
        self.entries.iter().any(|entry| match entry {
            AllowEntry::Network { base, prefix } => in_network(ip, *base, *prefix),
            AllowEntry::Host(h) => {
                STANDARD_PORTS.contains(&port) && h.parse::<IpAddr>().is_ok_and(|a| canonical_ip(a) == ip)
            }
            AllowEntry::HostPort(h, p) => *p == port && h.parse::<IpAddr>().is_ok_and(|a| canonical_ip(a) == ip),
        })
    }
}

fn parse_entry(item: &str) -> Result<AllowEntry, String> {
    let bad = |why: &str| format!("{item:?} {why}; {SYNTAX}");
    if let Some((addr, prefix)) = item.split_once('/') {
        let base: IpAddr = addr.parse().map_err(|_| bad("has an invalid network address"))?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix: u8 =
            prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| bad("has an invalid prefix length"))?;
        return Ok(AllowEntry::Network { base: canonical_ip(base), prefix });
    }
    if let Ok(ip) = item.parse::<IpAddr>() {
        return Ok(AllowEntry::Host(canonical_ip(ip).to_string()));
    }
    let (host, port) = match item.strip_prefix('[') {
        Some(v6) => {
            let (addr, port) = v6.split_once("]:").ok_or_else(|| bad("is not [ipv6]:port"))?;
            let ip: Ipv6Addr = addr.parse().map_err(|_| bad("has an invalid IPv6 address"))?;
            (canonical_ip(IpAddr::V6(ip)).to_string(), Some(port))
        }
        None => match item.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (item.to_string(), None),
        },
    };
    let host = normalise_host(&host);
    let valid_host = !host.is_empty()
        && host
            .split('.')
            .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        || host.parse::<IpAddr>().is_ok();
    if !valid_host {
        return Err(bad("is not a valid host name"));
    }
    match port {
        Some(port) => {
            let port: u16 = port.parse().ok().filter(|p| *p != 0).ok_or_else(|| bad("has an invalid port"))?;
            Ok(AllowEntry::HostPort(host, port))
        }
        None => Ok(AllowEntry::Host(host)),
    }
}

fn normalise_host(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).map(str::to_string).unwrap_or(host);
    match host.parse::<IpAddr>() {
        Ok(ip) => canonical_ip(ip).to_string(),
        Err(_) => host,
    }
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is the IPv4 address it wraps.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

pub(crate) fn in_network(ip: IpAddr, base: IpAddr, prefix: u8) -> bool {
    match (ip, base) {
        (IpAddr::V4(ip), IpAddr::V4(base)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(base) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(base)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(base) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_ports_and_networks() {
        let list = AllowList::parse("registry.lan, localhost:5000, 10.0.0.0/8, [::1]:5001, fd00::/8").unwrap();
        assert_eq!(list.len(), 5);
        assert!(list.allows_host("Registry.LAN.", 443));
        assert!(list.allows_host("registry.lan", 80));
        assert!(list.allows_host("localhost", 5000));
        assert!(!list.allows_host("localhost", 5001));
        assert!(list.allows_ip("10.20.30.40".parse().unwrap(), 80));
        assert!(list.allows_ip("::ffff:10.1.2.3".parse().unwrap(), 80), "IPv4-mapped form is the IPv4 address");
        assert!(!list.allows_ip("11.0.0.1".parse().unwrap(), 80));
        assert!(list.allows_ip("::1".parse().unwrap(), 5001));
        assert!(!list.allows_ip("::1".parse().unwrap(), 5000));
        assert!(list.allows_ip("fd12::1".parse().unwrap(), 1));
    }

    #[test]
    fn a_host_without_a_port_allows_only_the_standard_ports() {
        let list = AllowList::parse("registry.lan, 10.1.2.3").unwrap();
        for port in [22, 5000, 5432, 8080] {
            assert!(!list.allows_host("registry.lan", port), "{port}");
            assert!(!list.allows_ip("10.1.2.3".parse().unwrap(), port), "{port}");
        }
        assert!(list.allows_ip("10.1.2.3".parse().unwrap(), 443));
        let err = AllowList::parse("host:0").unwrap_err();
        assert!(err.contains("ports 443 and 80 only"), "the error says what a bare host means: {err}");
    }

    #[test]
    fn zero_prefix_allows_everything_of_its_family() {
        let list = AllowList::parse("0.0.0.0/0").unwrap();
        assert!(list.allows_ip("192.168.1.1".parse().unwrap(), 1));
        assert!(!list.allows_ip("fe80::1".parse().unwrap(), 1));
    }

    #[test]
    fn malformed_entries_are_refused() {
        for bad in ["10.0.0.0/33", "::/129", "host:0", "host:http", "bad_host", "[::1]", "a..b"] {
            assert!(AllowList::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(AllowList::parse(" , ").unwrap().is_empty());
    }
}
