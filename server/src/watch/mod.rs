//! Watches: what a user wants to hear about (one tag, or a repository's tags filtered by regexes;
//! which events; from which severity), the watcher that re-checks watched tags every
//! SHIPSHAPE_WATCH_INTERVAL, and the instant paths (a registry's push notifications, a
//! repository's refresh hook) that re-check at once. What is told, and how, is `notify`'s.

mod poll;
mod registry_events;
mod rules;

pub use poll::{PollWatches, RecheckWatched, RoundSummary, check};
pub use registry_events::{Envelope, accept as accept_registry_events};
pub use rules::{MAX_TAG_LEN, WatchRules};
