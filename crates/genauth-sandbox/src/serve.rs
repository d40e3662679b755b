//! The accept loop: HTTP/1 connections with limits, so that the sandbox holds up as a shared
//! development server.
//!
//! * **Open connections** are capped (`limits.max_connections`): one more is closed as soon as
//!   it is accepted, so a flood cannot grow the process without bound.
//! * **Request heads** must arrive within `limits.header_read_timeout_secs` of the server
//!   starting to wait for one (hyper's timer). The same timer runs while a kept-alive
//!   connection waits for its next request, so it is also the idle timeout: idle and
//!   slowly-writing connections are closed, and their memory is given back.
//! * **Request bodies** must arrive whole within `limits.body_read_timeout_secs` (the router's
//!   body-timeout layer, `api::router`).
//!
//! Every accepted connection is counted (`GET /__sandbox/stats`).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::shared::Shared;

/// Serves `app` on `listener` until `stopped` fires; then drops every open connection.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    shared: Arc<Shared>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let limits = shared.config.limits.clone();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs))
        .keep_alive(true);
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stopped => break,
        };
        // Reap the connections that ended, so the set holds only open ones.
        while connections.try_join_next().is_some() {}
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors, say: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        shared.connections.fetch_add(1, Ordering::Relaxed);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(stream); // over the cap: closed at once
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = http.serve_connection(TokioIo::new(stream), service);
        connections.spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    connections.abort_all();
}
