//! The OS and the packages of the final image, each package with the layer that introduced it at
//! its current version: package databases are read as each layer leaves them.

use std::collections::HashMap;

use super::layers::LayerContents;
use super::os::OsRelease;
use super::packages::{Package, apk, dpkg};

const DPKG_STATUS: &str = "var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d/";
const APK_INSTALLED: &str = "lib/apk/db/installed";
const OS_FILES: [&str; 4] = ["etc/os-release", "usr/lib/os-release", "etc/alpine-release", "etc/debian_version"];

/// The files the analysers read: everything else in a layer is only counted.
pub fn wanted(path: &str) -> bool {
    path == DPKG_STATUS
        || path == APK_INSTALLED
        || OS_FILES.contains(&path)
        || path.strip_prefix(DPKG_STATUS_D).is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// The final content of each wanted file, with its layer (whiteouts applied).
fn final_files(layers: &[LayerContents]) -> HashMap<String, (usize, &[u8])> {
    let mut files: HashMap<String, (usize, &[u8])> = HashMap::new();
    for (index, layer) in layers.iter().enumerate() {
        for dir in &layer.opaque {
            files.retain(|path, _| !path.starts_with(&format!("{dir}/")));
        }
        for gone in &layer.whiteouts {
            files.retain(|path, _| path != gone && !path.starts_with(&format!("{gone}/")));
        }
        for (path, data) in &layer.files {
            files.insert(path.clone(), (index, data.as_slice()));
        }
    }
    files
}

pub fn os_release(layers: &[LayerContents]) -> Option<OsRelease> {
    let files = final_files(layers);
    let text = |path: &str| files.get(path).map(|(_, data)| String::from_utf8_lossy(data).into_owned());
    text("etc/os-release")
        .or_else(|| text("usr/lib/os-release"))
        .and_then(|t| OsRelease::from_os_release(&t))
        .or_else(|| text("etc/alpine-release").and_then(|t| OsRelease::from_alpine_release(&t)))
        .or_else(|| text("etc/debian_version").and_then(|t| OsRelease::from_debian_version(&t)))
}

pub fn packages(layers: &[LayerContents]) -> Vec<Package> {
    let mut found = database_history(layers, DPKG_STATUS, dpkg::parse_status);
    found.extend(database_history(layers, APK_INSTALLED, apk::parse_installed));
    // Distroless: one file per package, introduced by the layer that wrote the file.
    let mut status_d: Vec<_> = final_files(layers).into_iter().filter(|(p, _)| p.starts_with(DPKG_STATUS_D)).collect();
    status_d.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, (layer, data)) in status_d {
        found.extend(dpkg::parse_status_d(&String::from_utf8_lossy(data)).into_iter().map(|mut p| {
            p.layer = Some(layer);
            p
        }));
    }
    found.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.version.cmp(&b.version)));
    found.dedup_by(|a, b| a.ecosystem == b.ecosystem && a.name == b.name && a.version == b.version);
    found
}

/// Reads one database file as each layer that touches it leaves it: a package keeps the layer
/// where it first appeared at its current version.
fn database_history(layers: &[LayerContents], path: &str, parse: fn(&str) -> Vec<Package>) -> Vec<Package> {
    let mut current: Vec<Package> = Vec::new();
    let mut introduced: HashMap<String, (String, usize)> = HashMap::new();
    for (index, layer) in layers.iter().enumerate() {
        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
        let hidden = layer.whiteouts.iter().any(|w| w == path || path.starts_with(&format!("{w}/")))
            || layer.opaque.iter().any(|d| parent == d || parent.starts_with(&format!("{d}/")));
        if hidden {
            current.clear();
            introduced.clear();
        }
        let Some((_, data)) = layer.files.iter().find(|(p, _)| p == path) else { continue };
        let mut packages = parse(&String::from_utf8_lossy(data));
        let mut next = HashMap::new();
        for package in &mut packages {
            let layer = match introduced.get(&package.name) {
                Some((version, layer)) if *version == package.version => *layer,
                _ => index,
            };
            package.layer = Some(layer);
            next.insert(package.name.clone(), (package.version.clone(), layer));
        }
        introduced = next;
        current = packages;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(files: &[(&str, &str)]) -> LayerContents {
        LayerContents {
            files: files.iter().map(|(p, d)| (p.to_string(), d.as_bytes().to_vec())).collect(),
            ..LayerContents::default()
        }
    }

    #[test]
    fn packages_keep_the_layer_that_brought_their_version() {
        let a = "Package: a\nStatus: install ok installed\nVersion: 1\n";
        let b1 = "Package: b\nStatus: install ok installed\nVersion: 1\n";
        let b2 = "Package: b\nStatus: install ok installed\nVersion: 2\n";
        let layers = [
            layer(&[(DPKG_STATUS, &format!("{a}\n{b1}")), ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")]),
            layer(&[("usr/bin/x", "")]),
            layer(&[(DPKG_STATUS, &format!("{a}\n{b2}"))]),
        ];
        let found: Vec<_> = packages(&layers).iter().map(|p| (p.name.clone(), p.version.clone(), p.layer)).collect();
        assert_eq!(found, vec![("a".into(), "1".into(), Some(0)), ("b".into(), "2".into(), Some(2))]);
        assert_eq!(os_release(&layers).unwrap().osv_ecosystem().as_deref(), Some("Debian:12"));
        assert!(wanted("var/lib/dpkg/status.d/dash") && !wanted("var/lib/dpkg/status.d/") && !wanted("etc/passwd"));
    }
}
