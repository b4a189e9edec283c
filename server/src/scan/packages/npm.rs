//! npm packages: every `package.json` with a name and a version (installed modules under
//! `node_modules/`, and the application's own), as syft's cataloger counts them.

use serde::Deserialize;

use super::{Ecosystem, Package};

#[derive(Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    license: Option<License>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum License {
    Text(String),
    Object { r#type: String },
    Other(serde::de::IgnoredAny),
}

/// What the inventory keeps of a package.json: its name, version and license (a module's
/// package.json can carry its whole readme).
pub fn reduce(data: Vec<u8>) -> Vec<u8> {
    let Ok(manifest) = serde_json::from_slice::<Manifest>(&data) else { return Vec::new() };
    let license = license(manifest.license);
    serde_json::to_vec(&serde_json::json!({ "name": manifest.name, "version": manifest.version, "license": license }))
        .unwrap_or_default()
}

pub fn parse(data: &[u8]) -> Option<Package> {
    let manifest: Manifest = serde_json::from_slice(data).ok()?;
    let name = manifest.name.filter(|n| !n.trim().is_empty())?;
    let version = manifest.version.filter(|v| !v.trim().is_empty())?;
    Some(Package::language(Ecosystem::Npm, name, version, license(manifest.license)))
}

/// `"MIT"`, or the older `{"type": "MIT", "url": …}`.
fn license(field: Option<License>) -> Option<String> {
    match field {
        Some(License::Text(l) | License::Object { r#type: l }) => Some(l),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_version_and_license_survive_reduction() {
        let full = br#"{"name":"@scope/left-pad","version":"1.3.0","license":{"type":"WTFPL"},"readme":"long"}"#;
        let package = parse(&reduce(full.to_vec())).unwrap();
        assert_eq!((package.name.as_str(), package.version.as_str()), ("@scope/left-pad", "1.3.0"));
        assert_eq!(package.license.as_deref(), Some("WTFPL"));
        assert!(parse(&reduce(br#"{"name":"app","private":true}"#.to_vec())).is_none());
        assert!(parse(&reduce(b"not json".to_vec())).is_none());
    }
}
