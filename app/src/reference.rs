//! Image references as Docker writes them, normalised the way `docker pull` does.
//!
//! Pure code: the server uses it to resolve what users ask for, and the browser (wasm) uses the very same
//! rules to validate the reference box as you type.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::digest::{Digest, DigestError};

pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_ALIASES: [&str; 2] = ["index.docker.io", "registry-1.docker.io"];
const OFFICIAL_NAMESPACE: &str = "library";
const DEFAULT_TAG: &str = "latest";
const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A fully-qualified image reference: registry, repository path, and a tag and/or a digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageReference {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Why a reference was refused; the message says what to type instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("enter an image reference, e.g. alpine or ghcr.io/owner/repo:tag")]
    Empty,
    #[error("references cannot contain spaces")]
    Whitespace,
    #[error("repository name \"{0}\" must be lowercase (tags may be mixed case)")]
    Uppercase(String),
    #[error("\"{0}\" is not a valid repository path component: use a-z, 0-9 and single separators . _ __ -")]
    BadComponent(String),
    #[error("\"{0}\" is not a valid registry host (host or host:port)")]
    BadRegistry(String),
    #[error("\"{0}\" is not an IPv6 address a registry can be named by: write it in hex between brackets, e.g. [2001:db8::1]:5000 (no dotted IPv4 part, no %zone)")]
    BadIpv6(String),
    #[error("name the repository before the tag or digest, e.g. alpine:3.20 or alpine@sha256:…")]
    MissingName,
    #[error("{0} is a registry host without a repository: add one after a slash, e.g. {0}/repo")]
    HostOnly(String),
    #[error("a repository path cannot have an empty component: remove the doubled or trailing /")]
    EmptyComponent,
    #[error("repository name is longer than {MAX_NAME_LEN} characters")]
    NameTooLong,
    #[error("\"{0}\" is not a valid tag: up to {MAX_TAG_LEN} of A-Z a-z 0-9 _ . - not starting with . or -")]
    BadTag(String),
    #[error("\"{0}\" is not a valid digest: expected sha256: followed by 64 lowercase hex digits")]
    BadDigest(String),
    #[error("a 64-character hex string is an image ID, not a repository name: use repo@sha256:{0}")]
    ImageId(String),
    #[error("{0} names a tag or digest; name the repository alone, e.g. docker.io/library/alpine")]
    NotARepository(String),
}

impl From<DigestError> for ReferenceError {
    fn from(DigestError(text): DigestError) -> Self {
        ReferenceError::BadDigest(text)
    }
}

impl ImageReference {
    /// Parses and normalises `input` as `docker pull` does (distribution/reference's
    /// `ParseNormalizedNamed`, plus the default tag): `alpine` → `docker.io/library/alpine:latest`.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if input.chars().any(char::is_whitespace) {
            return Err(ReferenceError::Whitespace);
        }
        // Only the whole input: with a registry (`docker.io/<64 hex>`) it is a repository name.
        if is_image_id(input) {
            return Err(ReferenceError::ImageId(input.to_string()));
        }

        let (rest, digest) = match input.split_once('@') {
            Some((rest, digest)) => (rest, Some(parse_digest(digest)?)),
            None => (input, None),
        };
        // Only a host starts with `[` (IPv6); without a slash, no repository follows it.
        if rest.starts_with('[') && !rest.contains('/') {
            return Err(ReferenceError::HostOnly(rest.to_string()));
        }
        // A colon after the last slash separates the tag; one before it belongs to host:port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&rest[..at], Some(parse_tag(&rest[at + 1..])?))
            }
            None => (rest, None),
        };
        if name.is_empty() {
            return Err(ReferenceError::MissingName);
        }

        let (registry, path) = split_registry(name)?;
        for component in path.split('/') {
            check_component(component)?;
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("{OFFICIAL_NAMESPACE}/{path}")
        } else {
            path.to_string()
        };
        // Docker measures the path as normalised, `library/` included.
        if repository.len() > MAX_NAME_LEN {
            return Err(ReferenceError::NameTooLong);
        }
        let tag = match (&tag, &digest) {
            (None, None) => Some(DEFAULT_TAG.to_string()),
            _ => tag,
        };
        Ok(Self { registry, repository, tag, digest })
    }

    /// Parses a repository name (`alpine`, `ghcr.io/o/r`): tags and digests are refused, since a
    /// repository page or tag list is about all of them.
    pub fn parse_repository(input: &str) -> Result<Self, ReferenceError> {
        let trimmed = input.trim();
        let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
        if trimmed.contains('@') || last.contains(':') {
            return Err(ReferenceError::NotARepository(trimmed.to_string()));
        }
        let mut reference = Self::parse(trimmed)?;
        reference.tag = None;
        Ok(reference)
    }

    /// Whether the reference names a repository only (see [`Self::parse_repository`]).
    pub fn is_repository(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// The shortest form Docker itself would print: `alpine:3.20`, `ghcr.io/o/r@sha256:…`.
    pub fn familiar(&self) -> String {
        format!("{}{}", self.familiar_name(), self.suffix())
    }

    /// The repository as Docker prints it: `alpine`, `grafana/grafana`, `ghcr.io/o/r`.
    pub fn familiar_name(&self) -> String {
        // Docker Hub's `docker.io/a.b/c` keeps its registry: `a.b/c` would read as registry `a.b`'s.
        if self.registry != DOCKER_HUB || self.repository.split('/').next().is_some_and(looks_like_host) {
            return self.repository_path();
        }
        // Only an official image loses `library/`: `library/a/b` would read as the user `a`'s, and a
        // bare 64-hex name as an image ID.
        let official =
            self.repository.strip_prefix("library/").filter(|rest| !rest.contains('/') && !is_image_id(rest));
        official.unwrap_or(&self.repository).to_string()
    }

    /// `registry/repository`, without tag or digest.
    pub fn repository_path(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    fn suffix(&self) -> String {
        let mut out = String::new();
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
        out
    }
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.registry, self.repository, self.suffix())
    }
}

impl std::str::FromStr for ImageReference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Docker's rule: the first component is a registry only if it looks like a host
/// (has a dot or a port, is `localhost`, or has capitals, which repository names never have).
fn split_registry(name: &str) -> Result<(String, &str), ReferenceError> {
    match name.split_once('/') {
        Some((first, rest)) if looks_like_host(first) => {
            check_registry(first)?;
            let registry = if DOCKER_HUB_ALIASES.contains(&first) { DOCKER_HUB } else { first };
            Ok((registry.to_string(), rest))
        }
        _ => Ok((DOCKER_HUB.to_string(), name)),
    }
}

fn looks_like_host(first: &str) -> bool {
    first.contains(['.', ':']) || first == "localhost" || first.chars().any(|c| c.is_ascii_uppercase())
}

fn check_registry(host: &str) -> Result<(), ReferenceError> {
    let bad = || ReferenceError::BadRegistry(host.to_string());
    let (hostname, port) = match host.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6.split_once(']').ok_or_else(bad)?;
            check_ipv6(address)?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(bad)?),
            };
            (None, port)
        }
        None => match host.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(host), None),
        },
    };
    if let Some(port) = port
        && (!port.bytes().all(|b| b.is_ascii_digit()) || !matches!(port.parse::<u32>(), Ok(1..=65535)))
    {
        return Err(bad());
    }
    if let Some(hostname) = hostname {
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if hostname.is_empty() || !hostname.split('.').all(label_ok) {
            return Err(bad());
        }
    }
    Ok(())
}

/// Docker takes IPv6 hosts in hex only: no embedded IPv4 (`::ffff:192.0.2.1`), no zone (`%eth0`).
fn check_ipv6(address: &str) -> Result<(), ReferenceError> {
    let hex = address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    if hex && address.parse::<std::net::Ipv6Addr>().is_ok() {
        Ok(())
    } else {
        Err(ReferenceError::BadIpv6(format!("[{address}]")))
    }
}

fn check_component(component: &str) -> Result<(), ReferenceError> {
    if component.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ReferenceError::Uppercase(component.to_string()));
    }
    if component.is_empty() {
        return Err(ReferenceError::EmptyComponent);
    }
    let bad = || ReferenceError::BadComponent(component.to_string());
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err(bad());
    }
    // Separators between alphanumeric runs: ".", "_", "__" or any run of "-".
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-');
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

fn parse_tag(tag: &str) -> Result<String, ReferenceError> {
    let bytes = tag.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok = !bytes.is_empty()
        && bytes.len() <= MAX_TAG_LEN
        && word(bytes[0])
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-');
    if ok { Ok(tag.to_string()) } else { Err(ReferenceError::BadTag(tag.to_string())) }
}

/// The same rules as [`Digest::parse`]; the reference keeps the text.
fn parse_digest(digest: &str) -> Result<String, ReferenceError> {
    Ok(Digest::parse(digest)?.into())
}

fn is_image_id(path: &str) -> bool {
    path.len() == 64 && path.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod distribution;
