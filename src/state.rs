//! `AppState`: what every handler, use case and loop can reach. It holds only things defined
//! below `app/` (settings, the database, the coalition, keys, limits, caches, the wake-up).

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicI64, Ordering},
};

use crate::{
    config::Settings,
    db::Db,
    metrics::Metrics,
    protocol::coalition::Coalition,
    transport::{
        breaker::Hosts,
        key_cache::KeyCache,
        keyring::Keyring,
        limits::{Cooldown, InboxLimits, RateLimiter},
        preview_cache::PreviewCache,
        response_cache::ResponseCache,
        wakeup::Wakeup,
    },
    util::now_ms,
};

/// What every handler can reach: one allocation shared by every request, so that the
/// clones the router and the federation crate make of it (several a request) cost one
/// reference count each, not one per field (BENCHMARKS.md, B5).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state itself, reached through `AppState`.
#[derive(Debug)]
pub struct Shared {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub coalition: Arc<Coalition>,
    /// Our key pair, parsed once, replaced in place on rotation.
    pub keyring: Arc<Keyring>,
    /// Remote public keys, parsed once.
    pub keys: KeyCache,
    /// Tells the delivery workers that rows were queued.
    pub wakeup: Wakeup,
    /// What this process's delivery workers know of each remote host: per-host limits and
    /// circuit breakers (an admin's retry of a host closes its breaker).
    pub hosts: Arc<Hosts>,
    /// SHA-256 of `admin.token`, when the admin API is on.
    pub admin_token_hash: Option<[u8; 32]>,
    /// One refetch of an actor after a failed signature per few minutes: a bad signature
    /// naming a known actor must not make us fetch it again each time.
    pub refetches: Cooldown,
    /// Web admin login attempts per client address.
    pub logins: Arc<RateLimiter>,
    /// Per-actor limits on boosts, likes and undos.
    pub rate: Arc<RateLimiter>,
    /// Inbox limits: per remote host, per client address, and activities in process.
    pub inbox_limits: Arc<InboxLimits>,
    /// When the delivery workers last went round their loop (ms since the epoch; 0 when
    /// not running).
    pub worker_heartbeat: Arc<AtomicI64>,
    /// SQLite: set when the checkpoint task has copied the whole write-ahead log, told to
    /// the inbox's writer (`federation::applier`), which then copies the few frames it wrote
    /// since, so that its next transaction starts the log again (BENCHMARKS.md, B4).
    pub log_copied: AtomicBool,
    /// Counters for /metrics.
    pub metrics: Arc<Metrics>,
    /// For the few GETs we make ourselves (NodeInfo); actors go through the federation crate.
    pub http: reqwest_middleware::ClientWithMiddleware,
    /// Rendered statements, while nothing changed (`http::cache`).
    pub response_cache: ResponseCache,
    /// Link-preview images, by statement, version, language and count.
    pub previews: PreviewCache,
    /// For the benchmark only, and only in builds with the `bench` feature (never in
    /// `cargo build --release`): when true, the inbox skips the cryptographic check of
    /// signatures (everything else is done), so that the cost of verification can be
    /// measured as a ratio (BENCHMARKS.md, B4).
    #[cfg(feature = "bench")]
    #[doc(hidden)]
    pub bench_skip_signature_crypto: Arc<std::sync::atomic::AtomicBool>,
}

impl Shared {
    /// The delivery workers went round their loop within the last 10 seconds.
    pub fn workers_alive(&self) -> bool {
        let beat = self.worker_heartbeat.load(Ordering::Relaxed);
        beat > 0 && now_ms() - beat < 10_000
    }

    /// `federation.allow_private_addresses`: whether loopback and private addresses may be
    /// reached (tests, local demos).
    pub fn allows_private(&self) -> bool {
        self.settings.federation.allow_private_addresses
    }

    /// The benchmark's switch is on (always false outside the `bench` feature).
    pub fn skips_signature_crypto(&self) -> bool {
        #[cfg(feature = "bench")]
        {
            self.bench_skip_signature_crypto.load(Ordering::Relaxed)
        }
        #[cfg(not(feature = "bench"))]
        {
            false
        }
    }
}
