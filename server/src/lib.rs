//! Shipshape's server side: configuration, storage, and the HTTP server that hosts the Leptos app.

// Leptos view types nest deeply; the tag page needs more than the default 128.
#![recursion_limit = "256"]

pub mod allow_list;
pub mod auth;
pub mod badge;
pub mod cli;
pub mod config;
pub mod credentials;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod inspect;
pub mod jobs;
pub mod lineage;
pub mod memo;
pub mod net;
pub mod notify;
pub mod page_cache;
pub mod registry;
pub mod scan;
pub mod secrets;
pub mod serve;
pub mod services;
pub mod site;
pub mod store;
pub mod vulndb;
pub mod watch;
pub mod worker;
