//! tribune: a coalition of organisations on the fediverse as one ActivityPub Group actor.
//!
//! The rooms, from the top floor down (docs/architecture.md): `cli` and `startup` build and
//! run; `http` serves; `federation` receives; `app` holds the use cases; `state` what they
//! share; `protocol` the wire and `transport` signatures and deliveries; `db` the SQL;
//! `config` the settings; `domain` the rules without I/O.

pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod federation;
pub mod http;
pub mod media;
pub mod metrics;
pub mod protocol;
pub mod startup;
pub mod state;
pub mod transport;
pub mod util;

/// Install the process-wide TLS crypto provider (ring). Call once, first thing.
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The memory allocator the binary is built with (its cargo feature): `system`, `jemalloc`
/// or `mimalloc`.
pub const ALLOCATOR: &str = if cfg!(feature = "jemalloc") {
    "jemalloc"
} else if cfg!(feature = "mimalloc") {
    "mimalloc"
} else {
    "system"
};
