//! Limits on what peers may send: per key over a one-minute window, and in all.

use chrono::Utc;

/// A per-key limit over a fixed one-minute window (per actor, per host, per address).
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    windows: std::sync::Mutex<std::collections::HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            windows: Default::default(),
        }
    }

    /// Count one more for `key`; `Err(seconds to wait)` past the limit.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Utc::now().timestamp();
        let minute = now - now.rem_euclid(60);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| *start == minute);
        }
        let entry = windows.entry(key.to_owned()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= self.per_minute {
            return Err(u64::try_from(minute + 60 - now).unwrap_or(60).max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// Inbox limits: per remote host, per client address, and activities in process.
#[derive(Debug)]
pub struct InboxLimits {
    pub per_host: RateLimiter,
    pub per_ip: RateLimiter,
    pub in_process: tokio::sync::Semaphore,
}

/// At most one of something per key per period (a refetch of an actor, say): the first
/// `try_start` in a period is true, the others false until it ends.
#[derive(Clone)]
pub struct Cooldown(moka::sync::Cache<String, ()>);

impl std::fmt::Debug for Cooldown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cooldown")
            .field("keys", &self.0.entry_count())
            .finish()
    }
}

impl Cooldown {
    pub fn new(period: std::time::Duration) -> Self {
        Cooldown(
            moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(period)
                .build(),
        )
    }

    /// True for the first call with `key` in a period.
    pub fn try_start(&self, key: &str) -> bool {
        let entry = self.0.entry(key.to_owned()).or_insert(());
        entry.is_fresh()
    }
}
