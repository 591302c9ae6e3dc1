//! Outgoing HTTP clients. Every request goes through `outgoing::check` first: the clients
//! that fetch (actors through the federation crate, WebFinger, NodeInfo) carry it as a
//! middleware, and the delivery workers call it before each send.

use std::{sync::Arc, time::Duration};

use tokio::sync::Semaphore;

use reqwest_middleware::{ClientWithMiddleware, Middleware, Next};

use super::outgoing;
use crate::config::DeliverySettings;

/// Fetches in flight to one host at most: a slow or hostile server cannot take every fetch
/// this process makes (SECURITY.md, attack 16).
const FETCHES_PER_HOST: usize = 4;
/// How long a fetch waits for its host's turn.
const HOST_WAIT: Duration = Duration::from_secs(5);

/// Refuses a request whose URL `outgoing::check` refuses, before any connection, and bounds
/// the requests in flight to each host.
#[derive(Clone)]
pub struct Guard {
    allow_private_addresses: bool,
    hosts: moka::sync::Cache<String, Arc<Semaphore>>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("allow_private_addresses", &self.allow_private_addresses)
            .finish_non_exhaustive()
    }
}

impl Guard {
    pub fn new(allow_private_addresses: bool) -> Guard {
        Guard {
            allow_private_addresses,
            hosts: moka::sync::Cache::builder()
                .max_capacity(50_000)
                .time_to_idle(Duration::from_secs(600))
                .build(),
        }
    }
}

#[async_trait::async_trait]
impl Middleware for Guard {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut axum::http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        outgoing::check(req.url(), self.allow_private_addresses)
            .map_err(|e| reqwest_middleware::Error::Middleware(e.into()))?;
        let host = crate::util::normal_authority(req.url());
        let turn = self
            .hosts
            .get_with(host.clone(), || Arc::new(Semaphore::new(FETCHES_PER_HOST)));
        let _turn = tokio::time::timeout(HOST_WAIT, turn.acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                reqwest_middleware::Error::Middleware(anyhow::anyhow!(
                    "too many requests in flight to {host}"
                ))
            })?;
        next.run(req, extensions).await
    }
}

/// `client` behind the guard.
pub fn guarded(client: reqwest::Client, allow_private_addresses: bool) -> ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(client)
        .with(Guard::new(allow_private_addresses))
        .build()
}

/// The outgoing HTTP client for deliveries: no redirects (a signature is bound to its path,
/// docs/interop.md §7), bounded times, and private addresses refused unless allowed.
pub fn delivery_client(
    settings: &DeliverySettings,
    allow_private_addresses: bool,
    user_agent: &str,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(settings.timeout_seconds))
        .connect_timeout(Duration::from_secs(settings.connect_timeout_seconds))
        .user_agent(user_agent)
        .dns_resolver(super::resolver::resolver(allow_private_addresses))
        // Servers close idle keep-alive connections on their own schedule, 5 s for the
        // shortest common defaults (docs/interop.md §7): a connection idle longer than that
        // may already be closed by the peer when we reuse it. Dropping ours first means a
        // later publish opens fresh connections instead of knocking on dead ones.
        .pool_idle_timeout(POOL_IDLE)
        // No more idle connections to a host than deliveries may run to it at once: more
        // could never be in use together.
        .pool_max_idle_per_host(settings.per_host_concurrency)
        .build()
}

/// How long an idle delivery connection is kept: below the 5 s after which Apache and
/// Node.js close theirs (docs/interop.md §7).
const POOL_IDLE: Duration = Duration::from_secs(4);
