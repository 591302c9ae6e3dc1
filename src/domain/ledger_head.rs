//! The signed head of a statement's ledger (docs/ledger.md): the coalition's Ed25519 key and
//! its FEP-521a Multikey form, the W3C Data Integrity `eddsa-jcs-2022` proof value over a
//! document and its proof configuration, and the comparison of a head with the chain's end.
//!
//! The hash chain alone cannot show that its last entries were dropped, or that an entry was
//! rewritten and every hash after it recomputed; a head signed when each entry is appended,
//! and kept by others once published, can. The documents' shapes and contexts are built in
//! `protocol::ledger_head`; this file holds the rules, without I/O.

use std::sync::Arc;

use base64::Engine as _;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde_json::Value;

use super::ledger::StoredEntry;

/// The multicodec prefix of an Ed25519 public key, 0xed as an unsigned varint (FEP-521a, the
/// "Multikey" section of the W3C Data Integrity EdDSA Cryptosuites v1.0).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
pub const PROOF_PURPOSE: &str = "assertionMethod";

/// Why a key, a proof or a head cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProofError(pub String);

fn fail<T>(why: impl Into<String>) -> Result<T, ProofError> {
    Err(ProofError(why.into()))
}

/// The coalition's Ed25519 key pair. It signs ledger heads only, and is never rotated: a new
/// key could not vouch for the heads that others kept.
#[derive(Clone)]
pub struct AssertionKey {
    pair: Arc<Ed25519KeyPair>,
}

impl std::fmt::Debug for AssertionKey {
    // The private key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionKey")
            .field("public", &self.multibase())
            .finish_non_exhaustive()
    }
}

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// PKCS#8 DER as PEM (RFC 7468): base64 in lines of 64 characters.
pub fn pkcs8_pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("{PEM_BEGIN}\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(PEM_END);
    pem.push('\n');
    pem
}

impl AssertionKey {
    /// The key as stored: PKCS#8 (v1 or v2) in PEM.
    pub fn from_pem(pem: &str) -> Result<Self, ProofError> {
        let b64: String = pem
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && *l != PEM_BEGIN && *l != PEM_END)
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .or_else(|e| fail(format!("the Ed25519 key is not PEM: {e}")))?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .or_else(|e| fail(format!("the Ed25519 key is not PKCS#8: {e}")))?;
        Ok(AssertionKey {
            pair: Arc::new(pair),
        })
    }

    /// A key from its 32-byte seed (RFC 8032 private key), as test vectors give it.
    pub fn from_seed(seed: &[u8]) -> Result<Self, ProofError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .or_else(|e| fail(format!("not an Ed25519 seed: {e}")))?;
        Ok(AssertionKey {
            pair: Arc::new(pair),
        })
    }

    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    /// The public key as a Multikey's `publicKeyMultibase`.
    pub fn multibase(&self) -> String {
        multikey(&self.public_key())
    }
}

/// `z` + base58btc(0xed 0x01 ++ the 32-byte public key): FEP-521a's `publicKeyMultibase`.
pub fn multikey(public_key: &[u8; 32]) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(public_key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The public key a `publicKeyMultibase` holds, if it is an Ed25519 one.
pub fn public_key_of(multibase: &str) -> Result<[u8; 32], ProofError> {
    let Some(b58) = multibase.strip_prefix('z') else {
        return fail(format!(
            "{multibase:?} is not base58btc multibase (no leading z)"
        ));
    };
    let bytes = bs58::decode(b58)
        .into_vec()
        .or_else(|e| fail(format!("{multibase:?} is not base58btc: {e}")))?;
    match bytes.split_first_chunk::<2>() {
        Some((prefix, key)) if *prefix == ED25519_PUB && key.len() == 32 => {
            let mut out = [0u8; 32];
            out.copy_from_slice(key);
            Ok(out)
        }
        _ => fail(format!("{multibase:?} is not an Ed25519 Multikey")),
    }
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// JCS (RFC 8785): the canonical bytes of a JSON value.
pub fn jcs(value: &Value) -> Result<Vec<u8>, ProofError> {
    serde_json_canonicalizer::to_vec(value).or_else(|e| fail(format!("not canonicalisable: {e}")))
}

/// The proof configuration's checks ("Proof Configuration (eddsa-jcs-2022)" in the W3C Data
/// Integrity EdDSA Cryptosuites v1.0): the type, the cryptosuite, and `created` a date-time.
fn check_config(config: &Value) -> Result<(), ProofError> {
    if config["type"] != PROOF_TYPE || config["cryptosuite"] != CRYPTOSUITE {
        return fail(format!(
            "the proof is not a {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}"
        ));
    }
    if let Some(created) = config.get("created") {
        let ok = created
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok());
        if !ok {
            return fail("the proof's created is not a date-time");
        }
    }
    Ok(())
}

/// hashData = SHA-256(JCS(proofConfig)) ++ SHA-256(JCS(document)): the 64 bytes that are
/// signed ("Hashing (eddsa-jcs-2022)"). `proof_config` is the proof without `proofValue`,
/// carrying the document's context; `document` is the document without `proof`.
pub fn hash_data(proof_config: &Value, document: &Value) -> Result<Vec<u8>, ProofError> {
    check_config(proof_config)?;
    let mut data = sha256(&jcs(proof_config)?);
    data.extend(sha256(&jcs(document)?));
    Ok(data)
}

/// The proof's `proofValue`: `z` + base58btc of the Ed25519 signature of hashData.
pub fn proof_value(
    key: &AssertionKey,
    proof_config: &Value,
    document: &Value,
) -> Result<String, ProofError> {
    let signature = key.pair.sign(&hash_data(proof_config, document)?);
    Ok(format!(
        "z{}",
        bs58::encode(signature.as_ref()).into_string()
    ))
}

/// Check a `proofValue` against the document and proof configuration it was made over.
pub fn verify_proof_value(
    public_key: &[u8; 32],
    proof_config: &Value,
    document: &Value,
    proof_value: &str,
) -> Result<(), ProofError> {
    let signature = proof_value
        .strip_prefix('z')
        .and_then(|b58| bs58::decode(b58).into_vec().ok())
        .filter(|s| s.len() == 64)
        .ok_or_else(|| ProofError("the proofValue is not a base58btc Ed25519 signature".into()))?;
    let data = hash_data(proof_config, document)?;
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&data, &signature)
        .or_else(|_| fail("its signature does not verify with the coalition's Ed25519 key"))
}

/// What a signed head vouches for: the ledger of `statement` ends at entry `seq`, whose hash
/// is `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub statement: String,
    pub seq: i64,
    pub hash: String,
}

/// The first 12 characters of a hash, as people compare them.
pub fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Compare a verified head with a chain that verified: they must end at the same entry with
/// the same hash. A shorter chain lost its last entries; the same length with another hash
/// was rewritten and recomputed; no head while entries exist means it was removed.
pub fn check_head(
    head: Option<&Head>,
    statement: &str,
    entries: &[StoredEntry],
) -> Result<(), ProofError> {
    let last = entries.last();
    let Some(head) = head else {
        return match last {
            None => Ok(()),
            Some(last) => fail(format!(
                "missing, but the ledger has {} entries up to entry {}: its signed head was removed",
                entries.len(),
                last.seq
            )),
        };
    };
    if head.statement != statement {
        return fail(format!(
            "it is signed for {}, not for {statement}",
            head.statement
        ));
    }
    let Some(last) = last else {
        return fail(format!(
            "it names entry {} ({}…) but the ledger has no entries: they were removed",
            head.seq,
            short(&head.hash)
        ));
    };
    if head.seq > last.seq {
        return fail(format!(
            "it names entry {} ({}…) but the chain ends at entry {}: entries {} to {} were removed",
            head.seq,
            short(&head.hash),
            last.seq,
            last.seq + 1,
            head.seq
        ));
    }
    if head.seq < last.seq {
        return fail(format!(
            "it names entry {} but the chain goes on to entry {}: entries were added without a signed head",
            head.seq, last.seq
        ));
    }
    if head.hash != last.hash {
        return fail(format!(
            "it signs entry {} as {}… but the chain's entry {} hashes to {}…: the chain was rewritten",
            head.seq,
            short(&head.hash),
            last.seq,
            short(&last.hash)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
