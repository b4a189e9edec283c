//! The byte streams under one layer pass: the compressed bytes hashed and counted as they come,
//! decompressed, and bounded as they expand.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use app::digest::Digest;
use sha2::{Digest as _, Sha256};

use super::{Errors, LayerError, Limits};

/// Hashes and counts what passes through; shared so the totals can be read after the tar reader
/// has taken ownership.
pub(super) struct Hashing<R> {
    pub(super) inner: R,
    pub(super) state: Rc<RefCell<(Sha256, u64)>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.state.borrow_mut();
        state.0.update(&buf[..n]);
        state.1 += n as u64;
        Ok(n)
    }
}

/// Counts uncompressed bytes and stops a bomb while it expands; between two entries, also stops
/// an extension header the tar reader would read whole into memory.
pub(super) struct Bounded<R> {
    pub(super) inner: R,
    pub(super) counts: Rc<Counts>,
    pub(super) compressed: Rc<RefCell<(Sha256, u64)>>,
    pub(super) limits: Limits,
}

#[derive(Default)]
pub(super) struct Counts {
    pub(super) uncompressed: Cell<u64>,
    /// Where the tar reader started looking for the next entry, while it looks.
    pub(super) between_entries: Cell<Option<u64>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = self.counts.uncompressed.get() + n as u64;
        self.counts.uncompressed.set(read);
        if read > self.limits.layer_bytes {
            return Err(io::Error::other(Refused::TooLarge));
        }
        let compressed = self.compressed.borrow().1.max(1);
        if read > self.limits.bomb_after && read / compressed > self.limits.ratio {
            return Err(io::Error::other(Refused::Bomb));
        }
        // Entries are read to their end before the next is asked for, so what is read while the
        // tar reader looks is headers and their extensions only.
        if let Some(start) = self.counts.between_entries.get()
            && read - start > self.limits.extension_header
        {
            return Err(io::Error::other(Refused::ExtensionHeader));
        }
        Ok(n)
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum Refused {
    #[error("too large")]
    TooLarge,
    #[error("bomb")]
    Bomb,
    #[error("extension header too large")]
    ExtensionHeader,
}


/// The uncompressed stream: gzip or zstd by their magic bytes, else the bytes as they are.
pub(super) fn decompress<'a>(mut buffered: impl BufRead + 'a, errors: Errors<'_>) -> Result<Box<dyn Read + 'a>, LayerError> {
    let magic = buffered.fill_buf().map_err(|e| errors.io(e))?.to_vec();
    Ok(if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let decoder = ruzstd::decoding::StreamingDecoder::new(buffered)
            .map_err(|e| LayerError::Tar { digest: errors.digest.to_string(), detail: format!("zstd: {e}") })?;
        Box::new(decoder)
    } else {
        Box::new(buffered)
    })
}

/// The compressed byte count, once the bytes that streamed through hash to `digest`.
pub(super) fn check_digest(state: Rc<RefCell<(Sha256, u64)>>, digest: &Digest) -> Result<u64, LayerError> {
    let (hasher, compressed) = Rc::try_unwrap(state).map(RefCell::into_inner).unwrap_or_else(|shared| {
        let state = shared.borrow();
        (state.0.clone(), state.1)
    });
    let actual = Digest::from_sha256(hasher.finalize().into());
    if actual != *digest {
        return Err(LayerError::DigestMismatch { digest: digest.to_string(), actual: actual.into() });
    }
    Ok(compressed)
}
