//! HTTP signatures: draft-cavage with `Digest` (`cavage.rs`), RFC 9421 message signatures
//! (`rfc9421.rs`), and the keys both use (`keys.rs`), as Mastodon signs and verifies them
//! (docs/interop.md §2). The cryptography is aws-lc-rs's (AWS-LC, OpenSSL's lineage of
//! RSA code with its vector instructions): on this project's machines it signs about twice
//! as fast as ring and verifies faster still than the pure-Rust `rsa` crate the federation
//! crate uses (BENCHMARKS.md, B1); public keys are parsed once and cached by key id.

mod cavage;
mod keys;
mod rfc9421;

pub use cavage::*;
pub use keys::*;
pub use rfc9421::*;

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use aws_lc_rs::{
    rand::SystemRandom,
    signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey},
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use rsa::{
    RsaPrivateKey, RsaPublicKey,
    pkcs1::EncodeRsaPublicKey,
    pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey},
};
use url::Url;

/// Why a signed request was refused. Every one of these is answered 401: servers that try
/// RFC 9421 first fall back to draft-cavage after a 400 or 401, so a 401 always lets them
/// retry (docs/interop.md §2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed")]
    Missing,
    #[error("the Signature header is malformed: {0}")]
    Malformed(String),
    #[error("unsupported signature algorithm {0:?}")]
    Algorithm(String),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("the signed header {0} is missing from the request")]
    HeaderMissing(String),
    #[error("the Date header is missing or malformed")]
    BadDate,
    #[error("the signature's date is outside the accepted window")]
    Expired,
    #[error("the Digest header is missing or has no SHA-256")]
    DigestMissing,
    #[error("the Digest does not match the body")]
    DigestMismatch,
    #[error("the public key cannot be read: {0}")]
    BadKey(String),
    #[error("the signature does not verify")]
    Invalid,
    /// The signed request was meant for another server (its `Host`).
    #[error("the request was signed for {0}, not for this server")]
    WrongHost(String),
}

impl SignatureError {
    /// A short, fixed reason, for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing => "missing",
            SignatureError::Malformed(_) | SignatureError::HeaderMissing(_) => "malformed",
            SignatureError::Algorithm(_) => "algorithm",
            SignatureError::NotCovered(_) => "coverage",
            SignatureError::BadDate | SignatureError::Expired => "date",
            SignatureError::DigestMissing | SignatureError::DigestMismatch => "digest",
            SignatureError::BadKey(_) => "key",
            SignatureError::Invalid => "invalid",
            SignatureError::WrongHost(_) => "host",
        }
    }
}

/// The request's `Host` is ours (`authority`, our public URL's `host[:port]`): a signature
/// covers `host` (draft-cavage) or `@authority` / `@target-uri` (RFC 9421), so a request
/// signed for another server cannot be replayed here.
pub fn check_host(req: &RequestParts<'_>, authority: &str) -> Result<(), SignatureError> {
    let host = req
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| SignatureError::HeaderMissing("host".into()))?;
    if !host.eq_ignore_ascii_case(authority) {
        return Err(SignatureError::WrongHost(host.to_owned()));
    }
    Ok(())
}

/// The parts of a request that a signature may cover.
pub struct RequestParts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a axum::http::HeaderMap,
}

#[cfg(test)]
pub(crate) mod tests;
