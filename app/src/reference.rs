//! Image references as Docker writes them, normalised the way `docker pull` does.
//!
//! Pure code: the server uses it to resolve what users ask for, and the browser (wasm) uses the very same
//! rules to validate the reference box as you type.

use std::fmt;

use serde::{Deserialize, Serialize};

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

impl ImageReference {
    /// Parses and normalises `input`: `alpine` → `docker.io/library/alpine:latest`.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if input.chars().any(char::is_whitespace) {
            return Err(ReferenceError::Whitespace);
        }

        let (rest, digest) = match input.split_once('@') {
            Some((rest, digest)) => (rest, Some(parse_digest(digest)?)),
            None => (input, None),
        };
        // A colon after the last slash separates the tag; one before it belongs to host:port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&rest[..at], Some(parse_tag(&rest[at + 1..])?))
            }
            None => (rest, None),
        };

        let (registry, path) = split_registry(name)?;
        if path.len() > MAX_NAME_LEN {
            return Err(ReferenceError::NameTooLong);
        }
        if is_image_id(path) {
            return Err(ReferenceError::ImageId(path.to_string()));
        }
        for component in path.split('/') {
            check_component(component)?;
        }

        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("{OFFICIAL_NAMESPACE}/{path}")
        } else {
            path.to_string()
        };
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
        let name = if self.registry == DOCKER_HUB {
            self.repository
                .strip_prefix("library/")
                .filter(|rest| !rest.contains('/'))
                .unwrap_or(&self.repository)
                .to_string()
        } else {
            format!("{}/{}", self.registry, self.repository)
        };
        format!("{name}{}", self.suffix())
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
        Some((first, rest))
            if first.contains(['.', ':']) || first == "localhost" || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            check_registry(first)?;
            let registry = if DOCKER_HUB_ALIASES.contains(&first) { DOCKER_HUB } else { first };
            Ok((registry.to_string(), rest))
        }
        _ => Ok((DOCKER_HUB.to_string(), name)),
    }
}

fn check_registry(host: &str) -> Result<(), ReferenceError> {
    let bad = || ReferenceError::BadRegistry(host.to_string());
    let (hostname, port) = if let Some(v6) = host.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or_else(bad)?;
        addr.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        (None, port)
    } else {
        match host.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(host), None),
        }
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

fn check_component(component: &str) -> Result<(), ReferenceError> {
    if component.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ReferenceError::Uppercase(component.to_string()));
    }
    let bad = || ReferenceError::BadComponent(component.to_string());
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
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

fn parse_digest(digest: &str) -> Result<String, ReferenceError> {
    let bad = || ReferenceError::BadDigest(digest.to_string());
    let (algorithm, hex) = digest.split_once(':').ok_or_else(bad)?;
    let expected_len = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => return Err(bad()),
    };
    if hex.len() != expected_len || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(bad());
    }
    Ok(digest.to_string())
}

fn is_image_id(path: &str) -> bool {
    path.len() == 64 && path.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn normal(input: &str) -> String {
        ImageReference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}")).to_string()
    }

    #[test]
    fn official_images_get_the_library_namespace_and_latest() {
        assert_eq!(normal("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(normal("library/alpine:3.20"), "docker.io/library/alpine:3.20");
        assert_eq!(normal("docker.io/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(normal("index.docker.io/library/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(normal("  alpine:3.20 "), "docker.io/library/alpine:3.20");
    }

    #[test]
    fn user_repositories_on_docker_hub_keep_their_namespace() {
        assert_eq!(normal("grafana/grafana:11.0.0"), "docker.io/grafana/grafana:11.0.0");
        assert_eq!(normal("a/b/c"), "docker.io/a/b/c:latest");
    }

    #[test]
    fn other_registries_with_ports_and_digests() {
        assert_eq!(normal("localhost:5000/ns/repo:tag"), "localhost:5000/ns/repo:tag");
        assert_eq!(normal("localhost/repo"), "localhost/repo:latest");
        assert_eq!(normal("127.0.0.1:5000/repo"), "127.0.0.1:5000/repo:latest");
        assert_eq!(normal("[::1]:5000/repo:1"), "[::1]:5000/repo:1");
        assert_eq!(normal(&format!("ghcr.io/o/r@{DIGEST}")), format!("ghcr.io/o/r@{DIGEST}"));
        let both = ImageReference::parse(&format!("quay.io/o/r:v1@{DIGEST}")).unwrap();
        assert_eq!(both.tag.as_deref(), Some("v1"));
        assert_eq!(both.digest.as_deref(), Some(DIGEST));
    }

    #[test]
    fn familiar_form_is_what_docker_prints() {
        let r = ImageReference::parse("docker.io/library/alpine:3.20").unwrap();
        assert_eq!(r.familiar(), "alpine:3.20");
        let r = ImageReference::parse("ghcr.io/o/r").unwrap();
        assert_eq!(r.familiar(), "ghcr.io/o/r:latest");
        assert_eq!(r.repository_path(), "ghcr.io/o/r");
    }

    #[test]
    fn uppercase_repository_is_refused_with_a_reason() {
        let err = ImageReference::parse("Alpine:Latest").unwrap_err();
        assert_eq!(err, ReferenceError::Uppercase("Alpine".into()));
        assert!(err.to_string().contains("must be lowercase"));
        // Uppercase tags are fine.
        assert_eq!(normal("alpine:Latest"), "docker.io/library/alpine:Latest");
    }

    #[test]
    fn malformed_references_say_what_is_wrong() {
        use ReferenceError::*;
        let err = |s: &str| ImageReference::parse(s).unwrap_err();
        assert_eq!(err(""), Empty);
        assert_eq!(err("al pine"), Whitespace);
        assert!(matches!(err("alpine:"), BadTag(_)));
        assert!(matches!(err("alpine:.x"), BadTag(_)));
        assert!(matches!(err(&format!("alpine:{}", "a".repeat(129))), BadTag(_)));
        assert!(matches!(err("alpine@sha256:abc"), BadDigest(_)));
        assert!(matches!(err("alpine@md5:0123"), BadDigest(_)));
        assert!(matches!(err(&format!("alpine@{}", DIGEST.to_uppercase())), BadDigest(_)));
        assert!(matches!(err("-alpine"), BadComponent(_)));
        assert!(matches!(err("alp...ine"), BadComponent(_)));
        assert!(matches!(err("a//b"), BadComponent(_)));
        assert!(matches!(err("localhost:99999/x"), BadRegistry(_)));
        assert!(matches!(err("bad_host.io/x"), BadRegistry(_)));
        assert!(matches!(err(&"a".repeat(64)), BadComponent(_) | ImageId(_)));
        assert!(matches!(err(&"ab".repeat(32)), ImageId(_)));
        assert_eq!(err(&"a".repeat(256)), NameTooLong);
    }

    #[test]
    fn separators_follow_the_distribution_grammar() {
        assert_eq!(normal("a__b"), "docker.io/library/a__b:latest");
        assert_eq!(normal("a---b.c_d"), "docker.io/library/a---b.c_d:latest");
        assert!(ImageReference::parse("a___b").is_err());
        assert!(ImageReference::parse("a._b").is_err());
    }
}
