//! Rust crates: `Cargo.lock` files left in an image, and the crate list cargo-auditable embeds
//! in binaries (`.dep-v0`, read by `scan::executable`).

use serde::Deserialize;

use super::{Ecosystem, Package};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Crate>,
}

#[derive(Deserialize)]
struct Audit {
    #[serde(default)]
    packages: Vec<Crate>,
}

#[derive(Deserialize)]
struct Crate {
    name: String,
    version: String,
}

pub fn wanted(path: &str) -> bool {
    path == "Cargo.lock" || path.ends_with("/Cargo.lock")
}

pub fn parse_lock(data: &[u8]) -> Vec<Package> {
    let Ok(lock) = toml::from_str::<Lock>(&String::from_utf8_lossy(data)) else { return Vec::new() };
    packages(lock.package)
}

pub fn parse_audit(json: &str) -> Vec<Package> {
    serde_json::from_str::<Audit>(json).map(|a| packages(a.packages)).unwrap_or_default()
}

fn packages(crates: Vec<Crate>) -> Vec<Package> {
    crates.into_iter().map(|c| Package::language(Ecosystem::Cargo, c.name, c.version, None)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_and_audit_data() {
        let lock = br#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["smallvec"]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "abc"
"#;
        let names: Vec<_> = parse_lock(lock).into_iter().map(|p| format!("{} {}", p.name, p.version)).collect();
        assert_eq!(names, ["app 0.1.0", "smallvec 1.6.0"]);
        let audit = r#"{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true},
            {"name":"smallvec","version":"1.6.0","source":"crates.io","dependencies":[]}]}"#;
        assert_eq!(parse_audit(audit).len(), 2);
        assert!(parse_lock(b"[[package]]\nname = 1").is_empty());
    }
}
