//! Rows in hand per host: claimed by this process and not yet started. The row that starts
//! when no other for its host waits asks the peer to close the connection after its answer
//! (`Connection: close`), so that a fan-out does not leave one idle connection, with its
//! buffers, per instance it reached (docs/interop.md §7, BENCHMARKS.md, B6). Rows sent
//! together to one host (up to `delivery.per_host_concurrency`) all start while others wait,
//! save the last: theirs may stay idle in the pool for its 4 s.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use url::Url;

#[derive(Default)]
pub(super) struct InHand {
    hosts: Mutex<HashMap<String, usize>>,
}

impl InHand {
    /// Count a claimed row for its inbox's host until the returned guard drops.
    pub(super) fn hold(self: &Arc<Self>, inbox: &str) -> Held {
        let host = Url::parse(inbox)
            .map(|u| crate::db::deliveries::authority(&u))
            .unwrap_or_default();
        if let Ok(mut hosts) = self.hosts.lock() {
            *hosts.entry(host.clone()).or_default() += 1;
        }
        Held {
            in_hand: self.clone(),
            host,
            started: false,
        }
    }

    /// Hosts of which at least `n` rows are in hand: a claim takes no more of theirs.
    pub(super) fn crowded(&self, n: usize) -> Vec<String> {
        let Ok(hosts) = self.hosts.lock() else {
            return Vec::new();
        };
        hosts
            .iter()
            .filter(|(_, count)| **count >= n)
            .map(|(host, _)| host.clone())
            .collect()
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
    pub(super) fn host(&self) -> &str {
        &self.host
    }

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
        let in_hand = Arc::new(InHand::default());
        let mut a = in_hand.hold("https://a.example/users/1/inbox");
        let mut b = in_hand.hold("https://A.example:443/users/2/inbox");
        let mut c = in_hand.hold("https://a.example/users/3/inbox");
        let mut d = in_hand.hold("https://d.example/inbox");
        assert_eq!(a.host(), b.host());
        // Two rows of a.example in flight together, a third waiting: neither closes.
        assert!(!a.start());
        assert!(!b.start());
        // The third starts while both are still in flight: none waits after it.
        assert!(c.start());
        // Started once only; a row dropped unstarted leaves the count too.
        assert!(!c.start());
        assert!(d.start());
        let e = in_hand.hold("https://e.example/inbox");
        let f = in_hand.hold("https://e.example/f/inbox");
        assert_eq!(in_hand.crowded(2), ["e.example"]);
        assert!(in_hand.crowded(3).is_empty());
        drop((a, b, c, d, e, f));
        assert!(in_hand.hosts.lock().unwrap().is_empty());
    }
}
