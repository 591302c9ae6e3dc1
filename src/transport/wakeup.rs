//! The wake-up signal between a change and the loops that act on it.

use std::sync::Arc;

use tokio::sync::{Notify, watch};

/// Wakes the workers when something was queued, and the server's other loops (count
/// refreshes, key reloads) when the database may have changed: by this process, or by
/// another (PostgreSQL's NOTIFY, SQLite's files changing). Loops wait on it instead of
/// polling, so that an idle server costs next to no CPU (BENCHMARKS.md, B6).
#[derive(Debug, Clone)]
pub struct Wakeup(Arc<Notify>, Arc<watch::Sender<u64>>);

impl Default for Wakeup {
    fn default() -> Self {
        Wakeup(Arc::default(), Arc::new(watch::Sender::new(0)))
    }
}

impl Wakeup {
    pub fn notify(&self) {
        self.0.notify_one();
        self.1.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Completes at the next `notify` (or at once if one came since the last wait): what the
    /// delivery workers wait on.
    pub async fn queued(&self) {
        self.0.notified().await;
    }

    /// How many changes were signalled so far.
    pub fn generation(&self) -> u64 {
        *self.1.borrow()
    }

    /// Changes to wait on, for loops other than the delivery workers.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.1.subscribe()
    }
}
