//! The advisory database: OSV records imported from files, looked up per scanned package.

mod import;

pub use import::{ImportError, ImportSummary, import_paths};
