//! The bounds the HTTP surface keeps whatever its visitors do: how long a request's head may take,
//! how many connections, request bytes and scan event streams one process holds.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Limits {
    /// From a connection's first byte (or the end of its previous response) to the end of the
    /// request head; a slower client (slowloris) is disconnected, an idle keep-alive one too.
    pub header_read_timeout: Duration,
    /// Connections held at once; past it the next is accepted when one closes (the kernel queues it).
    pub max_connections: usize,
    /// A request body (server functions only take small arguments).
    pub max_body_bytes: usize,
    /// Scan event streams open at once, in all; past it a stream is refused with 503.
    pub event_streams: usize,
    /// Scan event streams open at once from one client address; past it, 429.
    pub event_streams_per_client: usize,
    /// A stream on which nothing changed for this long ends (the browser reconnects by itself).
    pub event_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_body_bytes: 1 << 20,
            event_streams: 256,
            event_streams_per_client: 8,
            event_idle: Duration::from_secs(5 * 60),
        }
    }
}
