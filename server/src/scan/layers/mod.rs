//! One pass over a layer blob as it streams in: decompressed (gzip or zstd, told by its magic
//! bytes), read as tar, keeping the contents of the files analysers want and the path and size of
//! every entry; never written to disk. The compressed bytes are hashed on the way and must match
//! the layer's digest, or nothing read from them is used.

mod stream;

use std::cell::RefCell;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use app::digest::Digest;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::limits::{Budget, ScanStopped};
use stream::{Bounded, Counts, Hashing, Refused, check_digest, decompress};

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
    /// Bytes one layer keeps in memory: wanted files, executables' build facts, entry paths and
    /// whiteouts (the scan's [`Budget`] bounds all layers together).
    pub layer_memory: u64,
    /// A tar extension header (a GNU long name, pax records): read whole by the tar reader.
    pub extension_header: u64,
    /// The longest path an entry may have (Linux's PATH_MAX).
    pub path_bytes: usize,
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
            layer_memory: 192 << 20,
            extension_header: 1 << 20,
            path_bytes: 4096,
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
    #[error(
        "image too large to scan (layer {digest} needs more than {} MiB for its package databases, build \
         metadata and file list, the limit for one layer)",
        limit >> 20
    )]
    LayerOverBudget { digest: String, limit: u64 },
    #[error(
        "image too large to scan (its layers need more than {} MiB for their package databases, build \
         metadata and file lists, the limit SHIPSHAPE_SCAN_MEMORY sets; stopped at layer {digest})",
        limit >> 20
    )]
    ScanOverBudget { digest: String, limit: u64 },
    #[error("layer {digest} has a tar extension header (long name or pax records) over {limit} bytes: refused")]
    ExtensionHeader { digest: String, limit: u64 },
    #[error("layer {digest} names a path longer than {limit} bytes: refused")]
    LongPath { digest: String, limit: usize },
    #[error("the scan stopped while reading layer {digest}: its time ran out or it was cancelled")]
    Stopped { digest: String },
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

impl LayerContents {
    /// The bytes this analysis holds, as the scan's budget counts them.
    pub fn footprint(&self) -> u64 {
        let kept = |files: &[(String, Vec<u8>)]| files.iter().map(|(p, d)| (p.len() + d.len()) as u64).sum::<u64>();
        let paths = |paths: &[String]| paths.iter().map(|p| path_cost(p)).sum::<u64>();
        kept(&self.files)
            + kept(&self.executables)
            + self.entries.iter().map(|e| path_cost(&e.path)).sum::<u64>()
            + paths(&self.whiteouts)
            + paths(&self.opaque)
    }
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

/// Reads one layer from `source` (its compressed bytes), keeping what `wanted` names, within
/// `limits` for this layer and `budget` for the scan it belongs to.
pub fn read_layer(
    source: impl Read,
    digest: &Digest,
    wanted: &Wanted,
    limits: Limits,
    budget: &Budget,
) -> Result<LayerContents, LayerError> {
    let errors = Errors { digest, limits };
    let state = Rc::new(RefCell::new((Sha256::new(), 0u64)));
    let buffered = BufReader::with_capacity(256 << 10, Hashing { inner: source, state: state.clone() });
    let decoded = decompress(buffered, errors)?;
    let counts = Rc::new(Counts::default());
    let bounded = Bounded { inner: decoded, counts: counts.clone(), compressed: state.clone(), limits };
    let mut archive = tar::Archive::new(bounded);
    let mut keeping = Keeping { used: 0, budget, errors };
    let mut contents = LayerContents::default();
    let mut entries = archive.entries().map_err(|e| errors.tar(e))?;
    loop {
        counts.between_entries.set(Some(counts.uncompressed.get()));
        let next = entries.next();
        counts.between_entries.set(None);
        let Some(entry) = next else { break };
        read_entry(entry.map_err(|e| errors.tar(e))?, wanted, &mut keeping, &mut contents)?;
    }
    drop(entries);
    // The rest of the stream (tar padding, the gzip trailer) is part of the digest too.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| errors.io(e))?;
    contents.uncompressed_bytes = counts.uncompressed.get();
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
        if source.get_ref().is_some_and(|e| e.is::<ScanStopped>()) {
            return LayerError::Stopped { digest };
        }
        match source.get_ref().and_then(|e| e.downcast_ref::<Refused>()) {
            Some(Refused::TooLarge) => LayerError::TooLarge { digest, limit: self.limits.layer_bytes },
            Some(Refused::Bomb) => LayerError::Bomb { digest, ratio: self.limits.ratio },
            Some(Refused::ExtensionHeader) => {
                LayerError::ExtensionHeader { digest, limit: self.limits.extension_header }
            }
            None => LayerError::Io { digest, source },
        }
    }

    /// An error reading the archive: a limit it ran into, else not a tar archive.
    fn tar(self, e: io::Error) -> LayerError {
        if e.get_ref().is_some_and(|inner| inner.is::<Refused>() || inner.is::<ScanStopped>()) {
            self.io(e)
        } else {
            LayerError::Tar { digest: self.digest.to_string(), detail: e.to_string() }
        }
    }
}

/// The bytes one layer keeps, charged to the layer's limit and to the scan's budget before they
/// are taken.
struct Keeping<'a> {
    used: u64,
    budget: &'a Budget,
    errors: Errors<'a>,
}

impl Keeping<'_> {
    fn charge(&mut self, bytes: u64) -> Result<(), LayerError> {
        let digest = || self.errors.digest.to_string();
        let limit = self.errors.limits.layer_memory;
        if self.used + bytes > limit {
            return Err(LayerError::LayerOverBudget { digest: digest(), limit });
        }
        self.budget.charge(bytes).map_err(|over| LayerError::ScanOverBudget { digest: digest(), limit: over.limit })?;
        self.used += bytes;
        Ok(())
    }

    fn refund(&mut self, bytes: u64) {
        let bytes = bytes.min(self.used);
        self.used -= bytes;
        self.budget.refund(bytes);
    }
}


/// What a remembered path costs: its bytes and its place in a list.
fn path_cost(path: &str) -> u64 {
    (path.len() + std::mem::size_of::<Entry>()) as u64
}

/// One tar entry: a whiteout, or an entry remembered, its contents kept when wanted; read to its
/// end, so the next header is all the tar reader reads before the next entry.
fn read_entry(
    mut entry: tar::Entry<'_, impl Read>,
    wanted: &Wanted,
    keeping: &mut Keeping<'_>,
    contents: &mut LayerContents,
) -> Result<(), LayerError> {
    let errors = keeping.errors;
    let limits = errors.limits;
    let path = normalise(&entry.path().map_err(|e| errors.tar(e))?.to_string_lossy());
    if path.len() > limits.path_bytes {
        return Err(LayerError::LongPath { digest: errors.digest.to_string(), limit: limits.path_bytes });
    }
    let size = entry.size();
    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
    if name == ".wh..wh..opq" {
        keeping.charge(path_cost(parent))?;
        contents.opaque.push(parent.to_string());
        return Ok(());
    }
    if let Some(hidden) = name.strip_prefix(".wh.") {
        keeping.charge(path_cost(&path))?;
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
    if kind == EntryKind::File {
        let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
        keep_contents(&mut entry, (&path, size, executable), wanted, keeping, contents)?;
    }
    if contents.entries.len() < limits.entries && !path.is_empty() {
        keeping.charge(path_cost(&path))?;
        contents.entries.push(Entry { path, size, kind });
    }
    io::copy(&mut entry, &mut io::sink()).map_err(|e| errors.tar(e))?;
    Ok(())
}

/// A wanted file's contents, or what an executable says of its build.
fn keep_contents(
    entry: &mut impl Read,
    (path, size, executable): (&str, u64, bool),
    wanted: &Wanted,
    keeping: &mut Keeping<'_>,
    contents: &mut LayerContents,
) -> Result<(), LayerError> {
    let errors = keeping.errors;
    let limits = errors.limits;
    if size <= limits.kept_bytes && (wanted.file)(path) {
        let cost = size + path.len() as u64;
        keeping.charge(cost)?;
        let mut data = Vec::with_capacity(size as usize);
        entry.take(size).read_to_end(&mut data).map_err(|e| errors.tar(e))?;
        let kept = (wanted.reduce)(path, data);
        // A reduction may grow a file (npm's `{}` comes back with three null fields): charged then.
        let kept_cost = (kept.len() + path.len()) as u64;
        if kept_cost > cost {
            keeping.charge(kept_cost - cost)?;
        } else {
            keeping.refund(cost - kept_cost);
        }
        contents.files.push((path.to_string(), kept));
    } else if executable && size > 64 && size <= limits.executable_bytes {
        let _held = keeping.budget.hold(size);
        if let Some(facts) = read_executable(entry, size, wanted).map_err(|e| errors.tar(e))? {
            keeping.charge((facts.len() + path.len()) as u64)?;
            contents.executables.push((path.to_string(), facts));
        }
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
    entry.take(size - 4).read_to_end(&mut data)?;
    Ok((wanted.executable)(&data))
}



#[cfg(test)]
mod tests;
