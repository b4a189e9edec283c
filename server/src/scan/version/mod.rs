//! Version order per ecosystem. A version that does not parse is not comparable, and a finding
//! that depends on it is "unknown", never "vulnerable".

mod apk;
mod dpkg;

use std::cmp::Ordering;

pub use apk::ApkVersion;
pub use dpkg::DpkgVersion;

/// The version schemes Shipshape compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Dpkg,
    Apk,
}

impl Scheme {
    /// `a` against `b`, or `None` when either is not a version of this scheme.
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        match self {
            Scheme::Dpkg => Some(DpkgVersion::parse(a)?.cmp(&DpkgVersion::parse(b)?)),
            Scheme::Apk => Some(ApkVersion::parse(a)?.cmp(&ApkVersion::parse(b)?)),
        }
    }
}
