//! Blobs, over the same capped, authorized request path as manifests: a small blob (an image
//! config) read whole within its limit and verified against its digest; a layer handed out as a
//! stream of chunks, each within the registry timeout, at most its size in all.

use app::digest::Digest;
use bytes::{Bytes, BytesMut};
use reqwest::header::CONTENT_LENGTH;
use sha2::{Digest as _, Sha256};

use super::RegistryClient;
use crate::registry::RegistryError;

/// Manifests, configs, token and tag-list answers are small: reading one may take this many
/// registry timeouts in all, however steadily its bytes come.
const WHOLE_ANSWER_TIMEOUTS: u32 = 4;

impl RegistryClient {
    /// A small blob (an image config), size-capped and verified against its digest. Redirects to
    /// blob storage are followed through the egress proxy; reqwest drops `Authorization` when the
    /// host changes.
    pub async fn blob(
        &self,
        repository: &str,
        digest: &Digest,
        limit: u64,
        what: &str,
    ) -> Result<Bytes, RegistryError> {
        let url = self.url(&format!("{repository}/blobs/{digest}"));
        let response = self.send(repository, |http| http.get(&url)).await?;
        let response = self.check_status(response, repository, digest.as_str()).await?;
        let body = self.read_capped(response, limit, what).await?;
        let actual = Digest::from_sha256(Sha256::digest(&body).into());
        if actual != *digest {
            let (what, expected, actual) = (what.to_string(), digest.to_string(), actual.into());
            return Err(RegistryError::DigestMismatch { what, expected, actual });
        }
        Ok(body)
    }

    /// A layer blob as a response to read in chunks (see [`BlobReader`]); the caller verifies
    /// its digest as the bytes go by.
    pub async fn blob_response(&self, repository: &str, digest: &Digest) -> Result<reqwest::Response, RegistryError> {
        let url = self.url(&format!("{repository}/blobs/{digest}"));
        let response = self.send(repository, |http| http.get(&url)).await?;
        self.check_status(response, repository, digest.as_str()).await
    }

    pub(super) async fn read_capped(
        &self,
        response: reqwest::Response,
        limit: u64,
        what: &str,
    ) -> Result<Bytes, RegistryError> {
        if let Some(size) = response.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            && size > limit
        {
            return Err(RegistryError::TooLarge { what: what.to_string(), size, limit });
        }
        let mut response = response;
        let mut body = BytesMut::new();
        // Each chunk within the timeout is not enough: a registry dripping a byte a second would
        // hold the request for hours. The whole answer gets a few timeouts' worth.
        let whole = self.timeout * WHOLE_ANSWER_TIMEOUTS;
        let deadline = tokio::time::Instant::now() + whole;
        loop {
            let wait = self.timeout.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
            let chunk = tokio::time::timeout(wait, response.chunk())
                .await
                .map_err(|_| self.timeout_error_after(if wait < self.timeout { whole } else { self.timeout }))?
                .map_err(|e| self.transport_error(&e))?;
            let Some(chunk) = chunk else { break };
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(RegistryError::TooLarge { what: what.to_string(), size: body.len() as u64, limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// A blob response read synchronously (on a blocking thread) chunk by chunk, each chunk within
/// the registry timeout, at most `limit` bytes in all.
pub struct BlobReader {
    response: reqwest::Response,
    runtime: tokio::runtime::Handle,
    chunk: Bytes,
    timeout: std::time::Duration,
    read: u64,
    limit: u64,
}

impl BlobReader {
    /// Must be called on the runtime; the reader is then used off it (`spawn_blocking`).
    pub fn new(response: reqwest::Response, timeout: std::time::Duration, limit: u64) -> Self {
        Self { response, runtime: tokio::runtime::Handle::current(), chunk: Bytes::new(), timeout, read: 0, limit }
    }
}

impl std::io::Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            let next = self.runtime.block_on(tokio::time::timeout(self.timeout, self.response.chunk()));
            match next {
                Err(_) => {
                    return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the registry stopped sending"));
                }
                Ok(Err(e)) => return Err(std::io::Error::other(e)),
                Ok(Ok(None)) => return Ok(0),
                Ok(Ok(Some(chunk))) => {
                    self.read += chunk.len() as u64;
                    if self.read > self.limit {
                        return Err(std::io::Error::other(format!("the blob is larger than its {} bytes", self.limit)));
                    }
                    self.chunk = chunk;
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}
