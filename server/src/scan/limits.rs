//! What one scan may cost: memory held across its layers, memory held for a moment (a whole
//! executable read for its build metadata), and time. Anyone can have an image scanned, so these
//! are what keep one image from taking the process down.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::layers::Limits;

/// The bounds of one scan, from `SHIPSHAPE_SCAN_MEMORY` and `SHIPSHAPE_SCAN_TIMEOUT`.
#[derive(Clone, Copy, Debug)]
pub struct ScanLimits {
    pub layer: Limits,
    /// Bytes kept across all layers: wanted files, executables' build facts, entry paths, whiteouts.
    pub memory: u64,
    /// The whole scan, however slowly the registry sends.
    pub deadline: Duration,
}

pub const DEFAULT_SCAN_MEMORY_MIB: u64 = 384;
pub const DEFAULT_SCAN_TIMEOUT_SECS: u64 = 1800;

impl Default for ScanLimits {
    fn default() -> Self {
        Self {
            layer: Limits::default(),
            memory: DEFAULT_SCAN_MEMORY_MIB << 20,
            deadline: Duration::from_secs(DEFAULT_SCAN_TIMEOUT_SECS),
        }
    }
}

impl ScanLimits {
    /// The limits with `memory` bytes for the whole scan; one layer may keep half of it, so two
    /// layers read at once can both finish.
    pub fn with_memory(memory: u64, deadline: Duration) -> Self {
        let layer = Limits { layer_memory: (memory / 2).max(1 << 20), ..Limits::default() };
        Self { layer, memory, deadline }
    }
}

/// Bytes a scan keeps, shared by the layers read at once. Charged before the bytes are taken, so
/// a refusal comes before the allocation.
#[derive(Debug)]
pub struct Budget {
    limit: u64,
    used: AtomicU64,
    /// Executables are read whole, but one after another once they would pass this.
    transient: Gate,
}

/// Over the scan's budget; the caller names the layer.
#[derive(Clone, Copy, Debug)]
pub struct OverBudget {
    pub limit: u64,
}

impl Budget {
    pub fn new(limit: u64, transient: u64) -> Self {
        Self { limit, used: AtomicU64::new(0), transient: Gate::new(transient) }
    }

    /// A budget that never refuses (a single layer read outside a scan, tests).
    pub fn unlimited() -> Self {
        Self::new(u64::MAX, u64::MAX)
    }

    pub fn for_scan(limits: &ScanLimits) -> Self {
        Self::new(limits.memory, limits.layer.executable_bytes)
    }

    pub fn charge(&self, bytes: u64) -> Result<(), OverBudget> {
        let before = self.used.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > self.limit {
            return Err(OverBudget { limit: self.limit });
        }
        Ok(())
    }

    pub fn refund(&self, bytes: u64) {
        self.used.fetch_sub(bytes.min(self.used.load(Ordering::Relaxed)), Ordering::Relaxed);
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Waits (on a blocking thread) until `bytes` may be held for a moment; released on drop.
    pub fn hold(&self, bytes: u64) -> Held<'_> {
        self.transient.hold(bytes)
    }
}

/// A byte count that several blocking threads take from and give back to.
#[derive(Debug)]
struct Gate {
    limit: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

impl Gate {
    fn new(limit: u64) -> Self {
        Self { limit, used: Mutex::new(0), freed: Condvar::new() }
    }

    fn hold(&self, bytes: u64) -> Held<'_> {
        // One holder alone always fits, so a request larger than the gate still goes through.
        let bytes = bytes.min(self.limit);
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        while *used + bytes > self.limit {
            used = self.freed.wait(used).unwrap_or_else(|p| p.into_inner());
        }
        *used += bytes;
        Held { gate: self, bytes }
    }
}

pub struct Held<'a> {
    gate: &'a Gate,
    bytes: u64,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut used = self.gate.used.lock().unwrap_or_else(|p| p.into_inner());
        *used -= self.bytes;
        self.gate.freed.notify_all();
    }
}

/// When a layer read on a blocking thread must give up: the scan's deadline passed, or the scan
/// was dropped (its job lost its lease or the worker is stopping). Checked before every read.
#[derive(Clone, Debug)]
pub struct Stop {
    deadline: Instant,
    dropped: Arc<AtomicBool>,
}

/// Tells the readers to stop when the scan that made it is dropped.
pub struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Stop {
    pub fn new(deadline: Instant) -> (Self, StopOnDrop) {
        let dropped = Arc::new(AtomicBool::new(false));
        (Self { deadline, dropped: dropped.clone() }, StopOnDrop(dropped))
    }

    pub fn never() -> Self {
        Self { deadline: Instant::now() + Duration::from_secs(100 * 365 * 86400), dropped: Arc::default() }
    }

    pub fn check(&self) -> std::io::Result<()> {
        if self.dropped.load(Ordering::Relaxed) || Instant::now() > self.deadline {
            return Err(std::io::Error::other(ScanStopped));
        }
        Ok(())
    }
}

/// What a stopped read fails with, told apart from a registry's own errors.
#[derive(Debug, thiserror::Error)]
#[error("the scan's time ran out or it was cancelled")]
pub struct ScanStopped;

/// A reader that stops when the scan does.
pub struct Stoppable<R> {
    pub inner: R,
    pub stop: Stop,
}

impl<R: std::io::Read> std::io::Read for Stoppable<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stop.check()?;
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_past_its_limit_and_takes_refunds_back() {
        let budget = Budget::new(100, 10);
        budget.charge(60).unwrap();
        assert!(budget.charge(50).is_err());
        budget.refund(50);
        budget.refund(20);
        budget.charge(60).unwrap();
    }

    #[test]
    fn holders_wait_for_each_other_and_a_large_one_still_goes_through() {
        let budget = Arc::new(Budget::new(u64::MAX, 10));
        let first = budget.hold(8);
        let waiter = {
            let budget = budget.clone();
            std::thread::spawn(move || {
                let _held = budget.hold(1_000);
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        assert!(!waiter.is_finished(), "a hold past the gate waits for the first to end");
        drop(first);
        waiter.join().unwrap();
    }

    #[test]
    fn a_stop_fires_when_its_scan_is_dropped() {
        let (stop, guard) = Stop::new(Instant::now() + Duration::from_secs(3600));
        stop.check().unwrap();
        drop(guard);
        assert!(stop.check().is_err());
        let (late, _guard) = Stop::new(Instant::now() - Duration::from_secs(1));
        assert!(late.check().is_err());
    }
}
