//! What a layer pass kept, stored per layer digest and analyser version (gzip-compressed JSON),
//! so tags that share layers share the work. Bump [`ANALYSER_VERSION`] whenever what a pass keeps
//! changes (`inventory::WANTED`, the entry list): older analyses are then read again.
//!
//! An analysis is reused for a scan of a repository only when the layer was read from that
//! repository or from a public one: a manifest may name any digest (a private image's layer,
//! seen in a log), and its registry's answer to a HEAD proves nothing when the registry is the
//! one lying. Reading the bytes, which must match the digest, is the proof, and it is recorded.

use std::io::{Read, Write};

use app::digest::Digest;

use super::layers::LayerContents;
use crate::store::{SharedStore, StoreError};

pub const ANALYSER_VERSION: i32 = 2;
/// A stored analysis never unpacks to more than this (it is the database's data, but bounded all the same).
const MAX_DECODED: u64 = 1 << 30;

/// The stored analysis of layer `digest`, when `registry`/`repository` or a public repository
/// served the layer.
pub async fn load(
    store: &SharedStore,
    registry: &str,
    repository: &str,
    digest: &Digest,
) -> Result<Option<LayerContents>, StoreError> {
    let analysis = store.layer_analysis_in(digest, ANALYSER_VERSION, registry, repository).await?;
    let Some(body) = analysis else { return Ok(None) };
    let mut json = Vec::new();
    let decoded = flate2::read::GzDecoder::new(&body[..]).take(MAX_DECODED).read_to_end(&mut json);
    match decoded.ok().and_then(|_| serde_json::from_slice(&json).ok()) {
        Some(contents) => Ok(Some(contents)),
        None => {
            tracing::warn!(layer = %digest, "a stored layer analysis does not decode; reading the layer again");
            Ok(None)
        }
    }
}

/// Stores the analysis of layer `digest`, just read (and verified) from `registry`/`repository`.
pub async fn save(
    store: &SharedStore,
    registry: &str,
    repository: &str,
    digest: &Digest,
    contents: &LayerContents,
) -> Result<(), StoreError> {
    let json = serde_json::to_vec(contents).unwrap_or_default();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let body = gz.write_all(&json).and_then(|()| gz.finish());
    match body {
        Ok(body) => store.put_layer_analysis_from(digest, ANALYSER_VERSION, &body, registry, repository).await,
        Err(e) => {
            tracing::warn!(layer = %digest, error = %e, "could not compress a layer analysis; not stored");
            Ok(())
        }
    }
}
