//! Registry credentials the way skopeo and crane take them: `--creds user:pass`, or Docker's
//! `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, `auths` entries).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;

use super::RegistryError;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Credentials {
    pub username: String,
    password: String,
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self { username: username.into(), password: password.into() }
    }

    /// `user:pass` as `--creds` takes it (the password may itself contain colons).
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        match text.split_once(':') {
            Some((user, pass)) if !user.is_empty() => Ok(Self::new(user, pass)),
            _ => Err(RegistryError::BadCredentials("--creds must be USERNAME:PASSWORD".into())),
        }
    }

    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}:***)", self.username)
    }
}

#[derive(serde::Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, DockerAuth>,
}

#[derive(serde::Deserialize)]
struct DockerAuth {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// Where Docker keeps its client configuration for this user.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// Credentials for `registry` (as in a normalised reference: `docker.io`, `ghcr.io`, `host:5000`)
/// from a Docker `config.json`; `Ok(None)` when the file or the entry is absent.
pub fn from_docker_config(path: &Path, registry: &str) -> Result<Option<Credentials>, RegistryError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RegistryError::BadCredentials(format!("cannot read {}: {e}", path.display()))),
    };
    let config: DockerConfig = serde_json::from_str(&text).map_err(|e| {
        RegistryError::BadCredentials(format!("{} is not valid Docker config JSON: {e}", path.display()))
    })?;
    let wanted = auth_key(registry);
    let Some(entry) = config.auths.iter().find(|(key, _)| auth_key(key) == wanted).map(|(_, v)| v) else {
        return Ok(None);
    };
    if let (Some(user), Some(pass)) = (&entry.username, &entry.password) {
        return Ok(Some(Credentials::new(user, pass)));
    }
    let Some(encoded) = entry.auth.as_deref().filter(|a| !a.is_empty()) else { return Ok(None) };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            RegistryError::BadCredentials(format!("{}: the auth entry for {registry} is not base64", path.display()))
        })?;
    Credentials::parse(&decoded).map(Some).map_err(|_| {
        RegistryError::BadCredentials(format!("{}: the auth entry for {registry} is not user:password", path.display()))
    })
}

/// Docker writes Docker Hub as `https://index.docker.io/v1/` and others as bare `host[:port]`.
fn auth_key(key: &str) -> String {
    let key = key.trim_start_matches("https://").trim_start_matches("http://");
    let host = key.split('/').next().unwrap_or(key).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io".to_string(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_entries_match_how_docker_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let alice = base64::engine::general_purpose::STANDARD.encode("alice:pa:ss");
        std::fs::write(
            &path,
            format!(
                r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{alice}"}},
                    "127.0.0.1:5000": {{"username": "bob", "password": "pw"}}}}, "credsStore": "desktop"}}"#
            ),
        )
        .unwrap();
        let hub = from_docker_config(&path, "docker.io").unwrap().unwrap();
        assert_eq!((hub.username.as_str(), hub.password()), ("alice", "pa:ss"));
        assert_eq!(from_docker_config(&path, "127.0.0.1:5000").unwrap().unwrap().username, "bob");
        assert_eq!(from_docker_config(&path, "ghcr.io").unwrap(), None);
        assert_eq!(from_docker_config(&dir.path().join("absent.json"), "docker.io").unwrap(), None);
        assert_eq!(format!("{hub:?}"), "Credentials(alice:***)");
    }

    #[test]
    fn creds_flag() {
        assert_eq!(Credentials::parse("u:p:q").unwrap().password(), "p:q");
        assert!(Credentials::parse(":p").is_err());
        assert!(Credentials::parse("nocolon").is_err());
    }
}
