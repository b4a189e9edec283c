//! The advisory database: OSV records (and Alpine secdb and Debian tracker feeds converted to
//! OSV) imported from files, looked up per scanned package.

mod alpine;
mod debian;
mod import;

pub use import::{ImportError, ImportSummary, import_paths};
