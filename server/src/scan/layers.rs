//! One pass over a layer blob as it streams in: decompressed (gzip or zstd, told by its magic
//! bytes), read as tar, keeping the contents of the files analysers want and the path and size of
//! every entry; never written to disk. The compressed bytes are hashed on the way and must match
//! the layer's digest, or nothing read from them is used.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use app::digest::Digest;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Bounds on what one layer may make the scanner do.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Uncompressed bytes in one layer.
    pub layer_bytes: u64,
    /// One file's size (a layer claiming a 10 GiB file is refused, not read).
    pub file_bytes: u64,
    /// The largest wanted file kept in memory (package databases are a few MB).
    pub kept_bytes: u64,
    /// Past `bomb_after` uncompressed bytes, more than this many per compressed byte is a bomb.
    pub ratio: u64,
    pub bomb_after: u64,
    /// Entries remembered per layer (path and size, for wasted-space analysis).
    pub entries: usize,
    /// The largest executable read for build metadata (Go buildinfo, cargo-auditable).
    pub executable_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            layer_bytes: 32 << 30,
            file_bytes: 8 << 30,
            kept_bytes: 64 << 20,
            ratio: 200,
            bomb_after: 1 << 30,
            entries: 1_000_000,
            executable_bytes: 256 << 20,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("reading layer {digest}: {source}")]
    Io { digest: String, source: io::Error },
    #[error("layer {digest} is not a tar archive: {detail}")]
    Tar { digest: String, detail: String },
    #[error("layer {digest} unpacks to more than {limit} bytes: refused (SHIPSHAPE scan limits)")]
    TooLarge { digest: String, limit: u64 },
    #[error("layer {digest} holds {path} of {size} bytes, over the {limit}-byte limit for one file")]
    FileTooLarge { digest: String, path: String, size: u64, limit: u64 },
    #[error("layer {digest} expands more than {ratio}× (a decompression bomb): refused")]
    Bomb { digest: String, ratio: u64 },
    #[error("layer {digest} does not match its digest (got {actual}): the registry sent other bytes")]
    DigestMismatch { digest: String, actual: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    File,
    Dir,
    Link,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Relative, without a leading `./` or `/`: `var/lib/dpkg/status`.
    pub path: String,
    pub size: u64,
    pub kind: EntryKind,
}

/// What one layer adds and removes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LayerContents {
    pub entries: Vec<Entry>,
    /// Wanted files' contents (or the part of them analysers use).
    #[serde(with = "base64_files")]
    pub files: Vec<(String, Vec<u8>)>,
    /// What executables say of how they were built, by path (see [`Wanted::executable`]).
    #[serde(with = "base64_files", default)]
    pub executables: Vec<(String, Vec<u8>)>,
    /// Paths this layer deletes (`.wh.name`).
    pub whiteouts: Vec<String>,
    /// Directories whose lower contents this layer hides (`.wh..wh..opq`).
    pub opaque: Vec<String>,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
}

/// Kept file contents as base64 in the stored analysis (JSON would spell each byte as a number).
mod base64_files {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(files: &[(String, Vec<u8>)], s: S) -> Result<S::Ok, S::Error> {
        files.iter().map(|(p, d)| (p, STANDARD.encode(d))).collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, Vec<u8>)>, D::Error> {
        Vec::<(String, String)>::deserialize(d)?
            .into_iter()
            .map(|(p, b)| STANDARD.decode(b).map(|d| (p, d)).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// Hashes and counts what passes through; shared so the totals can be read after the tar reader
/// has taken ownership.
struct Hashing<R> {
    inner: R,
    state: Rc<RefCell<(Sha256, u64)>>,
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

/// Counts uncompressed bytes and stops a bomb while it expands.
struct Bounded<R> {
    inner: R,
    read: u64,
    compressed: Rc<RefCell<(Sha256, u64)>>,
    limits: Limits,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limits.layer_bytes {
            return Err(io::Error::other(Refused::TooLarge));
        }
        let compressed = self.compressed.borrow().1.max(1);
        if self.read > self.limits.bomb_after && self.read / compressed > self.limits.ratio {
            return Err(io::Error::other(Refused::Bomb));
        }
        Ok(n)
    }
}

#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("too large")]
    TooLarge,
    #[error("bomb")]
    Bomb,
}

/// `./usr//lib/` → `usr/lib`.
pub fn normalise(path: &str) -> String {
    path.split('/').filter(|p| !p.is_empty() && *p != ".").collect::<Vec<_>>().join("/")
}

/// What a layer pass keeps.
#[derive(Clone, Copy)]
pub struct Wanted {
    /// Regular files kept (by path).
    pub file: fn(&str) -> bool,
    /// What is kept of a wanted file (a package.json's name and version, not its readme).
    pub reduce: fn(&str, Vec<u8>) -> Vec<u8>,
    /// From a whole ELF executable, what it says of its build, if anything.
    pub executable: fn(&[u8]) -> Option<Vec<u8>>,
}

impl Wanted {
    /// Only the files `file` names, whole; no executables.
    pub fn files(file: fn(&str) -> bool) -> Self {
        Self { file, reduce: |_, data| data, executable: |_| None }
    }
}

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";

/// Reads one layer from `source` (its compressed bytes), keeping what `wanted` names.
pub fn read_layer(
    source: impl Read,
    digest: &Digest,
    wanted: &Wanted,
    limits: Limits,
) -> Result<LayerContents, LayerError> {
    let errors = Errors { digest, limits };
    let state = Rc::new(RefCell::new((Sha256::new(), 0u64)));
    let buffered = BufReader::with_capacity(256 << 10, Hashing { inner: source, state: state.clone() });
    let decoded = decompress(buffered, errors)?;
    let mut archive = tar::Archive::new(Bounded { inner: decoded, read: 0, compressed: state.clone(), limits });
    let mut contents = LayerContents::default();
    for entry in archive.entries().map_err(|e| errors.tar(e))? {
        read_entry(entry.map_err(|e| errors.tar(e))?, wanted, errors, &mut contents)?;
    }
    // The rest of the stream (tar padding, the gzip trailer) is part of the digest too.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| errors.io(e))?;
    contents.uncompressed_bytes = rest.read;
    drop(rest);
    contents.compressed_bytes = check_digest(state, digest)?;
    Ok(contents)
}

/// What the I/O errors of one layer's pass mean.
#[derive(Clone, Copy)]
struct Errors<'a> {
    digest: &'a Digest,
    limits: Limits,
}

impl Errors<'_> {
    fn io(self, source: io::Error) -> LayerError {
        let digest = self.digest.to_string();
        match source.get_ref().and_then(|e| e.downcast_ref::<Refused>()) {
            Some(Refused::TooLarge) => LayerError::TooLarge { digest, limit: self.limits.layer_bytes },
            Some(Refused::Bomb) => LayerError::Bomb { digest, ratio: self.limits.ratio },
            None => LayerError::Io { digest, source },
        }
    }

    /// An error reading the archive: a limit it ran into, else not a tar archive.
    fn tar(self, e: io::Error) -> LayerError {
        if e.get_ref().is_some_and(|inner| inner.is::<Refused>()) {
            self.io(e)
        } else {
            LayerError::Tar { digest: self.digest.to_string(), detail: e.to_string() }
        }
    }
}

/// The uncompressed stream: gzip or zstd by their magic bytes, else the bytes as they are.
fn decompress<'a>(mut buffered: impl BufRead + 'a, errors: Errors<'_>) -> Result<Box<dyn Read + 'a>, LayerError> {
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

/// One tar entry: a whiteout, or an entry remembered, its contents kept when wanted.
fn read_entry(
    mut entry: tar::Entry<'_, impl Read>,
    wanted: &Wanted,
    errors: Errors<'_>,
    contents: &mut LayerContents,
) -> Result<(), LayerError> {
    let limits = errors.limits;
    let path = normalise(&entry.path().map_err(|e| errors.tar(e))?.to_string_lossy());
    let size = entry.size();
    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
    if name == ".wh..wh..opq" {
        contents.opaque.push(parent.to_string());
        return Ok(());
    }
    if let Some(hidden) = name.strip_prefix(".wh.") {
        contents.whiteouts.push(if parent.is_empty() { hidden.to_string() } else { format!("{parent}/{hidden}") });
        return Ok(());
    }
    let kind = match entry.header().entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
        tar::EntryType::Directory => EntryKind::Dir,
        _ => EntryKind::Link,
    };
    if kind == EntryKind::File && size > limits.file_bytes {
        return Err(LayerError::FileTooLarge {
            digest: errors.digest.to_string(),
            path,
            size,
            limit: limits.file_bytes,
        });
    }
    let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
    if kind == EntryKind::File && size <= limits.kept_bytes && (wanted.file)(&path) {
        let mut data = Vec::with_capacity(size as usize);
        entry.read_to_end(&mut data).map_err(|e| errors.tar(e))?;
        contents.files.push((path.clone(), (wanted.reduce)(&path, data)));
    } else if kind == EntryKind::File && executable && size > 64 && size <= limits.executable_bytes {
        if let Some(facts) = read_executable(&mut entry, size, wanted).map_err(|e| errors.tar(e))? {
            contents.executables.push((path.clone(), facts));
        }
    }
    if contents.entries.len() < limits.entries && !path.is_empty() {
        contents.entries.push(Entry { path, size, kind });
    }
    Ok(())
}

/// What an ELF executable says of its build; other executables (scripts) are not read further.
fn read_executable(entry: &mut impl Read, size: u64, wanted: &Wanted) -> io::Result<Option<Vec<u8>>> {
    let mut magic = [0u8; 4];
    entry.read_exact(&mut magic)?;
    if &magic != ELF_MAGIC {
        return Ok(None);
    }
    let mut data = Vec::with_capacity(size as usize);
    data.extend_from_slice(&magic);
    entry.read_to_end(&mut data)?;
    Ok((wanted.executable)(&data))
}

/// The compressed byte count, once the bytes that streamed through hash to `digest`.
fn check_digest(state: Rc<RefCell<(Sha256, u64)>>, digest: &Digest) -> Result<u64, LayerError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_gz(entries: &[(&str, &[u8])]) -> (Vec<u8>, Digest) {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, path, *data).unwrap();
        }
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let blob = gz.finish().unwrap();
        let digest = Digest::from_sha256(Sha256::digest(&blob).into());
        (blob, digest)
    }

    #[test]
    fn wanted_files_whiteouts_and_entries() {
        let (blob, digest) = tar_gz(&[
            ("./var/lib/dpkg/status", b"Package: a\n"),
            ("usr/bin/tool", b"binary"),
            ("etc/.wh.motd", b""),
            ("opt/app/.wh..wh..opq", b""),
        ]);
        let wanted = Wanted::files(|p| p == "var/lib/dpkg/status");
        let layer = read_layer(&blob[..], &digest, &wanted, Limits::default()).unwrap();
        assert_eq!(layer.files, vec![("var/lib/dpkg/status".to_string(), b"Package: a\n".to_vec())]);
        assert_eq!(layer.whiteouts, vec!["etc/motd".to_string()]);
        assert_eq!(layer.opaque, vec!["opt/app".to_string()]);
        assert_eq!(
            layer.entries.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            ["var/lib/dpkg/status", "usr/bin/tool"]
        );
        assert_eq!(layer.compressed_bytes, blob.len() as u64);
    }

    #[test]
    fn tampered_and_oversized_layers_are_refused() {
        let (blob, _) = tar_gz(&[("a", b"x")]);
        let wrong = Digest::from_sha256([0; 32]);
        assert!(matches!(
            read_layer(&blob[..], &wrong, &Wanted::files(|_| false), Limits::default()),
            Err(LayerError::DigestMismatch { .. })
        ));
        let big = vec![0u8; 4096];
        let (blob, digest) = tar_gz(&[("big", &big)]);
        let limits = Limits { file_bytes: 1024, ..Limits::default() };
        assert!(matches!(
            read_layer(&blob[..], &digest, &Wanted::files(|_| false), limits),
            Err(LayerError::FileTooLarge { .. })
        ));
        let limits = Limits { layer_bytes: 2048, ..Limits::default() };
        assert!(matches!(
            read_layer(&blob[..], &digest, &Wanted::files(|_| false), limits),
            Err(LayerError::TooLarge { .. })
        ));
        let zeros = vec![0u8; 8 << 20];
        let (blob, digest) = tar_gz(&[("zeros", &zeros)]);
        let limits = Limits { bomb_after: 1 << 20, ..Limits::default() };
        let bomb = read_layer(&blob[..], &digest, &Wanted::files(|_| false), limits);
        assert!(matches!(bomb, Err(LayerError::Bomb { .. })), "{bomb:?} {}", blob.len());
        let garbage = b"not a layer at all, just text that is long enough".repeat(20);
        let digest = Digest::from_sha256(Sha256::digest(&garbage).into());
        assert!(read_layer(&garbage[..], &digest, &Wanted::files(|_| false), Limits::default()).is_err());
    }
}
