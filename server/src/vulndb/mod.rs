//! The advisory database: OSV records (and Alpine secdb and Debian tracker feeds converted to
//! OSV) imported from files or synced from an osv.dev-style bucket, looked up per scanned package.

pub(crate) mod alpine;
pub(crate) mod debian;
pub(crate) mod import;
pub mod sync;

pub use import::{ImportError, ImportSummary, import_feed, import_paths};
