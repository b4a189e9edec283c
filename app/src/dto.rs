//! Data the server hands the UI. Plain serde types: nothing server-only may leak in here.

use serde::{Deserialize, Serialize};

/// What the footer shows about the running instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub version: String,
    /// "SQLite" or "PostgreSQL".
    pub database: String,
    pub repositories: u64,
    pub manifests: u64,
}
