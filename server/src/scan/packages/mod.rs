//! Package inventories read from an image's files: which packages, at which versions, built from
//! which source package, and the layer that brought each in.

pub mod apk;
pub mod cargo;
pub mod dpkg;
pub mod gem;
pub mod golang;
pub mod npm;
pub mod python;
pub mod rpm;

use serde::Serialize;

use super::os::OsRelease;
use super::version::Scheme;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Ecosystem {
    Debian,
    Alpine,
    Rpm,
    Npm,
    PyPI,
    RubyGems,
    Go,
    Cargo,
}

impl Ecosystem {
    /// The name in reports: OSV's ecosystem name (`Debian`, `npm`, `crates.io`), `RPM` for rpm
    /// distributions (whose OSV names vary by distribution).
    pub fn label(self) -> &'static str {
        match self {
            Ecosystem::Debian => "Debian",
            Ecosystem::Alpine => "Alpine",
            Ecosystem::Rpm => "RPM",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Go => "Go",
            Ecosystem::Cargo => "crates.io",
        }
    }

    pub fn from_label(label: &str) -> Option<Self> {
        [
            Ecosystem::Debian,
            Ecosystem::Alpine,
            Ecosystem::Rpm,
            Ecosystem::Npm,
            Ecosystem::PyPI,
            Ecosystem::RubyGems,
            Ecosystem::Go,
            Ecosystem::Cargo,
        ]
        .into_iter()
        .find(|e| e.label() == label)
    }

    /// Installed by the distribution's package manager (matched within the OS release).
    pub fn is_distro(self) -> bool {
        matches!(self, Ecosystem::Debian | Ecosystem::Alpine | Ecosystem::Rpm)
    }

    /// The OSV ecosystem advisories for these packages name: the release's (`Debian:12`) for a
    /// distribution's packages, when the image's OS is that distribution.
    pub fn osv_ecosystem(self, os: Option<&OsRelease>) -> Option<String> {
        if !self.is_distro() {
            return Some(self.label().to_string());
        }
        let os = os?;
        let family = match os.id.as_str() {
            "debian" | "ubuntu" => Ecosystem::Debian,
            "alpine" => Ecosystem::Alpine,
            _ => Ecosystem::Rpm,
        };
        (family == self).then(|| os.osv_ecosystem()).flatten()
    }

    /// The package URL type (`pkg:deb/…`, `pkg:npm/…`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Debian => "deb",
            Ecosystem::Alpine => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Go => "golang",
            Ecosystem::Cargo => "cargo",
        }
    }

    pub fn version_scheme(self) -> Scheme {
        match self {
            Ecosystem::Debian => Scheme::Dpkg,
            Ecosystem::Alpine => Scheme::Apk,
            Ecosystem::Rpm => Scheme::Rpm,
            Ecosystem::Npm | Ecosystem::Go | Ecosystem::Cargo => Scheme::Semver,
            Ecosystem::PyPI => Scheme::Pep440,
            Ecosystem::RubyGems => Scheme::RubyGems,
        }
    }
}

/// The form of a package name advisories are indexed and matched by: PyPI names normalised
/// (PEP 503), the rest as written.
pub fn advisory_key(osv_ecosystem: &str, name: &str) -> String {
    match osv_ecosystem {
        "PyPI" => python::normalise_name(name),
        _ => name.to_string(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// The source package (dpkg `Source:`, apk origin, the source rpm); for language packages,
    /// the name advisories use.
    pub source_name: String,
    pub source_version: String,
    pub architecture: Option<String>,
    pub license: Option<String>,
    /// Index of the layer that introduced this name at this version.
    pub layer: Option<usize>,
    /// Where a language package was found (its manifest, lock file or binary).
    pub path: Option<String>,
}

impl Package {
    pub fn language(ecosystem: Ecosystem, name: String, version: String, license: Option<String>) -> Self {
        Self {
            ecosystem,
            source_name: name.clone(),
            source_version: version.clone(),
            name,
            version,
            architecture: None,
            license,
            layer: None,
            path: None,
        }
    }

    /// The name and version advisories are matched on: the source package for Debian and Alpine
    /// (their advisories name sources), the package itself elsewhere (rpm advisories name binary
    /// packages).
    pub fn advisory_name_version(&self) -> (&str, &str) {
        match self.ecosystem {
            Ecosystem::Rpm => (&self.name, &self.version),
            _ => (&self.source_name, &self.source_version),
        }
    }
}
