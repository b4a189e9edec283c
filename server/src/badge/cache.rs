//! Rendered badges kept for [`TTL`]: a popular README asks for the same few badges over and over,
//! and each answer otherwise costs several store queries. Everything answered before a background
//! inspection finished is dropped (the generation), so a newly inspected image shows at once.

use std::time::Duration;

use bytes::Bytes;

use crate::memo::Memo;

pub const TTL: Duration = Duration::from_secs(30);
const MAX_ENTRIES: usize = 4096;

/// A finished response body with the headers that describe it.
pub struct Rendered {
    pub body: Bytes,
    pub etag: String,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

pub type BadgeCache = Memo<Rendered>;

pub fn new() -> BadgeCache {
    Memo::new(TTL, MAX_ENTRIES)
}
