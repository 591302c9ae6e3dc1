//! This process as the holder of delivery leases (`db::delivery_leases`). While it holds
//! any, it renews its heartbeat every second; another process (or the same one, restarted)
//! takes over the leases of an owner whose heartbeat is older than `STALE_MS`, so that a
//! crash holds up the rest of a fan-out for seconds, not for `delivery.lease_seconds`.
//!
//! Should this process's own heartbeat lapse (the database did not answer in time), it
//! cannot know whether another took its rows: it sends none of the rows it claimed before
//! the lapse that it has not started, and claims under a new id from then on.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    db::{Db, DbError, delivery_leases},
    util::now_ms,
};

/// How often the heartbeat is renewed while leases are held.
pub(super) const BEAT: Duration = Duration::from_secs(1);
/// A heartbeat older than this is taken for a process that is gone.
pub(super) const STALE_MS: i64 = 5_000;
/// A heartbeat this old is taken by its own process for lapsed: a second short of
/// `STALE_MS`, for clocks that differ a little between machines.
const LAPSE: Duration = Duration::from_millis(4_000);
/// Owners silent for a day are removed from the table when a process starts claiming.
const FORGOTTEN_MS: i64 = 86_400_000;

pub(super) struct Owner {
    db: Db,
    /// The id rows are leased under, and its generation (a new one after a lapse).
    id: Mutex<(Arc<str>, u64)>,
    /// When the last recorded heartbeat started: the time others judge us by.
    last_beat: Mutex<Option<Instant>>,
    /// One heartbeat at a time.
    beating: tokio::sync::Mutex<()>,
    /// Rows claimed whose lease this process may still hold.
    held: AtomicUsize,
    /// Told when `held` leaves zero: an idle process's heartbeat loop sleeps on it rather
    /// than waking every `BEAT` for nothing (BENCHMARKS.md, B6's idle CPU).
    holding: tokio::sync::Notify,
}

fn fresh_id() -> Arc<str> {
    Arc::from(format!(
        "{}-{}-{:08x}",
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "tribune".into()),
        std::process::id(),
        rand::random::<u32>()
    ))
}

impl Owner {
    pub(super) fn new(db: Db) -> Owner {
        Owner {
            db,
            id: Mutex::new((fresh_id(), 0)),
            last_beat: Mutex::new(None),
            beating: tokio::sync::Mutex::new(()),
            held: AtomicUsize::new(0),
            holding: tokio::sync::Notify::new(),
        }
    }

    fn current(&self) -> (Arc<str>, u64) {
        self.id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn since_beat(&self) -> Option<Duration> {
        self.last_beat
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .map(|t| t.elapsed())
    }

    /// Whether claiming now would first write a heartbeat (none within `BEAT`).
    pub(super) fn needs_beat(&self) -> bool {
        self.since_beat().is_none_or(|d| d >= BEAT)
    }

    /// The id to claim under, with its generation, once the heartbeat is fresh.
    pub(super) async fn ready(&self) -> Result<(Arc<str>, u64), DbError> {
        if self.needs_beat() {
            self.beat().await?;
        }
        Ok(self.current())
    }

    /// Whether a row claimed under `generation` may be sent now: claimed under the current
    /// id, and the heartbeat recent enough that no other process can have taken it.
    pub(super) fn may_send(&self, generation: u64) -> bool {
        generation == self.current().1 && self.since_beat().is_some_and(|d| d < LAPSE)
    }

    /// `n` rows claimed under this process's id.
    pub(super) fn claimed(&self, n: usize) {
        if n > 0 && self.held.fetch_add(n, Ordering::AcqRel) == 0 {
            self.holding.notify_one();
        }
    }

    /// A row this process no longer holds (finished, or given up to another).
    pub(super) fn let_go(&self) {
        let _ = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    /// Renew the heartbeat. After a lapse (no heartbeat for `LAPSE`: this process was idle,
    /// or the database slow), switch to a new id first: rows leased under the old one are
    /// free for any process at once, and none of them is sent by this one (`may_send`).
    pub(super) async fn beat(&self) -> Result<(), DbError> {
        let _one = self.beating.lock().await;
        let started = Instant::now();
        match self.since_beat() {
            None => delivery_leases::forget(&self.db, "", now_ms() - FORGOTTEN_MS).await?,
            Some(d) if d >= LAPSE => {
                let (old, generation) = self.current();
                if self.held.load(Ordering::Acquire) > 0 {
                    tracing::warn!(owner = %old, "delivery heartbeat lapsed: unsent claimed rows are left to be claimed again");
                }
                *self
                    .id
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    (fresh_id(), generation + 1);
                delivery_leases::forget(&self.db, &old, now_ms() - FORGOTTEN_MS).await?;
            }
            Some(_) => {}
        }
        let (id, _) = self.current();
        delivery_leases::beat(&self.db, &id, now_ms()).await?;
        *self
            .last_beat
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(started);
        Ok(())
    }

    /// Keep the heartbeat while rows are held, until `stop`.
    pub(super) async fn keep_alive(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if self.held.load(Ordering::Acquire) == 0 {
                tokio::select! {
                    () = self.holding.notified() => {},
                    _ = stop.changed() => {},
                }
                if *stop.borrow() {
                    return;
                }
            }
            tokio::select! {
                () = tokio::time::sleep(BEAT) => {},
                _ = stop.changed() => {},
            }
            if *stop.borrow() {
                return;
            }
            if self.held.load(Ordering::Acquire) > 0
                && let Err(e) = self.beat().await
            {
                tracing::warn!(error = %e, "renewing the delivery heartbeat");
            }
        }
    }

    /// At shutdown: give back every lease still held and leave the table.
    pub(super) async fn leave(&self) {
        let (id, _) = self.current();
        if let Err(e) = delivery_leases::release(&self.db, &id).await {
            tracing::error!(error = %e, "releasing delivery leases at shutdown");
        }
        if let Err(e) = delivery_leases::forget(&self.db, &id, 0).await {
            tracing::warn!(error = %e, "leaving the delivery owners");
        }
    }
}
