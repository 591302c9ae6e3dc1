//! Per-host limits and circuit breakers of the delivery workers.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::DeliverySettings;

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

/// Per-host limits and circuit breakers, so that a dead instance holds up no live one. One
/// per process, in `AppState`: its delivery workers use it, and an admin's retry of a host
/// (`app::deliveries`) closes the host's breaker in it.
#[derive(Debug)]
pub struct Hosts {
    map: std::sync::Mutex<std::collections::HashMap<String, HostState>>,
    per_host: usize,
    threshold: u32,
    open_ms: i64,
}

impl Hosts {
    pub fn new(settings: &DeliverySettings) -> Hosts {
        Hosts {
            map: Default::default(),
            per_host: settings.per_host_concurrency,
            threshold: settings.breaker_failures,
            open_ms: i64::try_from(settings.breaker_open_seconds.saturating_mul(1000))
                .unwrap_or(i64::MAX),
        }
    }

    /// Forget the host's failures and close its breaker, if open: its next delivery is
    /// attempted, not put off. Hosts this process has not met are not added.
    pub fn close(&self, host: &str) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(h) = map.get_mut(host) {
            h.failures = 0;
            h.open_until_ms = None;
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Hosts {
        Hosts {
            map: Default::default(),
            per_host: 1,
            threshold: 2,
            open_ms: 60_000,
        }
    }

    #[test]
    fn closing_a_breaker_lets_the_next_delivery_through() {
        let h = hosts();
        h.record("down.example", false, 1_000);
        h.record("down.example", false, 1_000);
        assert_eq!(h.open_until("down.example", 1_000), Some(61_000));
        h.close("down.example");
        assert_eq!(h.open_until("down.example", 1_000), None);
        // Its failures were forgotten too: one more does not open it again.
        h.record("down.example", false, 2_000);
        assert_eq!(h.open_until("down.example", 2_000), None);
        assert_eq!(h.open_count(2_000), 0);
    }

    #[test]
    fn closing_an_unknown_host_adds_nothing() {
        let h = hosts();
        h.close("never.example");
        assert!(h.map.lock().unwrap().is_empty());
    }
}
