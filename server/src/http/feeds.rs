//! One poller per scanned image, however many pages follow its scan: it reads the scan's state
//! from the store (a replica other than this one may be running it) and hands each change to every
//! follower through a `watch` channel. It backs off while nothing changes and stops when the scan
//! settles, when the store fails, or when nobody follows any more.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::digest::Digest;
use tokio::sync::watch;

use crate::services::Scans;

/// How often a scan that just changed is read again; doubled while it does not, up to [`SLOWEST`].
const FASTEST: Duration = Duration::from_millis(500);
const SLOWEST: Duration = Duration::from_secs(4);

/// The scan's summary as the API sends it, and whether it will not change by itself any more.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub json: String,
    pub settled: bool,
}

/// `None` until the poller first read the store.
pub type Latest = Option<Arc<Snapshot>>;

pub struct Feeds {
    scans: Scans,
    running: Mutex<HashMap<Digest, Arc<watch::Sender<Latest>>>>,
}

impl Feeds {
    pub fn new(scans: Scans) -> Arc<Self> {
        Arc::new(Self { scans, running: Mutex::new(HashMap::new()) })
    }

    /// The scan of `digest` as it changes; the channel closes when its poller stops.
    pub fn follow(self: &Arc<Self>, digest: Digest) -> watch::Receiver<Latest> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(feed) = running.get(&digest) {
            return feed.subscribe();
        }
        let (feed, follower) = watch::channel(None);
        let feed = Arc::new(feed);
        running.insert(digest.clone(), feed.clone());
        tokio::spawn(self.clone().poll(digest, feed));
        follower
    }

    async fn poll(self: Arc<Self>, digest: Digest, feed: Arc<watch::Sender<Latest>>) {
        let mut every = FASTEST;
        loop {
            let Some(snapshot) = self.read(&digest).await else { break };
            let settled = snapshot.settled;
            let changed = feed.send_if_modified(|latest| {
                let same = latest.as_deref() == Some(&snapshot);
                if !same {
                    *latest = Some(Arc::new(snapshot));
                }
                !same
            });
            if settled {
                break;
            }
            every = if changed { FASTEST } else { (every * 2).min(SLOWEST) };
            tokio::time::sleep(every).await;
            if self.retire(&digest, &feed, |feed| feed.receiver_count() == 0) {
                return;
            }
        }
        self.retire(&digest, &feed, |_| true);
    }

    /// Removes this poller's entry when `done` says so, under the lock `follow` takes: a follower
    /// either joins before (and the poller goes on) or finds no entry and starts a new poller.
    fn retire(
        &self,
        digest: &Digest,
        feed: &Arc<watch::Sender<Latest>>,
        done: impl Fn(&watch::Sender<Latest>) -> bool,
    ) -> bool {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if !done(feed) {
            return false;
        }
        if running.get(digest).is_some_and(|current| Arc::ptr_eq(current, feed)) {
            running.remove(digest);
        }
        true
    }

    async fn read(&self, digest: &Digest) -> Option<Snapshot> {
        match self.scans.current(digest).await {
            Ok(summary) => {
                let settled = !matches!(summary.state.as_str(), "queued" | "running");
                Some(Snapshot { json: serde_json::to_string(&summary).unwrap_or_default(), settled })
            }
            Err(e) => {
                tracing::warn!(error = %e, "scan events: store unavailable");
                None
            }
        }
    }
}
