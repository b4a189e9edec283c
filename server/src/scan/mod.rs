//! Scanning: what an image's layers hold (OS, packages), which advisories apply, and the tune-up
//! checks.

pub mod cvss;
pub mod events;
pub mod executable;
pub mod filesystem;
pub mod findings;
pub mod inventory;
pub mod jobs;
pub mod layer_cache;
pub mod layers;
pub mod limits;
pub mod os;
pub mod osv;
pub mod packages;
mod purl;
pub mod run;
pub mod sbom;
pub mod service;
pub mod sqlite_file;
pub mod tuneup;
pub mod version;
