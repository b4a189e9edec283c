//! `shipshape vulndb sync` (one line per ecosystem, with a download bar on a terminal) and
//! `shipshape vulndb import`.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use app::format::human_size;

use super::CliError;
use crate::config::{Config, VulnDbSync};
use crate::net::Policy;
use crate::store;
use crate::vulndb::sync::{Outcome, sync};

/// Imports OSV files or archives under `source` (default: the first path's file name).
pub async fn import(config: &Config, paths: &[PathBuf], source: Option<String>) -> Result<String, CliError> {
    let store = store::open_for_command(&config.database_url).await?;
    let source = source
        .or_else(|| paths.first().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "osv".into());
    let summary = crate::vulndb::import_paths(&store, &source, paths).await?;
    if summary.written > 0 {
        // Stored scans are matched again by the next worker that runs.
        crate::jobs::enqueue(&store, &crate::scan::jobs::RematchAll {}).await?;
    }
    Ok(format!(
        "{source}: {} record(s) read, {} withdrawn skipped, {} written; newest modified {}\n",
        summary.read,
        summary.withdrawn,
        summary.written,
        summary.newest_modified.map_or("-".into(), |t| t.to_rfc3339())
    ))
}

/// Syncs, prints one line per ecosystem, and fails when any ecosystem failed.
pub async fn sync_now(config: &Config, url: Option<url::Url>, ecosystems: Vec<String>) -> Result<(), CliError> {
    let report = run(config, url, ecosystems).await?;
    print!("{}", report.text);
    match report.failures {
        0 => Ok(()),
        n => Err(CliError::SyncFailures(n)),
    }
}

/// What was synced, and how many ecosystems failed.
struct SyncReport {
    text: String,
    failures: usize,
}

async fn run(config: &Config, url: Option<url::Url>, ecosystems: Vec<String>) -> Result<SyncReport, CliError> {
    let settings = VulnDbSync {
        url: url.unwrap_or_else(|| config.vulndb.url.clone()),
        ecosystems: if ecosystems.is_empty() { config.vulndb.ecosystems.clone() } else { ecosystems },
        interval: None,
    };
    let store = store::open_for_command(&config.database_url).await?;
    let policy = Arc::new(Policy::new(config.allow_hosts.clone()));
    let terminal = std::io::stderr().is_terminal();
    let bar = |ecosystem: &str, received: u64, total: Option<u64>| {
        if terminal {
            let of = total.map_or(String::new(), |t| format!(" / {}", human_size(t)));
            let mut stderr = std::io::stderr();
            let _ = write!(stderr, "\r\x1b[K{ecosystem}: {}{of}", human_size(received));
            let _ = stderr.flush();
        }
    };
    let outcomes = sync(&store, policy, &settings, config.registry_timeout, &bar).await?;
    if terminal {
        eprint!("\r\x1b[K");
    }
    let mut report = SyncReport { text: String::new(), failures: 0 };
    if outcomes.iter().any(|(_, o)| matches!(o, Ok(Outcome::Imported(_)))) {
        // Stored scans are matched again by the next worker that runs.
        crate::jobs::enqueue(&store, &crate::scan::jobs::RematchAll {}).await?;
    }
    for (ecosystem, outcome) in outcomes {
        let _ = match outcome {
            Ok(Outcome::Unchanged) => writeln!(report.text, "{ecosystem}: unchanged since the last sync"),
            Ok(Outcome::Imported(s)) => writeln!(
                report.text,
                "{ecosystem}: {} record(s) read, {} withdrawn skipped, {} written; newest modified {}",
                s.read,
                s.withdrawn,
                s.written,
                s.newest_modified.map_or("-".into(), |t| t.to_rfc3339())
            ),
            Err(e) => {
                report.failures += 1;
                writeln!(report.text, "{ecosystem}: failed: {e}")
            }
        };
    }
    Ok(report)
}
