//! The accept loop `serve` runs. `axum::serve` gives hyper no timer, so a client that sends its
//! request head a byte at a time (slowloris) holds a connection forever, and it accepts without
//! bound; here each connection has a header-read deadline, holds one of
//! [`Limits::max_connections`] permits, and carries its peer's address for per-client limits.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tower_service::Service;

use super::Limits;

/// After the stop signal, how long open responses (a scan's event stream, a page waiting on a
/// registry) may take before their connections are dropped.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `stop` completes, then drains.
pub async fn serve(listener: TcpListener, app: Router, limits: &Limits, stop: impl Future<Output = ()>) {
    // Turns every route and its layers into a service once: a `Router` called as it is builds
    // each route's whole middleware stack again for every request (what `axum::serve` avoids the
    // same way).
    let app = app.with_state(());
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, closed) = watch::channel(false);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        // The permit comes first: past the limit, new connections wait in the kernel's queue.
        let permit = tokio::select! {
            () = &mut stop => break,
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (tcp, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = accept(&listener) => accepted,
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(http.clone(), tcp, peer, app.clone(), closed.clone(), permit));
    }
    let _ = closing.send(true);
    if tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await.is_err() {
        tracing::info!(open = connections.len(), "connections still open after the drain: closed");
        connections.abort_all();
    }
}

/// The next connection. Errors about one connection are skipped; others (out of file descriptors)
/// are logged and retried after a pause, as `axum::serve` does.
async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                tracing::error!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

async fn connection(
    http: http1::Builder,
    tcp: TcpStream,
    peer: SocketAddr,
    app: Router,
    mut closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    // Pages stream in several writes: with Nagle's algorithm each one after the first waits for
    // the client's delayed ACK (40 ms on Linux), which capped a connection at ~25 pages/s.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY not set");
    }
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        async move { app.call(request).await }
    });
    let conn = http.serve_connection(TokioIo::new(tcp), service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, %peer, "connection ended");
                }
                return;
            }
            changed = closing.wait_for(|closing| *closing), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
