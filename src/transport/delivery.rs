//! Delivery workers: claim due rows of the `deliveries` table, sign each POST afresh, send
//! it, and record the outcome. Retry rules follow Mastodon's (docs/interop.md §7): 2xx is
//! done; 4xx other than 401, 408 and 429 is final; everything else is tried again after
//! (n⁴ + 15) units plus jitter, up to `delivery.max_attempts`.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use tokio::sync::{Semaphore, watch};

pub use super::retry::backoff_ms;
use in_hand::{Held, InHand};
use outcomes::{Finished, OUTCOME_BATCH, record_outcomes};
use owner::Owner;

use super::{breaker::Hosts, retry::Attempt, signing::SigningThreads};
use crate::{
    config::DeliverySettings,
    db::{
        self, Db,
        deliveries::{self, Claimed, Outcome},
    },
    util::now_ms,
};

pub struct DeliveryWorker {
    pub db: Db,
    pub keys: Arc<super::keyring::Keyring>,
    pub client: reqwest::Client,
    pub settings: DeliverySettings,
    /// `federation.allow_private_addresses`: which inboxes `outgoing::check` lets through.
    pub allow_private_addresses: bool,
    pub wakeup: super::wakeup::Wakeup,
    /// Set at each turn of the loop, for `/readyz`.
    pub heartbeat: Arc<std::sync::atomic::AtomicI64>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Per-host limits and breakers, shared with `AppState` (an admin's retry closes one).
    pub hosts: Arc<Hosts>,
}

/// Rows claimed and waiting in memory, at most this many times `delivery.concurrency`.
const CLAIM_FACTOR: usize = 4;

/// A host's share of the rows in hand: this many times `delivery.per_host_concurrency`. A
/// claim takes no rows of a host with its share waiting to start, and at most a share of
/// one with fewer, so that under twice the share wait: enough that rows are still waiting
/// when the next claim comes (once the host is down to half its share), and each POST but
/// the last keeps its connection (`in_hand`); not a backlog that waits out its leases
/// behind a slow host while other hosts wait for room.
const HOST_CLAIM_FACTOR: usize = 4;

/// How long the rows due for hosts whose share is in hand may keep the worker from looking
/// for others (rows whose retry came due meanwhile).
const CROWDED_PAUSE: Duration = Duration::from_secs(1);

impl DeliveryWorker {
    /// Run until `stop` turns true; deliveries in flight then finish (each is bounded by the
    /// request timeout), and anything unfinished is claimed again after its lease.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let settings = &self.settings;
        // Signing is CPU: one thread per core, fed by a queue.
        let signing = match SigningThreads::start(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        ) {
            Ok(threads) => threads,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the signing threads");
                return;
            }
        };
        let (outcomes_tx, outcomes_rx) = tokio::sync::mpsc::channel(OUTCOME_BATCH * 4);
        let recorder = tokio::spawn(record_outcomes(
            self.db.clone(),
            outcomes_rx,
            self.metrics.deliveries_taken_over.clone(),
        ));
        let owner = Arc::new(Owner::new(self.db.clone()));
        let beating = tokio::spawn(owner.clone().keep_alive(stop.clone()));
        let shared = Arc::new(Shared {
            sending: Semaphore::new(settings.concurrency),
            signing,
            hosts: self.hosts.clone(),
            rfc9421_hosts: Default::default(),
            owner,
            in_hand: Arc::new(InHand::new(
                settings.per_host_concurrency * HOST_CLAIM_FACTOR,
            )),
            stopping: Default::default(),
            outcomes: outcomes_tx,
        });
        let claimed_slots = Arc::new(Semaphore::new(settings.concurrency * CLAIM_FACTOR));
        let lease_ms = i64::try_from(settings.lease_seconds * 1000).unwrap_or(i64::MAX);
        let batch = (settings.concurrency * CLAIM_FACTOR / 8).max(1);
        let this = Arc::new(self);
        let mut tasks = tokio::task::JoinSet::new();
        // Set when a claim found nothing while some hosts were left out, their share in
        // hand: how many tasks there were then, when, and the count of refills.
        let mut crowded_at: Option<(usize, Instant, u64)> = None;
        loop {
            this.heartbeat.store(now_ms(), Ordering::Relaxed);
            if *stop.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            // Claim in batches: a claim sorts the earliest due rows, so running one for each
            // delivery that ends would cost more than the deliveries (BENCHMARKS.md, B2).
            // Wait until an eighth of the room is free, unless nothing is in hand; and after
            // a claim that found nothing while some hosts were left out, until one of those
            // is down to half its share, half of the tasks have ended, a wake-up came
            // (something was queued; on SQLite, any write to its files), or a second passed.
            let free = claimed_slots.available_permits();
            let held_back = crowded_at.is_some_and(|(n, at, refills)| {
                tasks.len() > n / 2
                    && at.elapsed() < CROWDED_PAUSE
                    && shared.in_hand.refills() == refills
            });
            let room = if !held_back && (free >= batch || tasks.is_empty()) {
                free
            } else {
                0
            };
            let (claimed, crowded) = if room == 0 {
                (Vec::new(), false)
            } else {
                this.claim(&shared, lease_ms, room).await
            };
            let claimed_any = !claimed.is_empty();
            if room > 0 {
                crowded_at = (crowded && !claimed_any)
                    .then(|| (tasks.len(), Instant::now(), shared.in_hand.refills()));
            }
            for (row, lease, held) in claimed {
                let Ok(slot) = claimed_slots.clone().acquire_owned().await else {
                    break;
                };
                let (worker, shared) = (this.clone(), shared.clone());
                tasks.spawn(async move {
                    worker.deliver(&shared, row, lease, held).await;
                    drop(slot);
                });
            }
            if claimed_any {
                continue;
            }
            // Nothing due, or no room: sleep until the next due row, a wake-up (this
            // process queued something, or another did: PostgreSQL's NOTIFY, or SQLite's
            // files changing), or a finished delivery. The idle turn every 5 s is a fallback,
            // and the heartbeat `/readyz` reads (alive: a turn within 10 s).
            let idle = Duration::from_secs(5);
            // Hosts left out of the claim, their share in hand: the rows due now may all be
            // theirs; the next claim comes as said above (a task's end wakes this loop),
            // not every few ms.
            let wait = if let Some((_, at, _)) = crowded_at {
                CROWDED_PAUSE.saturating_sub(at.elapsed())
            } else if room == 0 {
                idle
            } else {
                let now = now_ms();
                let until = |at: i64| Duration::from_millis(u64::try_from(at - now).unwrap_or(0));
                match deliveries::next_due_ms(&this.db, now).await {
                    // Rows another process leases are looked at again once a heartbeat
                    // (its holder may be gone), not claimed in vain every few ms.
                    Ok(next) => next
                        .free
                        .map_or(idle, until)
                        .min(next.leased.map_or(idle, |at| until(at).min(owner::BEAT))),
                    Err(_) => idle,
                }
                .min(idle)
            };
            tokio::select! {
                () = this.wakeup.queued() => crowded_at = None,
                () = tokio::time::sleep(wait.max(Duration::from_millis(5))) => {},
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {},
                _ = stop.changed() => {},
            }
        }
        // Shutting down: sends under way finish (each bounded by the request timeout), none
        // starts; then every lease still held is released so that the rows are due at once
        // for the next process, rather than after their lease.
        shared.stopping.store(true, Ordering::Relaxed);
        let bound = Duration::from_secs(this.settings.timeout_seconds + 1);
        let drained =
            tokio::time::timeout(bound, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tasks.abort_all();
        }
        drop(tasks);
        let _ = beating.await;
        let owner = shared.owner.clone();
        // Every outcome was committed before its task ended; the recorder stops with the
        // last sender.
        drop(shared);
        let _ = recorder.await;
        owner.leave().await;
        this.heartbeat.store(0, Ordering::Relaxed);
    }

    /// Claim up to `room` due rows under this process's owner id, each with its lease
    /// (that id, its generation, the lease's end), and counted in hand for its host; and whether some hosts were left out
    /// because enough of their rows are in hand already.
    async fn claim(
        &self,
        shared: &Shared,
        lease_ms: i64,
        room: usize,
    ) -> (Vec<(Claimed, Lease, Held)>, bool) {
        // An idle worker's heartbeat has lapsed: renewing it is two writes (a new id, the old
        // one forgotten). Only when some row is due or leased (its holder may be gone), so
        // that an idle server writes nothing (BENCHMARKS.md, B6).
        if shared.owner.needs_beat() {
            let now = now_ms();
            match deliveries::next_due_ms(&self.db, now).await {
                Ok(next) if next.leased.is_none() && next.free.is_none_or(|at| at > now) => {
                    return (Vec::new(), false);
                }
                _ => {}
            }
        }
        let full = shared.in_hand.crowded();
        let share = deliveries::HostShare {
            turns: i64::try_from(shared.in_hand.share()).unwrap_or(i64::MAX),
            full: &full,
        };
        let claimed = match shared.owner.ready().await {
            Ok((owner, generation)) => {
                let now = now_ms();
                let stale = now - owner::STALE_MS;
                deliveries::claim(&self.db, now, lease_ms, room as i64, &owner, stale, share)
                    .await
                    .map(|rows| (rows, owner, generation))
            }
            Err(e) => Err(e),
        };
        let crowded = !full.is_empty();
        match claimed {
            Ok((rows, owner, generation)) => {
                shared.owner.claimed(rows.len());
                let hold = |r: Claimed| {
                    let held = shared.in_hand.hold(&r.host);
                    let lease = Lease {
                        owner: owner.clone(),
                        generation,
                        until: r.leased_until,
                    };
                    (r, lease, held)
                };
                (rows.into_iter().map(hold).collect(), crowded)
            }
            Err(e) => {
                tracing::error!(error = %e, "claiming deliveries failed");
                (Vec::new(), false)
            }
        }
    }

    #[tracing::instrument(skip_all, fields(activity = %row.activity_id, inbox = %row.inbox))]
    async fn deliver(&self, shared: &Shared, row: Claimed, mut lease: Lease, mut held: Held) {
        // Breakers and limits go by the inbox's host, where the POST goes; the row's `host`
        // (its follower's, which the claim shares out) is almost always the same.
        let host = url::Url::parse(&row.inbox)
            .map(|u| deliveries::authority(&u))
            .unwrap_or_default();
        let postpone = |until: i64| Outcome::Retry {
            status: None,
            error: "the host's circuit breaker is open".into(),
            next_attempt_ms: until,
        };
        // Put off, without an attempt, while the host's breaker is open (here or, read at
        // most once a second, in another process).
        shared.hosts.refresh(now_ms()).await;
        if let Some(until) = shared.hosts.open_until(&host, now_ms()) {
            self.finish(shared, &row, &lease, row.attempts, &postpone(until))
                .await;
            return;
        }
        let host_permits = shared.hosts.permits(&host);
        let Ok(_host_permit) = host_permits.acquire().await else {
            return;
        };
        let Ok(_send_permit) = shared.sending.acquire().await else {
            return;
        };
        if shared.stopping.load(Ordering::Relaxed) {
            // Not started: its lease is released at shutdown.
            return;
        }
        if !shared.owner.may_send(lease.generation) {
            // Our heartbeat lapsed since the claim: another process may have the row now.
            shared.owner.let_go();
            return;
        }
        if let Some(until) = shared.hosts.open_until(&host, now_ms()) {
            self.finish(shared, &row, &lease, row.attempts, &postpone(until))
                .await;
            return;
        }
        let attempts = row.attempts.saturating_add(1);
        let close = held.start();
        let Some(outcome) = self.attempt(shared, &row, close, &mut lease).await else {
            shared.owner.let_go();
            return;
        };
        // Only a host that cannot be reached at all (no connection, no answer in time) counts
        // against its breaker: an HTTP answer, even a refusal, comes from one inbox URL,
        // which any follower can name, and is retried for that row alone (SECURITY.md,
        // attack 15).
        let unreachable = matches!(outcome, Attempt::Transient(None, _));
        shared.hosts.record(&host, !unreachable, now_ms()).await;
        if let Attempt::Final(Some(410), _) = &outcome {
            // The inbox is gone for good: so are the followers behind it
            // (docs/interop.md §7).
            match db::followers::remove_by_inbox(&self.db, &row.inbox).await {
                Ok(n) => tracing::info!(removed = n, "inbox answered 410: followers removed"),
                Err(e) => tracing::error!(error = %e, "removing the followers of a gone inbox"),
            }
        }
        let outcome = outcomes::of(outcome, attempts, &self.settings);
        self.metrics.delivery(match &outcome {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Retry { .. } => "retry",
            Outcome::Failed { .. } => "failed",
            Outcome::GivenUp { .. } => "given_up",
        });
        if let Some(open) = shared.hosts.sweep(now_ms()) {
            self.metrics.open_breakers.set(open);
        }
        match &outcome {
            Outcome::Delivered { status } => tracing::debug!(status, "delivered"),
            Outcome::Retry { error, .. } => {
                tracing::info!(%error, attempts, "delivery failed; will retry")
            }
            Outcome::Failed { error, .. } => tracing::warn!(%error, attempts, "delivery refused"),
            Outcome::GivenUp { error, .. } => tracing::warn!(%error, attempts, "delivery given up"),
        }
        self.finish(shared, &row, &lease, attempts, &outcome).await;
    }

    /// Record the outcome (with others finishing at the same time, in one transaction) and
    /// return once it is committed.
    async fn finish(
        &self,
        shared: &Shared,
        row: &Claimed,
        lease: &Lease,
        attempts: i32,
        outcome: &Outcome,
    ) {
        let (done, committed) = tokio::sync::oneshot::channel();
        let sent = shared
            .outcomes
            .send(Finished {
                id: row.id,
                attempts,
                owner: lease.owner.clone(),
                leased_until: lease.until,
                outcome: outcome.clone(),
                // The count moves with each request; a postponement leaves it as claimed.
                sent: attempts != row.attempts,
                done,
            })
            .await;
        if sent.is_ok() && committed.await.unwrap_or(false) {
            shared.owner.let_go();
        }
        // Otherwise the lease runs out and the row is tried again: nothing is lost.
    }
}

/// What a claimed row is held under: the owner id it was claimed under and that id's
/// generation (`owner`), and when its lease runs out.
struct Lease {
    owner: Arc<str>,
    generation: u64,
    until: i64,
}

/// Limits shared by a process's delivery tasks.
struct Shared {
    sending: Semaphore,
    signing: SigningThreads,
    hosts: Arc<Hosts>,
    /// Hosts that answered 401 to draft-cavage and 2xx to RFC 9421 ("double knock").
    rfc9421_hosts: std::sync::Mutex<std::collections::HashSet<String>>,
    /// This process as the holder of its leases, released at shutdown.
    owner: Arc<Owner>,
    /// Rows claimed and not yet sent, per host.
    in_hand: Arc<InHand>,
    /// Shutting down: no new sends start.
    stopping: std::sync::atomic::AtomicBool,
    /// To the task that records outcomes.
    outcomes: tokio::sync::mpsc::Sender<Finished>,
}

mod in_hand;
mod outcomes;
mod owner;
mod send;
#[cfg(test)]
mod tests;
