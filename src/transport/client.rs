//! Outgoing HTTP clients. Every request goes through `outgoing::check` first: the clients
//! that fetch (actors through the federation crate, WebFinger, NodeInfo) carry it as a
//! middleware, and the delivery workers call it before each send.

use std::time::Duration;

use reqwest_middleware::{ClientWithMiddleware, Middleware, Next};

use super::outgoing;
use crate::config::DeliverySettings;

/// Refuses a request whose URL `outgoing::check` refuses, before any connection.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    pub allow_private_addresses: bool,
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
        next.run(req, extensions).await
    }
}

/// `client` behind the guard.
pub fn guarded(client: reqwest::Client, allow_private_addresses: bool) -> ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(client)
        .with(Guard {
            allow_private_addresses,
        })
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
        .build()
}
