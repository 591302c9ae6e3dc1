//! Per-host limits and circuit breakers of the delivery workers.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// What the workers of one process know of a remote host.
#[derive(Debug)]
pub(super) struct HostState {
    /// Deliveries in flight to the host, bounded by `delivery.per_host_concurrency`.
    permits: Arc<Semaphore>,
    /// Transient failures in a row.
    failures: u32,
    /// While the breaker is open, the host's deliveries are put off, not attempted.
    open_until_ms: Option<i64>,
}

/// Per-host limits and circuit breakers, so that a dead instance holds up no live one.
#[derive(Debug)]
pub(super) struct Hosts {
    pub(super) map: std::sync::Mutex<std::collections::HashMap<String, HostState>>,
    pub(super) per_host: usize,
    pub(super) threshold: u32,
    pub(super) open_ms: i64,
}

impl Hosts {
    fn with<R>(&self, host: &str, f: impl FnOnce(&mut HostState) -> R) -> R {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = map.entry(host.to_owned()).or_insert_with(|| HostState {
            permits: Arc::new(Semaphore::new(self.per_host)),
            failures: 0,
            open_until_ms: None,
        });
        f(state)
    }

    /// Hosts whose breaker is open now.
    pub(super) fn open_count(&self, now: i64) -> i64 {
        let map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.values()
            .filter(|h| h.open_until_ms.is_some_and(|t| t > now))
            .count() as i64
    }

    pub(super) fn permits(&self, host: &str) -> Arc<Semaphore> {
        self.with(host, |h| h.permits.clone())
    }

    /// When the host's breaker is open, the time it closes.
    pub(super) fn open_until(&self, host: &str, now: i64) -> Option<i64> {
        self.with(host, |h| h.open_until_ms.filter(|t| *t > now))
    }

    pub(super) fn record(&self, host: &str, success: bool, now: i64) {
        self.with(host, |h| {
            if success {
                h.failures = 0;
                h.open_until_ms = None;
            } else {
                h.failures = h.failures.saturating_add(1);
                if h.failures >= self.threshold {
                    // Open (or, after a failed trial, open again).
                    h.open_until_ms = Some(now + self.open_ms);
                    tracing::warn!(host, failures = h.failures, "circuit breaker open");
                }
            }
        })
    }
}
