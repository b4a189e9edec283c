//! Version order per ecosystem. A version that does not parse is not comparable, and a finding
//! that depends on it is "unknown", never "vulnerable".

mod apk;
mod dpkg;
mod pep440;
mod rpm;
mod rubygems;
mod semver;

use std::cmp::Ordering;

pub use apk::ApkVersion;
pub use dpkg::DpkgVersion;
pub use pep440::Pep440;
pub use rubygems::GemVersion;
pub use semver::Semver;

/// The version schemes Shipshape compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Dpkg,
    Apk,
    Rpm,
    /// npm, Go modules, crates.io, and OSV's `SEMVER` ranges.
    Semver,
    Pep440,
    RubyGems,
}

impl Scheme {
    /// `a` against `b`, or `None` when either is not a version of this scheme.
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        match self {
            Scheme::Dpkg => Some(DpkgVersion::parse(a)?.cmp(&DpkgVersion::parse(b)?)),
            Scheme::Apk => Some(ApkVersion::parse(a)?.cmp(&ApkVersion::parse(b)?)),
            Scheme::Rpm => rpm::compare(a, b),
            Scheme::Semver => Some(Semver::parse(a)?.cmp(&Semver::parse(b)?)),
            Scheme::Pep440 => Some(Pep440::parse(a)?.cmp(&Pep440::parse(b)?)),
            Scheme::RubyGems => Some(GemVersion::parse(a)?.cmp(&GemVersion::parse(b)?)),
        }
    }
}

/// Two runs of ASCII digits as numbers, however long.
pub(crate) fn numeric_cmp(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}
