//! What an admin does to the delivery queue: retry a host now, after an outage, rather than
//! wait for the next attempts, which by then may be hours away (docs/interop.md §7).

use crate::{
    db::{self, delivery_retries},
    state::AppState,
    util::now_ms,
};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Not `host` or `host:port` (nor a URL naming one).
    #[error("{0:?} is not a host: give it as host or host:port")]
    BadHost(String),
    /// No delivery to the host is recorded, in any state: most likely a misspelt name.
    #[error("no delivery to {0} is recorded")]
    UnknownHost(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<db::DbError> for DeliveryError {
    fn from(e: db::DbError) -> Self {
        DeliveryError::Internal(e.into())
    }
}

/// Retry every delivery to `host` now. Its pending deliveries become due at once, and those
/// given up are queued again with their attempts counted afresh: after an outage, "retry now"
/// is what an admin wants, and a late Create after a Delete does no harm, since Mastodon
/// keeps the tombstone (docs/interop.md §5). Deliveries refused for good (`failed`: a 4xx
/// other than 401, 408 and 429, or an address we never reach) stay refused: sending them
/// again would only be refused again.
///
/// The host's circuit breaker is closed first, here and in the database, so that the rows are
/// attempted rather than put off; the workers are woken, here and, through the database, in
/// other processes, which read the closed breaker within a second (`transport::breaker`).
///
/// `host` is `host[:port]` as the deliveries store it (`mastodon.example`,
/// `localhost:3000`), in any case, with or without a trailing dot; a URL on the host is
/// taken too. Returns how many deliveries are now due: 0 when the host is known but nothing
/// to it is pending or given up (everything was delivered or refused), which is no error, so
/// that retrying twice is harmless. A host with no delivery recorded at all is
/// `UnknownHost`.
pub async fn retry_host(state: &AppState, host: &str) -> Result<u64, DeliveryError> {
    let host = normal_host(host)?;
    state.hosts.close(&host).await;
    let mut tx = state.db.begin().await?;
    let retried = delivery_retries::retry_host(&mut tx, &host, now_ms()).await?;
    let n = retried.pending + retried.requeued;
    if n == 0 {
        if !delivery_retries::host_known(&mut tx, &host).await? {
            return Err(DeliveryError::UnknownHost(host));
        }
        return Ok(0);
    }
    db::deliveries::notify(&mut tx).await?;
    tx.commit().await?;
    state.wakeup.notify();
    tracing::info!(
        host,
        pending = retried.pending,
        requeued = retried.requeued,
        "deliveries retried now"
    );
    Ok(n)
}

/// `host[:port]` in the form the deliveries store it (`db::deliveries::authority`).
fn normal_host(input: &str) -> Result<String, DeliveryError> {
    let input = input.trim();
    let bad = || DeliveryError::BadHost(input.to_owned());
    let url = if input.contains("://") {
        url::Url::parse(input).map_err(|_| bad())?
    } else {
        let url = url::Url::parse(&format!("https://{input}/")).map_err(|_| bad())?;
        // Nothing but a host and a port: no path, user, query or fragment.
        let only_a_host = url.path() == "/"
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none()
            && !input.contains(['/', '?', '#', '@']);
        if !only_a_host {
            return Err(bad());
        }
        url
    };
    match url.host_str() {
        Some(h) if !h.is_empty() => Ok(db::deliveries::authority(&url)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_taken_in_the_form_deliveries_store_them() {
        let ok = |s: &str| normal_host(s).unwrap();
        assert_eq!(ok("Mastodon.Example."), "mastodon.example");
        assert_eq!(ok(" localhost:3000 "), "localhost:3000");
        assert_eq!(ok("https://social.example/inbox"), "social.example");
        assert_eq!(ok("http://localhost:8080/users/a/inbox"), "localhost:8080");
        for bad in [
            "",
            "a b",
            "host/inbox",
            "user@host",
            "host?x",
            "http://",
            "host:port",
        ] {
            assert!(
                matches!(normal_host(bad), Err(DeliveryError::BadHost(_))),
                "{bad:?}"
            );
        }
    }
}
