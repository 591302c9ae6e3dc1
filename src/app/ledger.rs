//! The ledgers' signed heads (docs/ledger.md): each is signed in the transaction that appends
//! an entry; the heads of ledgers that predate the key are signed when the key is made; and
//! `tribune cosigners verify` (from the database) and `tribune ledger verify` (from an
//! exported file, offline) check a chain, its kept requests and its head together.

use anyhow::Context;
use chrono::Utc;
use serde_json::Value;

use crate::{
    db::{self, Db, DbError, Tx},
    domain::{
        ledger::{self, Broken, StoredEntry},
        ledger_head::{AssertionKey, Head, ProofError, check_head, public_key_of},
    },
    protocol::{
        coalition::CoalitionUrls,
        cosigners,
        ledger_head::{self as wire, key_id},
    },
    state::AppState,
    transport::keyring,
};

/// Why a ledger does not check out, or could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("no statement {0}")]
    NoStatement(String),
    /// The chain or a kept request: names the entry.
    #[error("broken at {0}")]
    Entry(#[from] Broken),
    /// The signed head: missing, not verifying, or not the chain's end.
    #[error("broken at head: {0}")]
    Head(ProofError),
    #[error("not an exported ledger: {0}")]
    NotAnExport(ProofError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What a check found intact.
#[derive(Debug)]
pub struct Checked {
    pub entries: usize,
    /// The head it verified, if the ledger has entries.
    pub head: Option<Head>,
    pub key_id: String,
    pub public_key_multibase: String,
}

async fn store_head(
    tx: &mut Tx<'_>,
    key: &AssertionKey,
    urls: &CoalitionUrls,
    slug: &str,
    seq: i64,
    hash: &str,
) -> anyhow::Result<()> {
    let signed = head_document(key, urls, slug, seq, hash)?;
    db::ledger_heads::upsert(tx, slug, seq, hash, &signed).await?;
    Ok(())
}

/// The signed head naming entry `seq` (hash `hash`) of the statement's ledger, as stored.
fn head_document(
    key: &AssertionKey,
    urls: &CoalitionUrls,
    slug: &str,
    seq: i64,
    hash: &str,
) -> anyhow::Result<String> {
    let head = Head {
        statement: urls.statement(slug),
        seq,
        hash: hash.to_owned(),
    };
    Ok(wire::sign_head(key, &urls.actor, &head, Utc::now())?.to_string())
}

/// The statement's new head, signed, for the transaction that appends entry `seq` to store
/// (`db::bulk::append_with_head`).
pub fn signed_head(state: &AppState, slug: &str, seq: i64, hash: &str) -> anyhow::Result<String> {
    let c = &state.coalition;
    head_document(&c.assertion_key, &c.urls, slug, seq, hash)
}

/// Sign the statement's new head, entry `seq` with hash `hash`, in the transaction that
/// appended that entry.
pub async fn sign_head(
    tx: &mut Tx<'_>,
    state: &AppState,
    slug: &str,
    seq: i64,
    hash: &str,
) -> anyhow::Result<()> {
    let c = &state.coalition;
    store_head(tx, &c.assertion_key, &c.urls, slug, seq, hash).await
}

/// The coalition's Ed25519 key. The first start that finds none (a new database, or one
/// made before migration 0011) makes it and, in the same transaction, signs the head of
/// every ledger that exists then. After that a missing head is a removed one.
pub async fn adopt_key(db: &Db, urls: &CoalitionUrls) -> anyhow::Result<AssertionKey> {
    let stored = |row: Option<db::local_actor::LocalActorRow>| {
        row.and_then(|r| r.ed25519_private_key_pem)
            .map(|pem| AssertionKey::from_pem(&pem).context("reading the stored Ed25519 key"))
    };
    if let Some(key) = stored(db::local_actor::get(db).await?) {
        return key;
    }
    let pem = keyring::generate_ed25519_pem()
        .map_err(|_| anyhow::anyhow!("generating the coalition's Ed25519 key"))?;
    let key = AssertionKey::from_pem(&pem)?;
    let mut tx = db.begin().await?;
    if db::local_actor::adopt_ed25519(&mut tx, &pem).await? {
        let ends = db::ledger_heads::chain_ends(&mut tx).await?;
        for (slug, seq, hash) in &ends {
            store_head(&mut tx, &key, urls, slug, *seq, hash).await?;
        }
        tx.commit().await?;
        tracing::info!(
            heads = ends.len(),
            "first start with a ledger key: Ed25519 key made, the ledgers' heads signed"
        );
        return Ok(key);
    }
    tx.commit().await?;
    // Another process stored its key first: use that one.
    stored(db::local_actor::get(db).await?).unwrap_or_else(|| {
        Err(anyhow::anyhow!(
            "the Ed25519 key vanished after it was stored"
        ))
    })
}

/// The chain (entries and their kept requests), then the head: its proof verifies with the
/// key, and it names the chain's last entry and hash.
fn check(
    entries: &[StoredEntry],
    signed_head: Option<&Value>,
    statement: &str,
    public_key: &[u8; 32],
    key_id: &str,
) -> Result<Option<Head>, LedgerError> {
    ledger::verify(entries)?;
    let head = signed_head
        .map(|h| wire::open_head(h, public_key, key_id))
        .transpose()
        .map_err(LedgerError::Head)?;
    check_head(head.as_ref(), statement, entries).map_err(LedgerError::Head)?;
    Ok(head)
}

/// `tribune cosigners verify`: the statement's ledger as stored, with the coalition's key.
pub async fn check_stored(state: &AppState, slug: &str) -> Result<Checked, LedgerError> {
    if db::statements::get(&state.db, slug).await?.is_none() {
        return Err(LedgerError::NoStatement(slug.to_owned()));
    }
    let c = &state.coalition;
    let entries = db::cosign::ledger(&state.db, slug).await?;
    let signed = match db::ledger_heads::get(&state.db, slug).await? {
        Some(row) => Some(
            serde_json::from_str::<Value>(&row.signed)
                .map_err(|e| LedgerError::Head(ProofError(format!("not JSON: {e}"))))?,
        ),
        None => None,
    };
    let id = key_id(&c.urls.actor);
    let head = check(
        &entries,
        signed.as_ref(),
        &c.urls.statement(slug),
        &c.assertion_key.public_key(),
        &id,
    )?;
    Ok(Checked {
        entries: entries.len(),
        head,
        key_id: id,
        public_key_multibase: c.assertion_key.multibase(),
    })
}

/// `tribune ledger export`: the statement's whole ledger in one document, kept requests,
/// signed head and key included.
pub async fn export(state: &AppState, slug: &str) -> Result<Value, LedgerError> {
    if db::statements::get(&state.db, slug).await?.is_none() {
        return Err(LedgerError::NoStatement(slug.to_owned()));
    }
    let c = &state.coalition;
    let entries = db::cosign::ledger(&state.db, slug).await?;
    let head = db::ledger_heads::get(&state.db, slug).await?;
    Ok(wire::export(
        &format!("{}/ledger", c.urls.statement(slug)),
        &c.urls.actor,
        &c.assertion_key.multibase(),
        &entries
            .iter()
            .map(cosigners::ledger_export_item)
            .collect::<Vec<_>>(),
        head.as_ref().map(|h| h.signed.as_str()),
    ))
}

/// `tribune ledger verify FILE`: an exported ledger, with no database and no network. The key
/// is the one the file embeds; `expected_key` (a `publicKeyMultibase` the checker got from the
/// actor document or kept) must then be that key.
pub fn check_export(document: &Value, expected_key: Option<&str>) -> Result<Checked, LedgerError> {
    let exported = wire::read_export(document).map_err(LedgerError::NotAnExport)?;
    if let Some(expected) = expected_key
        && expected != exported.public_key_multibase
    {
        public_key_of(expected).map_err(LedgerError::NotAnExport)?;
        return Err(LedgerError::Head(ProofError(format!(
            "the file's key is {}, not the expected {expected}",
            exported.public_key_multibase
        ))));
    }
    let head = check(
        &exported.entries,
        exported.head.as_ref(),
        &exported.statement,
        &exported.public_key,
        &exported.key_id,
    )?;
    Ok(Checked {
        entries: exported.entries.len(),
        head,
        key_id: exported.key_id,
        public_key_multibase: exported.public_key_multibase,
    })
}
