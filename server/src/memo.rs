//! Answers kept in memory for a few seconds, bounded in number: what the badge and page caches
//! share. Only a cache: an entry lives its TTL at most, and one stored under an older generation
//! (a counter its owner bumps when something it depends on changed in this process) is never
//! answered. Other processes (the CLI, other replicas) are seen after the TTL.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

struct Entry<V> {
    value: Arc<V>,
    expires: Instant,
    generation: u64,
}

pub struct Memo<V> {
    entries: RwLock<HashMap<String, Entry<V>>>,
    ttl: Duration,
    max_entries: usize,
}

impl<V> Memo<V> {
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self { entries: RwLock::new(HashMap::new()), ttl, max_entries }
    }

    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<V>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.expires > Instant::now()).then(|| entry.value.clone())
    }

    /// Keeps `value` under `key`. When full, expired and outdated entries go first, then all: a
    /// burst of distinct keys costs a refill, never unbounded memory.
    pub fn put(&self, key: String, value: Arc<V>, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.max_entries && !entries.contains_key(&key) {
            let now = Instant::now();
            entries.retain(|_, e| e.expires > now && e.generation == generation);
            if entries.len() >= self.max_entries {
                entries.clear();
            }
        }
        entries.insert(key, Entry { value, expires: Instant::now() + self.ttl, generation });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_within_ttl_and_generation_only_and_stays_bounded() {
        let memo = Memo::new(Duration::from_secs(60), 2);
        memo.put("a".into(), Arc::new(1), 0);
        assert_eq!(memo.get("a", 0).as_deref(), Some(&1));
        assert!(memo.get("a", 1).is_none(), "an older generation is not answered");
        memo.put("b".into(), Arc::new(2), 0);
        memo.put("c".into(), Arc::new(3), 0);
        assert!(memo.entries.read().unwrap().len() <= 2);
        assert_eq!(memo.get("c", 0).as_deref(), Some(&3));

        let expired = Memo::new(Duration::from_nanos(1), 2);
        expired.put("a".into(), Arc::new(1), 0);
        std::thread::sleep(Duration::from_millis(1));
        assert!(expired.get("a", 0).is_none());
        let off = Memo::new(Duration::ZERO, 2);
        off.put("a".into(), Arc::new(1), 0);
        assert!(off.get("a", 0).is_none(), "a zero TTL keeps nothing");
    }
}
