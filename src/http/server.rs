//! The HTTP server loop: hyper serving the router on each accepted connection, with what
//! `axum::serve` does not bound (SECURITY.md, attack 3): a client has
//! `server.header_timeout_seconds` to send its headers, and one address may hold at most
//! `server.max_connections_per_address` connections.

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    pin::pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Extension, extract::ConnectInfo};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tower::{Layer, Service};

use crate::transport::limits::client_key;

/// How long open connections may take to finish once shutting down.
const DRAIN: Duration = Duration::from_secs(30);

/// The limits of the loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub per_address: usize,
}

type Open = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// One connection counted against its address until it is dropped.
struct Counted {
    open: Open,
    key: IpAddr,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

fn count(open: &Open, key: IpAddr, limit: usize) -> Option<Counted> {
    let mut map = open
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let n = map.entry(key).or_insert(0);
    if *n >= limit {
        return None;
    }
    *n += 1;
    Some(Counted {
        open: open.clone(),
        key,
    })
}

/// Serve `router` (the routes, `http::front::Front` in the server) on `listener` until
/// `shutdown` completes, then let open connections finish (at most `DRAIN`).
pub async fn serve<S, F>(
    listener: TcpListener,
    router: S,
    shutdown: F,
    limits: Limits,
) -> std::io::Result<()>
where
    S: Service<
            axum::http::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let open: Open = Arc::default();
    let mut shutdown = pin!(shutdown);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        let (stream, peer): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(counted) = count(&open, client_key(peer.ip()), limits.per_address) else {
            tracing::debug!(%peer, "too many connections from this address: closed");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(Extension(ConnectInfo(peer)).layer(router.clone()));
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _counted = counted;
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(DRAIN) => tracing::warn!("connections still open after the drain"),
    }
    Ok(())
}
