//! The co-signature ledger: an append-only, hash-chained log per statement.
//!
//! Each entry is serialised canonically (the fields below, in this order, compact JSON) and
//! its SHA-256 is the entry's hash; each entry names the previous entry's hash in `prev`
//! (64 zeros for the first). Anyone holding the chain can recompute it: a changed, removed
//! or reordered entry breaks the chain at that entry.

use serde::{Deserialize, Serialize};

use super::signatories::Signatory;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub seq: i64,
    /// The statement's id.
    pub statement: String,
    /// `sign`, `withdraw`, `hide`, `unhide`, or `record` (a signatory recorded by the
    /// coalition, whose `actor` is `STATEMENT#signatory-N` and `announce` empty).
    pub event: String,
    /// RFC 3339, UTC, seconds.
    pub at: String,
    pub actor: String,
    pub announce: String,
    pub version: Option<i32>,
    pub version_hash: Option<String>,
    pub visibility: Option<String>,
    pub class: Option<String>,
    pub counts: Option<bool>,
    pub reason: Option<String>,
    /// SHA-256 of the signed request kept for audit, binding it to the chain.
    pub request_sha256: Option<String>,
    /// SHA-256 of a moderation reason (the text stays with the admins). Fields added after
    /// the first entries were written are left out when empty, so that those entries keep
    /// their canonical text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_sha256: Option<String>,
    /// For `record`: the signatory the coalition recorded off the fediverse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatory: Option<Signatory>,
    /// For `record` and the withdrawal of a recorded signatory: who did it (an admin command,
    /// the admin API, a statement file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// For `record`: where the signature was published (an article's URL, a reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub prev: String,
}

impl LedgerEntry {
    pub fn canonical(&self) -> String {
        // A struct serialises its fields in declaration order, compactly: one text per entry.
        serde_json::to_string(self).unwrap_or_default()
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A stored entry: its text and hash as kept.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub seq: i64,
    pub entry: String,
    pub hash: String,
    /// The signed request kept as evidence, whose SHA-256 the entry records.
    pub request: Option<String>,
}

/// Where and why a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq}: {problem}")]
pub struct Broken {
    pub seq: i64,
    pub problem: String,
}

/// Recompute the chain; the first broken entry is named.
pub fn verify(entries: &[StoredEntry]) -> Result<usize, Broken> {
    let mut prev = GENESIS.to_owned();
    for (i, stored) in entries.iter().enumerate() {
        let broken = |problem: &str| Broken {
            seq: stored.seq,
            problem: problem.to_owned(),
        };
        let expected_seq = i64::try_from(i).unwrap_or(i64::MAX) + 1;
        if stored.seq != expected_seq {
            return Err(broken(&format!(
                "expected entry {expected_seq} here (one is missing or out of order)"
            )));
        }
        let entry: LedgerEntry = serde_json::from_str(&stored.entry)
            .map_err(|e| broken(&format!("not a ledger entry: {e}")))?;
        if entry.canonical() != stored.entry {
            return Err(broken("not in canonical form"));
        }
        if entry.seq != stored.seq {
            return Err(broken("its seq field differs from its place"));
        }
        if sha256_hex(stored.entry.as_bytes()) != stored.hash {
            return Err(broken("its content does not match its hash"));
        }
        if entry.prev != prev {
            return Err(broken("it does not name the previous entry's hash"));
        }
        // The evidence kept beside the entry is the one the entry's hash binds.
        match (&entry.request_sha256, &stored.request) {
            (Some(recorded), Some(kept)) if sha256_hex(kept.as_bytes()) != *recorded => {
                return Err(broken(
                    "its kept request does not match the hash it records",
                ));
            }
            (Some(_), None) => return Err(broken("its kept request is missing")),
            (None, Some(_)) => return Err(broken("it keeps a request it does not record")),
            _ => {}
        }
        prev = stored.hash.clone();
    }
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let e = LedgerEntry {
                    seq,
                    statement: "https://x/statements/s".into(),
                    event: "sign".into(),
                    at: "2026-01-01T00:00:00Z".into(),
                    actor: format!("https://y/users/{seq}"),
                    announce: format!("https://y/a/{seq}"),
                    version: Some(1),
                    version_hash: Some("h".into()),
                    visibility: Some("public".into()),
                    class: Some("person".into()),
                    counts: Some(true),
                    reason: None,
                    request_sha256: None,
                    reason_sha256: None,
                    signatory: None,
                    by: None,
                    source: None,
                    prev: prev.clone(),
                };
                let entry = e.canonical();
                let hash = sha256_hex(entry.as_bytes());
                prev = hash.clone();
                StoredEntry {
                    seq,
                    entry,
                    hash,
                    request: None,
                }
            })
            .collect()
    }

    #[test]
    fn a_good_chain_verifies_and_any_change_breaks_it_there() {
        let good = chain(4);
        assert_eq!(verify(&good), Ok(4));

        let mut changed = good.clone();
        changed[1].entry = changed[1].entry.replace("users/2", "users/9");
        assert_eq!(verify(&changed).unwrap_err().seq, 2);

        // Re-hashing the changed entry moves the break to the next one.
        changed[1].hash = sha256_hex(changed[1].entry.as_bytes());
        assert_eq!(verify(&changed).unwrap_err().seq, 3);

        let mut removed = good.clone();
        removed.remove(2);
        assert_eq!(verify(&removed).unwrap_err().seq, 4);
    }

    #[test]
    fn kept_evidence_must_match_the_hash_its_entry_records() {
        let mut prev = GENESIS.to_owned();
        let request = r#"{"method":"POST"}"#;
        let mut entries = Vec::new();
        for seq in 1..=2 {
            let mut e: LedgerEntry = serde_json::from_str(&chain(1)[0].entry).unwrap();
            e.seq = seq;
            e.prev = prev.clone();
            e.request_sha256 = Some(sha256_hex(request.as_bytes()));
            let entry = e.canonical();
            let hash = sha256_hex(entry.as_bytes());
            prev = hash.clone();
            entries.push(StoredEntry {
                seq,
                entry,
                hash,
                request: Some(request.to_owned()),
            });
        }
        assert_eq!(verify(&entries), Ok(2));
        let mut swapped = entries.clone();
        swapped[1].request = Some(r#"{"method":"GET"}"#.into());
        assert_eq!(verify(&swapped).unwrap_err().seq, 2);
        let mut dropped = entries;
        dropped[0].request = None;
        assert_eq!(verify(&dropped).unwrap_err().seq, 1);
    }
}
