//! The job runner with every kind of background work registered: `shipshape worker` runs it alone,
//! `serve` alongside the HTTP server unless `SHIPSHAPE_WORKER=false`.

pub mod known_bases;
mod reactions;

use std::sync::Arc;
use std::time::Duration;

pub use known_bases::IndexKnownBases;
pub use reactions::ReactToEvent;

use crate::config::Config;
use crate::jobs::{Context, PruneJobs, Runner};
use crate::net::Policy;
use crate::scan::jobs::{RematchAll, RematchScan, ScanImage};
use crate::services::Services;
use crate::notify::DeliverNotification;
use crate::vulndb::sync::SyncAdvisories;
use crate::watch::{PollWatches, RecheckWatched};

/// Finished jobs are pruned this often.
const PRUNE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// A runner for every job kind, with the periodic work the configuration asks for.
pub fn runner(services: &Services, config: &Config) -> Runner {
    let context = Context {
        store: services.store.clone(),
        inspector: services.inspector.clone(),
        policy: Arc::new(Policy::new(config.allow_hosts.clone())),
        base_images: config.base_images.clone(),
        vulndb: config.vulndb.clone(),
        registry_timeout: config.registry_timeout,
        scan_limits: config.scan,
        credentials_for: services.credentials_for(),
        notifier: services.notifier.clone(),
    };
    let mut runner = Runner::new(context)
        .register::<ScanImage>()
        .register::<RematchScan>()
        .register::<RematchAll>()
        .register::<ReactToEvent>()
        .register::<IndexKnownBases>()
        .register::<SyncAdvisories>()
        .register::<DeliverNotification>()
        .register::<RecheckWatched>()
        .every(PruneJobs {}, PRUNE_EVERY)
        .every(PollWatches {}, config.notify.watch_interval);
    if !config.base_images.repositories.is_empty() {
        runner = runner.every(IndexKnownBases {}, config.base_images.interval);
    }
    if let Some(interval) = config.vulndb.interval {
        runner = runner.every(SyncAdvisories {}, interval);
    }
    runner
}
