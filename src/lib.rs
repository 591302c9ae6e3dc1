//! tribune: a coalition of organisations on the fediverse as one ActivityPub Group actor.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod federation;
pub mod http;
pub mod media;
pub mod metrics;
pub mod startup;
pub mod util;

/// Install the process-wide TLS crypto provider (ring). Call once, first thing.
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
