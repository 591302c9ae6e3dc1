//! Rows in hand per host (the delivery row's `host`): claimed by this process and not yet
//! started. A claim takes no more rows of a host with its share in hand
//! (`HOST_CLAIM_FACTOR`), and the worker claims again once a host is down to half. The row
//! that starts when no other for its host waits asks the peer to close the connection after
//! its answer (`Connection: close`), so that a fan-out does not leave one idle connection,
//! with its buffers, per instance it reached (docs/interop.md §7, BENCHMARKS.md, B6). Rows
//! sent together to one host (up to `delivery.per_host_concurrency`) all start while others
//! wait, save the last: theirs may stay idle in the pool for its 4 s.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

/// The rows in hand, by the `host` of their delivery row.
pub(super) struct InHand {
    hosts: Mutex<HashMap<String, usize>>,
    /// A host's share: a claim takes no more of a host with this many in hand.
    share: usize,
    /// Bumped each time a host's count falls to half its share: time to claim more of it.
    refills: AtomicU64,
}

impl InHand {
    pub(super) fn new(share: usize) -> Self {
        InHand {
            hosts: Mutex::default(),
            share: share.max(1),
            refills: AtomicU64::new(0),
        }
    }

    /// Count a claimed row for `host` until the returned guard drops.
    pub(super) fn hold(self: &Arc<Self>, host: &str) -> Held {
        if let Ok(mut hosts) = self.hosts.lock() {
            *hosts.entry(host.to_owned()).or_default() += 1;
        }
        Held {
            in_hand: self.clone(),
            host: host.to_owned(),
            started: false,
        }
    }

    /// How many rows of one host a claim may take.
    pub(super) fn share(&self) -> usize {
        self.share
    }

    /// Hosts with their share in hand: a claim takes no more of theirs.
    pub(super) fn crowded(&self) -> Vec<String> {
        let Ok(hosts) = self.hosts.lock() else {
            return Vec::new();
        };
        hosts
            .iter()
            .filter(|(_, count)| **count >= self.share)
            .map(|(host, _)| host.clone())
            .collect()
    }

    /// How many times a host's count fell to half its share.
    pub(super) fn refills(&self) -> u64 {
        self.refills.load(Ordering::Relaxed)
    }

    /// Take one row of `host` out of the count; how many are left.
    fn release(&self, host: &str) -> usize {
        let Ok(mut hosts) = self.hosts.lock() else {
            return 0;
        };
        let Some(n) = hosts.get_mut(host) else {
            return 0;
        };
        *n = n.saturating_sub(1);
        let left = *n;
        if left == self.share / 2 {
            self.refills.fetch_add(1, Ordering::Relaxed);
        }
        if left == 0 {
            hosts.remove(host);
        }
        left
    }
}

/// One row counted in hand for its host, until it starts or drops.
pub(super) struct Held {
    in_hand: Arc<InHand>,
    host: String,
    started: bool,
}

impl Held {
    /// The row is being sent: it leaves the count, in the same step as the count is read,
    /// so that of rows starting together exactly one finds none left. `true`: no other row
    /// for this host waits, its connection will not be wanted again soon.
    pub(super) fn start(&mut self) -> bool {
        if self.started {
            return false;
        }
        self.started = true;
        self.in_hand.release(&self.host) == 0
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if !self.started {
            self.in_hand.release(&self.host);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_row_of_a_host_to_start_is_told_and_the_count_comes_back_to_nothing() {
        let in_hand = Arc::new(InHand::new(2));
        let mut a = in_hand.hold("a.example");
        let mut b = in_hand.hold("a.example");
        let mut c = in_hand.hold("a.example");
        let mut d = in_hand.hold("d.example");
        assert_eq!(in_hand.crowded(), ["a.example"]);
        // Two rows of a.example in flight together, a third waiting: neither closes. The
        // second leaves one in hand, half the share: time to claim more.
        assert!(!a.start());
        assert_eq!(in_hand.refills(), 0);
        assert_eq!(in_hand.crowded(), ["a.example"]);
        assert!(!b.start());
        assert_eq!(in_hand.refills(), 1);
        assert!(in_hand.crowded().is_empty());
        // The third starts while both are still in flight: none waits after it.
        assert!(c.start());
        // Started once only; a row dropped unstarted leaves the count too.
        assert!(!c.start());
        assert!(d.start());
        let e = in_hand.hold("e.example");
        let f = in_hand.hold("e.example");
        assert_eq!(in_hand.crowded(), ["e.example"]);
        drop((a, b, c, d, e, f));
        assert!(in_hand.hosts.lock().unwrap().is_empty());
    }
}
