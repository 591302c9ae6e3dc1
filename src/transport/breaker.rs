//! Per-host limits and circuit breakers of the delivery workers. The breakers are shared by
//! every process on the database (`db::breakers`): failures are counted there, and each
//! process refreshes its copy at most once a second while it delivers, so a host that one
//! process cannot reach is put off by all, and an operator's retry reaches all.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicI64, Ordering},
};

use tokio::sync::Semaphore;

use crate::{
    config::DeliverySettings,
    db::{Db, breakers},
};

/// How often a process reads the shared breakers while it delivers.
const REFRESH_MS: i64 = 1_000;
/// Failures older than this are not read back (a host that failed once and was never tried
/// again).
const REMEMBERED_MS: i64 = 86_400_000;

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
    /// Where the breakers are shared; `None` keeps them in this process alone.
    db: Option<Db>,
    /// When the shared breakers were last read (ms since the epoch).
    refreshed_ms: AtomicI64,
    /// When the hosts were last swept (`sweep`), and whether a breaker opened or closed
    /// since.
    swept_ms: AtomicI64,
    changed: AtomicBool,
}

impl Hosts {
    pub fn new(settings: &DeliverySettings, db: Option<Db>) -> Hosts {
        Hosts {
            map: Default::default(),
            per_host: settings.per_host_concurrency,
            threshold: settings.breaker_failures,
            open_ms: i64::try_from(settings.breaker_open_seconds.saturating_mul(1000))
                .unwrap_or(i64::MAX),
            db,
            refreshed_ms: AtomicI64::new(0),
            swept_ms: AtomicI64::new(0),
            changed: AtomicBool::new(false),
        }
    }

    /// Forget the host's failures and close its breaker, if open, here and for every
    /// process: its next delivery is attempted, not put off. Hosts this process has not met
    /// are not added.
    pub async fn close(&self, host: &str) {
        self.close_here(host);
        if let Some(db) = &self.db
            && let Err(e) = breakers::closed(db, host).await
        {
            tracing::warn!(host, error = %e, "closing a shared circuit breaker");
        }
    }

    fn close_here(&self, host: &str) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(h) = map.get_mut(host) {
            self.changed.store(true, Ordering::Release);
            h.failures = 0;
            h.open_until_ms = None;
        }
    }

    /// Read the shared breakers into this process's copy, unless that was done less than a
    /// second ago (or is being done).
    pub(super) async fn refresh(&self, now: i64) {
        let Some(db) = &self.db else { return };
        let last = self.refreshed_ms.load(Ordering::Acquire);
        if now - last < REFRESH_MS
            || self
                .refreshed_ms
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        let rows = match breakers::all(db, now - REMEMBERED_MS).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "reading the shared circuit breakers");
                return;
            }
        };
        let shared: std::collections::HashMap<String, breakers::Breaker> =
            rows.into_iter().map(|b| (b.host.clone(), b)).collect();
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (host, state) in map.iter_mut() {
            match shared.get(host) {
                Some(b) => {
                    state.failures = u32::try_from(b.failures).unwrap_or(0);
                    state.open_until_ms = b.open_until;
                }
                // Closed by another process (or an operator).
                None => {
                    state.failures = 0;
                    state.open_until_ms = None;
                }
            }
        }
        for (host, b) in shared {
            map.entry(host).or_insert_with(|| HostState {
                permits: Arc::new(Semaphore::new(self.per_host)),
                failures: u32::try_from(b.failures).unwrap_or(0),
                open_until_ms: b.open_until,
            });
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

    /// Forget the hosts with nothing to remember (no failure, no delivery in flight), and
    /// count those whose breaker is open now. This walks every host met, so it is done at
    /// most once a second, or when a breaker opened or closed; `None` when not done. A fan-out
    /// to 50,000 instances leaves 50,000 hosts behind, and walking them after each delivery
    /// was a tenth of a delivery's CPU (BENCHMARKS.md, B8).
    pub(super) fn sweep(&self, now: i64) -> Option<i64> {
        let last = self.swept_ms.load(Ordering::Acquire);
        let changed = self.changed.swap(false, Ordering::AcqRel);
        if !(changed || now - last >= REFRESH_MS)
            || self
                .swept_ms
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return None;
        }
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A delivery holds its host's semaphore (`permits`) while it runs: one reference
        // here alone means none does.
        map.retain(|_, h| {
            h.failures > 0 || h.open_until_ms.is_some() || Arc::strong_count(&h.permits) > 1
        });
        map.shrink_to_fit();
        Some(
            map.values()
                .filter(|h| h.open_until_ms.is_some_and(|t| t > now))
                .count() as i64,
        )
    }

    pub(super) fn permits(&self, host: &str) -> Arc<Semaphore> {
        self.with(host, |h| h.permits.clone())
    }

    /// When the host's breaker is open, the time it closes.
    pub(super) fn open_until(&self, host: &str, now: i64) -> Option<i64> {
        self.with(host, |h| h.open_until_ms.filter(|t| *t > now))
    }

    /// Record an attempt's end: a success closes the host's breaker, a host that could not
    /// be reached counts one more failure (in the database when shared).
    pub(super) async fn record(&self, host: &str, success: bool, now: i64) {
        let had_failures = self.with(host, |h| h.failures > 0 || h.open_until_ms.is_some());
        if success {
            if had_failures {
                self.close(host).await;
            }
            return;
        }
        let shared = match &self.db {
            Some(db) => {
                let threshold = i32::try_from(self.threshold).unwrap_or(i32::MAX);
                match breakers::failed(db, host, now, threshold, self.open_ms).await {
                    Ok(b) => Some(b),
                    Err(e) => {
                        tracing::warn!(host, error = %e, "counting a failure in the shared breakers");
                        None
                    }
                }
            }
            None => None,
        };
        self.with(host, |h| {
            let was_open = h.open_until_ms.is_some_and(|t| t > now);
            match shared {
                Some(b) => {
                    h.failures = u32::try_from(b.failures).unwrap_or(0);
                    h.open_until_ms = b.open_until;
                }
                None => {
                    h.failures = h.failures.saturating_add(1);
                    if h.failures >= self.threshold {
                        // Open (or, after a failed trial, open again).
                        h.open_until_ms = Some(now + self.open_ms);
                    }
                }
            }
            if !was_open && h.open_until_ms.is_some_and(|t| t > now) {
                self.changed.store(true, Ordering::Release);
                tracing::warn!(host, failures = h.failures, "circuit breaker open");
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
            db: None,
            refreshed_ms: AtomicI64::new(0),
            swept_ms: AtomicI64::new(0),
            changed: AtomicBool::new(false),
        }
    }

    #[tokio::test]
    async fn closing_a_breaker_lets_the_next_delivery_through() {
        let h = hosts();
        h.record("down.example", false, 1_000).await;
        h.record("down.example", false, 1_000).await;
        assert_eq!(h.open_until("down.example", 1_000), Some(61_000));
        h.close("down.example").await;
        assert_eq!(h.open_until("down.example", 1_000), None);
        // Its failures were forgotten too: one more does not open it again.
        h.record("down.example", false, 2_000).await;
        assert_eq!(h.open_until("down.example", 2_000), None);
        assert_eq!(h.sweep(2_000), Some(0));
    }

    #[tokio::test]
    async fn a_sweep_forgets_healthy_idle_hosts_and_counts_open_breakers() {
        let h = hosts();
        h.record("down.example", false, 1_000).await;
        h.record("down.example", false, 1_000).await;
        h.record("flaky.example", false, 1_000).await;
        h.record("fine.example", true, 1_000).await;
        let busy = h.permits("busy.example");
        // A breaker opened: counted at once.
        assert_eq!(h.sweep(1_000), Some(1));
        let mut left: Vec<String> = h.map.lock().unwrap().keys().cloned().collect();
        left.sort();
        assert_eq!(left, ["busy.example", "down.example", "flaky.example"]);
        // Nothing changed and less than a second went by: not walked again.
        assert_eq!(h.sweep(1_500), None);
        // The delivery to busy.example ended; its breaker open, down.example stays.
        drop(busy);
        assert_eq!(h.sweep(2_000), Some(1));
        assert!(!h.map.lock().unwrap().contains_key("busy.example"));
        assert_eq!(h.open_until("down.example", 2_000), Some(61_000));
        // Once the breaker's time is over it is no longer counted open.
        assert_eq!(h.sweep(62_000), Some(0));
    }

    #[tokio::test]
    async fn closing_an_unknown_host_adds_nothing() {
        let h = hosts();
        h.close("never.example").await;
        assert!(h.map.lock().unwrap().is_empty());
    }
}
