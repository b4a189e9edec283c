//! Layers too large to hold uncompressed (hostile-image tests): each file's bytes stream from a
//! reader through tar into gzip, so only the compressed blob is kept.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::Digest;

use crate::{HarnessError, Layer, sha256_digest};

/// Hashes the tar (its diff_id) on the way into gzip.
struct Hashing<W> {
    inner: W,
    hash: sha2::Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Layer {
    /// A layer of regular files `(path, size, contents)`, compressed at gzip's fastest level.
    pub fn streamed(files: impl IntoIterator<Item = (String, u64, Box<dyn Read>)>) -> Result<Layer, HarnessError> {
        let gz = GzEncoder::new(Vec::new(), Compression::fast());
        let mut tar = tar::Builder::new(Hashing { inner: gz, hash: sha2::Sha256::new() });
        for (path, size, contents) in files {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(0o644);
            header.set_mtime(1_700_000_000);
            header.set_size(size);
            tar.append_data(&mut header, &path, contents.take(size))?;
        }
        let hashing = tar.into_inner()?;
        let diff_id = format!("sha256:{}", hex::encode(hashing.hash.finalize()));
        let blob = hashing.inner.finish()?;
        Ok(Layer { digest: sha256_digest(&blob), diff_id, blob })
    }
}
