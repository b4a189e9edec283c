//! The OS and the packages of the final image, each package with the layer that introduced it at
//! its current version: package databases are read as each layer leaves them.

use std::collections::{BTreeMap, HashMap};

use super::executable::{self, ExecutableFacts};
use super::layers::{LayerContents, Wanted};
use super::os::OsRelease;
use super::packages::{Package, apk, cargo, dpkg, gem, golang, npm, python, rpm};

const DPKG_STATUS: &str = "var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d/";
const APK_INSTALLED: &str = "lib/apk/db/installed";
const RPM_SQLITE: [&str; 2] = ["var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"];
const OS_FILES: [&str; 4] = ["etc/os-release", "usr/lib/os-release", "etc/alpine-release", "etc/debian_version"];
/// More packages than any real image lists (the largest seen hold tens of thousands): past this a
/// package database is a way to fill memory, not an inventory.
pub const MAX_PACKAGES: usize = 250_000;

#[derive(Debug, thiserror::Error)]
#[error("more than {MAX_PACKAGES} packages")]
pub struct TooManyPackages;

/// What the layer pass keeps for the analysers: everything else in a layer is only counted.
pub const WANTED: Wanted = Wanted { file: wanted, reduce, executable: executable::facts };

fn is_package_json(path: &str) -> bool {
    path == "package.json" || path.ends_with("/package.json")
}

pub fn wanted(path: &str) -> bool {
    path == DPKG_STATUS
        || path == APK_INSTALLED
        || RPM_SQLITE.contains(&path)
        || OS_FILES.contains(&path)
        || path.strip_prefix(DPKG_STATUS_D).is_some_and(|name| !name.is_empty() && !name.contains('/'))
        || is_package_json(path)
        || python::wanted(path)
        || gem::wanted(path)
        || cargo::wanted(path)
}

fn reduce(path: &str, data: Vec<u8>) -> Vec<u8> {
    if is_package_json(path) {
        npm::reduce(data)
    } else if python::wanted(path) {
        python::reduce(data)
    } else {
        data
    }
}

/// The final content of each kept file (`files`, or `executables`), with its layer (whiteouts
/// applied). Ordered by path, so a deleted directory is one range: linear in what the layers hold.
fn final_files(
    layers: &[LayerContents],
    kept: fn(&LayerContents) -> &[(String, Vec<u8>)],
) -> BTreeMap<&str, (usize, &[u8])> {
    let mut files: BTreeMap<&str, (usize, &[u8])> = BTreeMap::new();
    for (index, layer) in layers.iter().enumerate() {
        for dir in &layer.opaque {
            remove_below(&mut files, dir);
        }
        for gone in &layer.whiteouts {
            files.remove(gone.as_str());
            remove_below(&mut files, gone);
        }
        for (path, data) in kept(layer) {
            files.insert(path, (index, data.as_slice()));
        }
    }
    files
}

fn remove_below(files: &mut BTreeMap<&str, (usize, &[u8])>, dir: &str) {
    let prefix = format!("{dir}/");
    let below: Vec<&str> =
        files.range::<&str, _>(prefix.as_str()..).map(|(p, _)| *p).take_while(|p| p.starts_with(&prefix)).collect();
    for path in below {
        files.remove(path);
    }
}

pub fn os_release(layers: &[LayerContents]) -> Option<OsRelease> {
    let files = final_files(layers, |l| &l.files);
    let text = |path: &str| files.get(path).map(|(_, data)| String::from_utf8_lossy(data).into_owned());
    text("etc/os-release")
        .or_else(|| text("usr/lib/os-release"))
        .and_then(|t| OsRelease::from_os_release(&t))
        .or_else(|| text("etc/alpine-release").and_then(|t| OsRelease::from_alpine_release(&t)))
        .or_else(|| text("etc/debian_version").and_then(|t| OsRelease::from_debian_version(&t)))
}

pub fn packages(layers: &[LayerContents]) -> Result<Vec<Package>, TooManyPackages> {
    let text = |data: &[u8]| String::from_utf8_lossy(data).into_owned();
    let mut found = database_history(layers, DPKG_STATUS, &|d| dpkg::parse_status(&text(d)));
    found.extend(database_history(layers, APK_INSTALLED, &|d| apk::parse_installed(&text(d))));
    for path in RPM_SQLITE {
        found.extend(database_history(layers, path, &|d| rpm::parse_sqlite(d).unwrap_or_default()));
    }
    for (path, (layer, data)) in final_files(layers, |l| &l.files) {
        if found.len() > MAX_PACKAGES {
            return Err(TooManyPackages);
        }
        let packages = if path.starts_with(DPKG_STATUS_D) {
            // Distroless: one file per package, introduced by the layer that wrote the file.
            dpkg::parse_status_d(&text(data))
        } else if is_package_json(&path) {
            npm::parse(data).into_iter().collect()
        } else if python::wanted(&path) {
            python::parse(data).into_iter().collect()
        } else if gem::wanted(&path) {
            gem::parse(data).into_iter().collect()
        } else if cargo::wanted(&path) {
            cargo::parse_lock(data)
        } else {
            Vec::new()
        };
        found.extend(located(packages, path, layer));
    }
    for (path, (layer, data)) in final_files(layers, |l| &l.executables) {
        if found.len() > MAX_PACKAGES {
            return Err(TooManyPackages);
        }
        let Ok(facts) = serde_json::from_slice::<ExecutableFacts>(data) else { continue };
        let mut packages = Vec::new();
        if let Some(go) = &facts.go_version {
            packages.extend(golang::parse(go, facts.go_modules.as_deref().unwrap_or("")));
        }
        if let Some(audit) = &facts.rust_audit {
            packages.extend(cargo::parse_audit(audit));
        }
        found.extend(located(packages, path, layer));
    }
    if found.len() > MAX_PACKAGES {
        return Err(TooManyPackages);
    }
    found.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, a.layer).cmp(&(b.ecosystem, &b.name, &b.version, b.layer))
    });
    // The same package found twice (two copies of a module) is listed once, at its first layer.
    found.dedup_by(|a, b| a.ecosystem == b.ecosystem && a.name == b.name && a.version == b.version);
    Ok(found)
}

fn located(packages: Vec<Package>, path: &str, layer: usize) -> impl Iterator<Item = Package> {
    packages.into_iter().map(move |mut p| {
        p.layer = p.layer.or(Some(layer));
        if !p.ecosystem.is_distro() {
            p.path = Some(format!("/{path}"));
        }
        p
    })
}

/// Reads one database file as each layer that touches it leaves it: a package keeps the layer
/// where it first appeared at its current version.
fn database_history(layers: &[LayerContents], path: &str, parse: &dyn Fn(&[u8]) -> Vec<Package>) -> Vec<Package> {
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
        let mut packages = parse(data);
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
        let found: Vec<_> = packages(&layers).unwrap().iter().map(|p| (p.name.clone(), p.version.clone(), p.layer)).collect();
        assert_eq!(found, vec![("a".into(), "1".into(), Some(0)), ("b".into(), "2".into(), Some(2))]);
        assert_eq!(os_release(&layers).unwrap().osv_ecosystem().as_deref(), Some("Debian:12"));
        assert!(wanted("var/lib/dpkg/status.d/dash") && !wanted("var/lib/dpkg/status.d/") && !wanted("etc/passwd"));
    }
}
