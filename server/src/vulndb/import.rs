//! `shipshape vulndb import PATH…`: OSV JSON from single files or directories of `*.json`.
//! Withdrawn records are skipped; a record replaces the stored one only when it is newer.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::scan::osv::Record;
use crate::store::{AdvisoryRecord, SharedStore, StoreError, VulnDbSource};

/// One advisory file larger than this is refused (OSV records are kilobytes).
const MAX_RECORD_BYTES: u64 = 16 << 20;
const BATCH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is {size} bytes: an OSV record over {MAX_RECORD_BYTES} bytes is refused")]
    TooLarge { path: String, size: u64 },
    #[error("{path} is not an OSV record: {detail}")]
    NotOsv { path: String, detail: String },
    #[error("{0} holds no OSV records (*.json)")]
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

/// Imports every record under `paths` as `source` (shown with the DB's age).
pub async fn import_paths(store: &SharedStore, source: &str, paths: &[PathBuf]) -> Result<ImportSummary, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
        if files.is_empty() {
            return Err(ImportError::Empty(path.display().to_string()));
        }
    }
    let mut summary = ImportSummary::default();
    let mut batch = Vec::with_capacity(BATCH);
    for file in files {
        summary.read += 1;
        match read_record(&file)? {
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
    summary.written += store.put_advisories(source, &batch).await?;
    store
        .record_vulndb_source(&VulnDbSource {
            source: source.to_string(),
            records: (summary.read - summary.withdrawn) as i64,
            newest_modified: summary.newest_modified,
            imported_at: Utc::now(),
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
            if entry.is_dir() || entry.extension().is_some_and(|e| e == "json") {
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

/// The record in `path`, `None` when it is withdrawn.
fn read_record(path: &Path) -> Result<Option<AdvisoryRecord>, ImportError> {
    let shown = path.display().to_string();
    let size = std::fs::metadata(path).map_err(|source| ImportError::Read { path: shown.clone(), source })?.len();
    if size > MAX_RECORD_BYTES {
        return Err(ImportError::TooLarge { path: shown, size });
    }
    let body = std::fs::read_to_string(path).map_err(|source| ImportError::Read { path: shown.clone(), source })?;
    let not_osv = |detail: String| ImportError::NotOsv { path: shown.clone(), detail };
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
        .filter_map(|a| a.package.as_ref().map(|p| (p.ecosystem.clone(), p.name.clone())))
        .collect();
    packages.sort();
    packages.dedup();
    Ok(Some(AdvisoryRecord { id: record.id, modified, body, packages }))
}
