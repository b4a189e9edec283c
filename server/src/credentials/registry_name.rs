//! The registry a credential is saved for, spelled as a normalised image reference spells it
//! (`docker.io`, `ghcr.io`, `registry.lan:5000`), so that an inspection of a reference finds it.

use app::reference::{DOCKER_HUB, ImageReference};

use super::CredentialsError;

const MAX_REGISTRY_LEN: usize = 255;

/// Docker writes Docker Hub under several names (`https://index.docker.io/v1/` in config.json).
const HUB_ALIASES: [&str; 4] = ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"];

/// `registry` as typed (a bare host, `host:port`, or a URL as Docker's config.json has them),
/// normalised, or why it is not a registry.
pub fn normalise(registry: &str) -> Result<String, CredentialsError> {
    let typed = registry.trim();
    if typed.is_empty() {
        return Err(CredentialsError::Empty { field: "registry" });
    }
    if typed.len() > MAX_REGISTRY_LEN {
        return Err(CredentialsError::TooLong { field: "registry", limit: MAX_REGISTRY_LEN });
    }
    let host = typed.strip_prefix("https://").or_else(|| typed.strip_prefix("http://")).unwrap_or(typed);
    let host = host.split('/').next().unwrap_or_default().to_ascii_lowercase();
    if HUB_ALIASES.contains(&host.as_str()) {
        return Ok(DOCKER_HUB.to_string());
    }
    let bad = || CredentialsError::BadRegistry(typed.to_string());
    // A reference reads its first component as a registry only when it looks like a host.
    let parsed = ImageReference::parse_repository(&format!("{host}/x")).map_err(|_| bad())?;
    if parsed.registry != host {
        return Err(bad());
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_as_references_name_them() {
        for (typed, normalised) in [
            ("docker.io", "docker.io"),
            ("https://index.docker.io/v1/", "docker.io"),
            ("registry-1.docker.io", "docker.io"),
            ("GHCR.io", "ghcr.io"),
            (" 127.0.0.1:5000 ", "127.0.0.1:5000"),
            ("localhost:5000", "localhost:5000"),
            ("http://registry.lan:5000/", "registry.lan:5000"),
        ] {
            assert_eq!(normalise(typed).unwrap(), normalised, "{typed}");
        }
        for bad in ["", "alpine", "no spaces.example", "host:port"] {
            assert!(normalise(bad).is_err(), "{bad}");
        }
    }
}
