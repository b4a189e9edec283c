//! Rendered badges kept in memory for a short while: a popular README asks for the same few
//! badges over and over, and each answer otherwise costs several store queries.
//!
//! Only a cache: each entry lives [`TTL`] at most, and everything answered before a background
//! inspection finished is dropped, so a newly inspected image shows at once. Other processes (the
//! CLI, other replicas) are seen after the TTL.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;

pub const TTL: Duration = Duration::from_secs(30);
const MAX_ENTRIES: usize = 4096;

/// A finished response body with the headers that describe it.
pub struct Rendered {
    pub body: Bytes,
    pub etag: String,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

struct Entry {
    rendered: Arc<Rendered>,
    expires: Instant,
    /// `BackgroundInspections::finished` when it was rendered.
    generation: u64,
}

#[derive(Default)]
pub struct BadgeCache {
    entries: RwLock<HashMap<String, Entry>>,
}

impl BadgeCache {
    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<Rendered>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.expires > Instant::now()).then(|| entry.rendered.clone())
    }

    pub fn put(&self, key: String, rendered: Arc<Rendered>, generation: u64) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, e| e.expires > now && e.generation == generation);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, Entry { rendered, expires: Instant::now() + TTL, generation });
    }
}
