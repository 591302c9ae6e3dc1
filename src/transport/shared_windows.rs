//! Rate limits counted by every process on a PostgreSQL database together
//! (`db::rate_windows`), so that three `serve` processes give a flooding peer one
//! allowance, not three.
//!
//! No query per request: a check reads what this process knows (the totals read back at
//! the last flush, plus its own hits since), and hits are added to the database in batches
//! a quarter second apart, with the totals read back. Counts are per minute; the minute
//! before counts in proportion to what is left of it (a sliding window), so that a burst
//! across a minute's edge cannot pass twice the limit. A process may let through what the
//! others counted in the last quarter second: the price of no query per request.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use crate::{
    db::{Db, rate_windows},
    util::now_ms,
};

const WINDOW_MS: i64 = 60_000;
/// How long hits wait in memory before they are added to the database.
const FLUSH_AFTER: Duration = Duration::from_millis(250);
/// Keys added in one flush at most, the busiest first; the others are counted here alone.
const MAX_KEYS_PER_FLUSH: usize = 500;

#[derive(Debug, Default)]
struct Known {
    window: i64,
    previous: i64,
    current: i64,
}

#[derive(Debug, Default)]
struct Counts {
    /// This process's hits not yet added, per key, for the window `pending_window`.
    pending: HashMap<String, u32>,
    pending_window: i64,
    /// Totals of every process as last read back.
    known: HashMap<String, Known>,
}

#[derive(Debug)]
pub struct SharedWindows {
    db: Db,
    name: &'static str,
    per_minute: u32,
    counts: Mutex<Counts>,
    flush_scheduled: AtomicBool,
}

impl SharedWindows {
    pub fn new(db: Db, name: &'static str, per_minute: u32) -> Arc<SharedWindows> {
        Arc::new(SharedWindows {
            db,
            name,
            per_minute,
            counts: Mutex::default(),
            flush_scheduled: AtomicBool::new(false),
        })
    }

    /// Count one more for `key`; `Err(seconds to wait)` when every process's hits together
    /// reach the limit.
    pub fn check(self: &Arc<Self>, key: &str) -> Result<(), u64> {
        let now = now_ms();
        let window = now - now.rem_euclid(WINDOW_MS);
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.pending_window != window {
            // Hits of a minute gone by no longer need adding.
            counts.pending.clear();
            counts.pending_window = window;
        }
        let (previous, current) = match counts.known.get(key) {
            Some(k) if k.window == window => (k.previous, k.current),
            Some(k) if k.window == window - WINDOW_MS => (k.current, 0),
            _ => (0, 0),
        };
        let mine = i64::from(counts.pending.get(key).copied().unwrap_or(0));
        let left_of_previous = 1.0 - (now - window) as f64 / WINDOW_MS as f64;
        let estimate = previous as f64 * left_of_previous + (current + mine) as f64;
        if estimate >= f64::from(self.per_minute) {
            let wait_ms = WINDOW_MS - (now - window);
            return Err(u64::try_from(wait_ms / 1000).unwrap_or(0).max(1));
        }
        *counts.pending.entry(key.to_owned()).or_default() += 1;
        drop(counts);
        self.schedule_flush();
        Ok(())
    }

    fn schedule_flush(self: &Arc<Self>) {
        if self.flush_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.flush_scheduled.store(false, Ordering::Release);
            return;
        };
        let this = self.clone();
        runtime.spawn(async move {
            tokio::time::sleep(FLUSH_AFTER).await;
            this.flush_scheduled.store(false, Ordering::Release);
            this.flush().await;
        });
    }

    async fn flush(&self) {
        let (window, mut hits) = {
            let mut counts = self
                .counts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let hits: Vec<(String, u32)> = counts.pending.drain().collect();
            (counts.pending_window, hits)
        };
        if hits.is_empty() {
            return;
        }
        hits.sort_unstable_by_key(|h| std::cmp::Reverse(h.1));
        hits.truncate(MAX_KEYS_PER_FLUSH);
        let totals = match rate_windows::add(&self.db, self.name, window, &hits).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(limit = self.name, error = %e, "adding to the shared rate windows");
                return;
            }
        };
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Keys not seen for two minutes hold nothing.
        counts.known.retain(|_, k| k.window >= window - WINDOW_MS);
        for (key, _) in &hits {
            counts.known.insert(
                key.clone(),
                Known {
                    window,
                    ..Known::default()
                },
            );
        }
        for (key, at, n) in totals {
            if let Some(k) = counts.known.get_mut(&key) {
                if at == window {
                    k.current = n;
                } else if at == window - WINDOW_MS {
                    k.previous = n;
                }
            }
        }
    }
}
