//! Log-in attempts per username and per client address: a sliding window of the last attempts'
//! times, checked before any password work, so guessing costs an attacker waiting rather than us
//! CPU. Kept in this process's memory: each replica allows its own 10 a minute (the bound an
//! attacker gets is that times the replicas, still far from useful guessing).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long to wait before trying again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    /// IPv4 addresses whole; IPv6 by /64, which one host usually holds all of.
    Client(IpAddr),
}

fn client_key(ip: IpAddr) -> Key {
    match ip {
        IpAddr::V4(_) => Key::Client(ip),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Key::Client(IpAddr::V4(v4)),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                Key::Client(IpAddr::V6(prefix.into()))
            }
        },
    }
}

pub struct LoginLimiter {
    attempts: usize,
    window: Duration,
    max_keys: usize,
    seen: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl Default for LoginLimiter {
    /// 10 attempts a minute per username and per client, for at most 100 000 of each at once.
    fn default() -> Self {
        Self::new(10, Duration::from_secs(60), 100_000)
    }
}

impl LoginLimiter {
    pub fn new(attempts: usize, window: Duration, max_keys: usize) -> Self {
        Self { attempts: attempts.max(1), window, max_keys: max_keys.max(2), seen: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt to log in as `username` from `client` at `now`, or says how long to wait
    /// when either has used up its window (a refused attempt is not counted).
    pub fn attempt(&self, username: &str, client: Option<IpAddr>, now: Instant) -> Result<(), RetryAfter> {
        let keys: Vec<Key> = std::iter::once(Key::User(username.to_string())).chain(client.map(client_key)).collect();
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let wait = keys.iter().filter_map(|key| self.wait(seen.get_mut(key)?, now)).max();
        if let Some(wait) = wait {
            return Err(RetryAfter(wait));
        }
        for key in keys {
            if !seen.contains_key(&key) && seen.len() >= self.max_keys {
                self.evict(&mut seen, now);
            }
            seen.entry(key).or_default().push_back(now);
        }
        Ok(())
    }

    /// Takes back the latest attempt counted for `username` and `client`: a log-in that succeeded
    /// was no guess, and an office behind one address logs in more than 10 times a minute.
    pub fn succeeded(&self, username: &str, client: Option<IpAddr>) {
        let keys = std::iter::once(Key::User(username.to_string())).chain(client.map(client_key));
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for key in keys {
            if let Some(times) = seen.get_mut(&key) {
                times.pop_back();
            }
        }
    }

    /// Drops the times that left the window; how long until one more fits, if none does now.
    fn wait(&self, times: &mut VecDeque<Instant>, now: Instant) -> Option<Duration> {
        while times.front().is_some_and(|t| now.saturating_duration_since(*t) >= self.window) {
            times.pop_front();
        }
        if times.len() < self.attempts {
            return None;
        }
        let oldest = *times.front()?;
        Some((self.window - now.saturating_duration_since(oldest)).max(Duration::from_secs(1)))
    }

    /// Makes room: keys whose window is over go first; if that is not enough (an attacker spraying
    /// names), the tenth of keys least recently tried, so the map stays bounded and eviction rare.
    fn evict(&self, seen: &mut HashMap<Key, VecDeque<Instant>>, now: Instant) {
        seen.retain(|_, times| times.back().is_some_and(|t| now.saturating_duration_since(*t) < self.window));
        if seen.len() < self.max_keys {
            return;
        }
        let mut latest: Vec<(Instant, Key)> =
            seen.iter().filter_map(|(key, times)| Some((*times.back()?, key.clone()))).collect();
        latest.sort_by_key(|(at, _)| *at);
        for (_, key) in latest.into_iter().take((self.max_keys / 10).max(1)) {
            seen.remove(&key);
        }
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn the_eleventh_attempt_in_a_minute_waits_until_the_first_leaves_the_window() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..10 {
            limiter.attempt("alice", ip("192.0.2.1"), t0 + Duration::from_secs(i)).unwrap();
        }
        let refused = limiter.attempt("alice", ip("192.0.2.1"), t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(refused, RetryAfter(Duration::from_secs(40)));
        // Refused attempts are not counted: the window slides on the ones that were made.
        limiter.attempt("alice", ip("192.0.2.1"), t0 + Duration::from_secs(60)).unwrap();
        assert!(limiter.attempt("alice", ip("192.0.2.1"), t0 + Duration::from_secs(60)).is_err());
        limiter.attempt("alice", ip("192.0.2.1"), t0 + Duration::from_secs(61)).unwrap();
    }

    #[test]
    fn one_address_guessing_many_names_and_many_addresses_guessing_one_name_are_both_stopped() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..10 {
            limiter.attempt(&format!("user{i}"), ip("198.51.100.7"), t0).unwrap();
        }
        assert!(limiter.attempt("someone-else", ip("198.51.100.7"), t0).is_err(), "per address");
        assert!(limiter.attempt("someone-else", ip("198.51.100.8"), t0).is_ok(), "another address");

        for i in 0..10 {
            limiter.attempt("bob", ip(&format!("203.0.113.{i}")), t0).unwrap();
        }
        assert!(limiter.attempt("bob", ip("203.0.113.99"), t0).is_err(), "per username");
    }

    #[test]
    fn an_ipv6_host_counts_as_its_slash_64() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        limiter.attempt("a", ip("2001:db8:1:2::1"), t0).unwrap();
        limiter.attempt("b", ip("2001:db8:1:2::ffff"), t0).unwrap();
        assert!(limiter.attempt("c", ip("2001:db8:1:2:abcd::9"), t0).is_err());
        assert!(limiter.attempt("c", ip("2001:db8:1:3::1"), t0).is_ok());
        assert_eq!(client_key("::ffff:192.0.2.1".parse().unwrap()), client_key("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn memory_stays_bounded_expired_keys_first_then_the_least_recent() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for i in 0..100 {
            limiter.attempt(&format!("old{i}"), None, t0).unwrap();
        }
        assert_eq!(limiter.keys(), 100);
        let later = t0 + Duration::from_secs(61);
        limiter.attempt("new", None, later).unwrap();
        assert_eq!(limiter.keys(), 1, "every expired key went");

        for i in 0..99 {
            limiter.attempt(&format!("live{i}"), None, later + Duration::from_millis(i)).unwrap();
        }
        limiter.attempt("one-more", None, later + Duration::from_secs(1)).unwrap();
        assert!(limiter.keys() <= 100, "{}", limiter.keys());
        // The most recent keys kept their counts.
        limiter.attempt("one-more", None, later + Duration::from_secs(1)).unwrap();
        limiter.attempt("one-more", None, later + Duration::from_secs(1)).unwrap();
        assert!(limiter.attempt("one-more", None, later + Duration::from_secs(1)).is_err());
    }
}
