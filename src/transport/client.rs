//! Outgoing HTTP clients.

use std::time::Duration;

use crate::config::DeliverySettings;

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
