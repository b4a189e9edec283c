//! Scanning: what an image's layers hold (OS, packages), which advisories apply, and the tune-up
//! checks.

pub mod layers;
pub mod os;
pub mod packages;
pub mod version;
