//! Package inventories read from an image's files: which packages, at which versions, built from
//! which source package, and the layer that brought each in.

pub mod apk;
pub mod dpkg;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Ecosystem {
    Debian,
    Alpine,
}

impl Ecosystem {
    /// The OSV ecosystem name, before the release suffix (`Debian:12`, `Alpine:v3.20`).
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::Debian => "Debian",
            Ecosystem::Alpine => "Alpine",
        }
    }

    /// The package URL type (`pkg:deb/…`, `pkg:apk/…`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Debian => "deb",
            Ecosystem::Alpine => "apk",
        }
    }

    pub fn version_scheme(self) -> crate::scan::version::Scheme {
        match self {
            Ecosystem::Debian => crate::scan::version::Scheme::Dpkg,
            Ecosystem::Alpine => crate::scan::version::Scheme::Apk,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// The source package advisories name (dpkg `Source:`, apk origin).
    pub source_name: String,
    pub source_version: String,
    pub architecture: Option<String>,
    pub license: Option<String>,
    /// Index of the layer that introduced this name at this version.
    pub layer: Option<usize>,
}
