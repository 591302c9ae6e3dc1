//! Rows in hand per host: claimed by this process and not yet sent. The last one for a host
//! asks the peer to close the connection after its answer (`Connection: close`), so that a
//! fan-out does not leave one idle connection, with its buffers, per instance it reached
//! (docs/interop.md §7, BENCHMARKS.md, B6).

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
        }
    }

    fn count(&self, host: &str) -> usize {
        self.hosts
            .lock()
            .map(|h| h.get(host).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

/// One row counted in hand for its host.
pub(super) struct Held {
    in_hand: Arc<InHand>,
    host: String,
}

impl Held {
    pub(super) fn host(&self) -> &str {
        &self.host
    }

    /// No other row for this host is in hand: its connection will not be wanted again soon.
    pub(super) fn last(&self) -> bool {
        self.in_hand.count(&self.host) <= 1
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Ok(mut hosts) = self.in_hand.hosts.lock()
            && let Some(n) = hosts.get_mut(&self.host)
        {
            *n -= 1;
            if *n == 0 {
                hosts.remove(&self.host);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_row_of_a_host_is_told_and_the_count_comes_back_to_nothing() {
        let in_hand = Arc::new(InHand::default());
        let a = in_hand.hold("https://a.example/users/1/inbox");
        let b = in_hand.hold("https://A.example:443/users/2/inbox");
        let c = in_hand.hold("https://c.example/inbox");
        assert_eq!(a.host(), b.host());
        assert!(!a.last() && !b.last());
        assert!(c.last());
        drop(a);
        assert!(b.last());
        drop(b);
        drop(c);
        assert!(in_hand.hosts.lock().unwrap().is_empty());
    }
}
