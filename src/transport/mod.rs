//! Transport: HTTP signatures and keys, the persistent delivery queue and its workers, the
//! resolver and outgoing HTTP clients, and the limits and caches the server keeps in memory.

pub mod breaker;
pub mod client;
pub mod delivery;
pub mod key_cache;
pub mod keyring;
pub mod limits;
pub mod outgoing;
pub mod preview_cache;
pub mod resolver;
pub mod response_cache;
pub mod retry;
pub mod shared_windows;
pub mod signatures;
pub mod signing;
pub mod wakeup;
