//! `shipshape vulndb import PATH…`: OSV records from JSON files, directories of them and OSV
//! `all.zip` archives; Alpine secdb files (YAML or JSON) and the Debian security tracker's JSON,
//! converted to OSV on the way. Withdrawn records are skipped; a record replaces the stored one
//! only when it is newer.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{alpine, debian};
use crate::scan::osv::Record;
use crate::scan::packages::advisory_key;
use crate::store::{AdvisoryRecord, SharedStore, StoreError, VulnDbSource};

/// One OSV record larger than this is refused (they are kilobytes).
const MAX_RECORD_BYTES: u64 = 16 << 20;
/// A whole feed (the Debian tracker's JSON is ~70 MB) larger than this is refused.
const MAX_FEED_BYTES: u64 = 1 << 30;
const BATCH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is {size} bytes, over the {limit}-byte limit")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{path} is not an OSV record, an OSV zip, an Alpine secdb or the Debian tracker's JSON: {detail}")]
    Unreadable { path: String, detail: String },
    #[error("{0} holds no advisories (*.json, *.yaml, *.zip)")]
    Empty(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub read: u64,
    pub withdrawn: u64,
    pub written: u64,
    pub newest_modified: Option<DateTime<Utc>>,
}

/// Imports everything under `paths` as `source` (shown with the DB's age).
pub async fn import_paths(store: &SharedStore, source: &str, paths: &[PathBuf]) -> Result<ImportSummary, ImportError> {
    import_feed(store, source, paths, None).await
}

/// As [`import_paths`], recording the HTTP ETag the feed was downloaded with.
pub async fn import_feed(
    store: &SharedStore,
    source: &str,
    paths: &[PathBuf],
    etag: Option<String>,
) -> Result<ImportSummary, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        let before = files.len();
        collect(path, &mut files)?;
        if files.len() == before {
            return Err(ImportError::Empty(path.display().to_string()));
        }
    }
    let mut summary = ImportSummary::default();
    let mut batch = Vec::with_capacity(BATCH);
    for file in files {
        let mut bodies = osv_bodies(&file)?;
        // A zip is read a batch at a time: an ecosystem's all.zip can hold hundreds of MB of JSON.
        loop {
            let next = bodies.next_batch(BATCH)?;
            if next.is_empty() {
                break;
            }
            for (name, body) in next {
                summary.read += 1;
                match advisory(&name, body)? {
                    Some(record) => {
                        summary.newest_modified = summary.newest_modified.max(Some(record.modified));
                        batch.push(record);
                    }
                    None => summary.withdrawn += 1,
                }
                if batch.len() == BATCH {
                    summary.written += store.put_advisories(source, &batch).await?;
                    batch.clear();
                }
            }
        }
    }
    summary.written += store.put_advisories(source, &batch).await?;
    store
        .record_vulndb_source(&VulnDbSource {
            source: source.to_string(),
            records: (summary.read - summary.withdrawn) as i64,
            newest_modified: summary.newest_modified,
            imported_at: Utc::now(),
            etag,
        })
        .await?;
    Ok(summary)
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let read_error = |source| ImportError::Read { path: path.display().to_string(), source };
    if path.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path).map_err(read_error)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for entry in entries {
            let known = entry.extension().is_some_and(|e| ["json", "yaml", "yml", "zip"].iter().any(|k| e == *k));
            if entry.is_dir() || known {
                collect(&entry, files)?;
            }
        }
        Ok(())
    } else {
        std::fs::metadata(path).map_err(read_error)?;
        files.push(path.to_path_buf());
        Ok(())
    }
}

/// The OSV records of one file, handed out in batches.
enum Bodies {
    Converted(std::vec::IntoIter<(String, String)>),
    Zip { shown: String, archive: zip::ZipArchive<std::fs::File>, next: usize },
}

impl Bodies {
    fn next_batch(&mut self, size: usize) -> Result<Vec<(String, String)>, ImportError> {
        match self {
            Bodies::Converted(records) => Ok(records.by_ref().take(size).collect()),
            Bodies::Zip { shown, archive, next } => {
                let mut batch = Vec::with_capacity(size);
                while batch.len() < size && *next < archive.len() {
                    *next += 1;
                    if let Some(body) = zip_entry(shown, archive, *next - 1)? {
                        batch.push(body);
                    }
                }
                Ok(batch)
            }
        }
    }
}

/// The OSV records a file holds, as (where it came from, JSON), converting other formats.
fn osv_bodies(path: &Path) -> Result<Bodies, ImportError> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
        let shown = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| ImportError::Read { path: shown.clone(), source })?;
        let archive =
            zip::ZipArchive::new(file).map_err(|e| ImportError::Unreadable { path: shown.clone(), detail: e.to_string() })?;
        return Ok(Bodies::Zip { shown, archive, next: 0 });
    }
    converted(path).map(|records| Bodies::Converted(records.into_iter()))
}

fn converted(path: &Path) -> Result<Vec<(String, String)>, ImportError> {
    let shown = path.display().to_string();
    let read_error = |source| ImportError::Read { path: shown.clone(), source };
    let unreadable = |detail: String| ImportError::Unreadable { path: shown.clone(), detail };
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if metadata.len() > MAX_FEED_BYTES {
        return Err(ImportError::TooLarge { path: shown, size: metadata.len(), limit: MAX_FEED_BYTES });
    }
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    // Converted records are as new as the feed file.
    let modified: DateTime<Utc> = metadata.modified().map(DateTime::from).unwrap_or_else(|_| Utc::now());
    let modified = modified.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if extension == "yaml" || extension == "yml" {
        return alpine::convert(&text, true, &modified).map_err(unreadable);
    }
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    if value.get("distroversion").is_some() {
        return alpine::convert(&text, false, &modified).map_err(unreadable);
    }
    if value.get("id").is_some() && value.get("modified").is_some() {
        if metadata.len() > MAX_RECORD_BYTES {
            return Err(ImportError::TooLarge { path: shown, size: metadata.len(), limit: MAX_RECORD_BYTES });
        }
        return Ok(vec![(shown, text)]);
    }
    debian::convert(&value, &modified).map_err(unreadable)
}

/// One entry of OSV's per-ecosystem `all.zip` (one record per `*.json`); `None` for other entries.
fn zip_entry(
    shown: &str,
    archive: &mut zip::ZipArchive<std::fs::File>,
    index: usize,
) -> Result<Option<(String, String)>, ImportError> {
    let unreadable = |detail: String| ImportError::Unreadable { path: shown.to_string(), detail };
    let entry = archive.by_index(index).map_err(|e| unreadable(e.to_string()))?;
    // A name that is not UTF-8 is not an OSV record's.
    let Ok(entry_name) = entry.name().map(|n| n.into_owned()) else { return Ok(None) };
    if !entry.is_file() || !entry_name.ends_with(".json") {
        return Ok(None);
    }
    let name = format!("{shown}:{entry_name}");
    if entry.size() > MAX_RECORD_BYTES {
        return Err(ImportError::TooLarge { path: name, size: entry.size(), limit: MAX_RECORD_BYTES });
    }
    let mut text = String::new();
    // The declared size is the archive's word: the read is capped all the same.
    entry
        .take(MAX_RECORD_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| ImportError::Unreadable { path: name.clone(), detail: e.to_string() })?;
    Ok(Some((name, text)))
}

/// The stored form of one OSV record, `None` when it is withdrawn.
pub(crate) fn advisory(name: &str, body: String) -> Result<Option<AdvisoryRecord>, ImportError> {
    let not_osv = |detail: String| ImportError::Unreadable { path: name.to_string(), detail };
    let record: Record = serde_json::from_str(&body).map_err(|e| not_osv(e.to_string()))?;
    if record.withdrawn.is_some() {
        return Ok(None);
    }
    let modified = DateTime::parse_from_rfc3339(&record.modified)
        .map_err(|e| not_osv(format!("modified {:?}: {e}", record.modified)))?
        .with_timezone(&Utc);
    let mut packages: Vec<(String, String)> = record
        .affected
        .iter()
        .filter_map(|a| a.package.as_ref().map(|p| (p.ecosystem.clone(), advisory_key(&p.ecosystem, &p.name))))
        .collect();
    packages.sort();
    packages.dedup();
    Ok(Some(AdvisoryRecord { id: record.id, modified, body, packages }))
}
