//! Limits on what peers may send: per key (actor, host, address) with the generic cell rate
//! algorithm of the `governor` crate, and in all.

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
};

use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};

/// At most `per_minute` per key in any minute, as a burst of that size refilled evenly (GCRA):
/// unlike counts per calendar minute, a burst across a minute's edge cannot pass twice the
/// limit.
pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    /// Checks since the number of keys was last looked at.
    checks: std::sync::atomic::AtomicU32,
    /// The same limit counted with every process on the database, when shared.
    shared: Option<std::sync::Arc<super::shared_windows::SharedWindows>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("keys", &self.limiter.len())
            .finish()
    }
}

/// What limits per client address count by: an IPv4 address, or an IPv6 address's /64 (what
/// one machine usually holds).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Keys kept at most before the idle ones are dropped.
const MAX_KEYS: usize = 100_000;

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        RateLimiter {
            limiter: governor::RateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
            checks: std::sync::atomic::AtomicU32::new(0),
            shared: None,
        }
    }

    /// The limit counted with every process on `db` too, under `name`: a key gets one
    /// allowance from all of them, not one each (`shared_windows`).
    pub fn shared(mut self, db: crate::db::Db, name: &'static str, per_minute: u32) -> Self {
        self.shared = Some(super::shared_windows::SharedWindows::new(
            db, name, per_minute,
        ));
        self
    }

    /// Count one more for `key`; `Err(seconds to wait)` past the limit.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        // Counting the keys visits every shard of the map: once in a while is enough.
        let checks = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if checks.is_multiple_of(1024) && self.limiter.len() > MAX_KEYS {
            // Keys whose allowance is whole again hold no information.
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs().max(1))?;
        match &self.shared {
            Some(shared) => shared.check(key),
            None => Ok(()),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_limit_then_a_wait_per_key() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
        let wait = limiter.check("a").unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(
            limiter.check("b"),
            Ok(()),
            "another key has its own allowance"
        );
    }

    #[test]
    fn a_cooldown_lets_one_through_per_period() {
        let once = Cooldown::new(std::time::Duration::from_secs(60));
        assert!(once.try_start("actor"));
        assert!(!once.try_start("actor"));
        assert!(once.try_start("other"));
    }
}
