//! Inspections asked for by requests that must not wait for a registry (badges): each reference
//! runs at most once at a time, a bounded number run together, and a failure is remembered for a
//! while so a README full of broken badges does not hammer the registry.
//!
//! Nothing here needs to survive a restart: a lost inspection is asked for again by the next request.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::reference::ImageReference;

use super::{InspectRequest, Inspector, Viewer};

const MAX_RUNNING: usize = 8;
const FAILURE_MEMORY: Duration = Duration::from_secs(300);
/// Bounds what a flood of made-up references can make the process remember.
const MAX_FAILURES: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requested {
    /// Running (now or already).
    Running,
    /// Too many running: ask again later.
    Busy,
    /// It failed recently (not found, private, unreachable): not retried yet.
    Failed,
}

pub struct BackgroundInspections {
    inspector: Arc<Inspector>,
    state: Mutex<State>,
    /// Counts finished inspections, so caches of what was answered before can tell they are stale.
    finished: AtomicU64,
}

#[derive(Default)]
struct State {
    running: HashSet<ImageReference>,
    failed: HashMap<ImageReference, Instant>,
}

impl BackgroundInspections {
    pub fn new(inspector: Arc<Inspector>) -> Arc<Self> {
        Arc::new(Self { inspector, state: Mutex::default(), finished: AtomicU64::new(0) })
    }

    pub fn finished(&self) -> u64 {
        self.finished.load(Ordering::Acquire)
    }

    /// Starts an anonymous inspection of `reference` unless one runs or recently failed.
    pub fn request(self: &Arc<Self>, reference: &ImageReference) -> Requested {
        {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            state.failed.retain(|_, at| now.duration_since(*at) < FAILURE_MEMORY);
            if state.failed.contains_key(reference) {
                return Requested::Failed;
            }
            if state.running.contains(reference) {
                return Requested::Running;
            }
            if state.running.len() >= MAX_RUNNING {
                return Requested::Busy;
            }
            state.running.insert(reference.clone());
        }
        let this = self.clone();
        let reference = reference.clone();
        tokio::spawn(async move {
            let result = this.inspector.inspect(InspectRequest::new(&reference, Viewer::Anonymous)).await;
            let mut state = this.state.lock().unwrap_or_else(|e| e.into_inner());
            state.running.remove(&reference);
            if let Err(e) = result {
                tracing::info!(reference = %reference, error = %e, "background inspection failed");
                if state.failed.len() >= MAX_FAILURES {
                    state.failed.clear();
                }
                state.failed.insert(reference, Instant::now());
            }
            this.finished.fetch_add(1, Ordering::AcqRel);
        });
        Requested::Running
    }
}
