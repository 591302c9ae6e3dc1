//! Signatories gathered off the fediverse: recorded by the coalition (statement file, CLI,
//! admin API), each an entry of the statement's ledger (`record`), removed by a withdrawal
//! entry, never deleted. A recorded signatory who boosts from the handle given stays one
//! signatory (`db::cosign::RECORDED_HANDLE`).

use chrono::{SecondsFormat, SubsecRound, Utc};

use super::cosign::{CosignError, append_entry};
use crate::{
    db::{self, Tx, signatories::SignatoryRow},
    domain::{
        ledger::LedgerEntry,
        signatories::{Signatory, SignatoryError, identity},
    },
    protocol::note::statement_url,
    state::AppState,
};

#[derive(Debug, thiserror::Error)]
pub enum SignatoriesError {
    #[error("no statement {0}")]
    NoStatement(String),
    #[error("the statement {0} is deleted")]
    Deleted(String),
    #[error(transparent)]
    Invalid(#[from] SignatoryError),
    #[error("signatory {line} is already recorded as number {n} ({name})")]
    AlreadyRecorded { line: usize, n: i64, name: String },
    #[error("no current signatory number {0}")]
    NoSignatory(i64),
    #[error(transparent)]
    Cosign(#[from] CosignError),
}

impl From<db::DbError> for SignatoriesError {
    fn from(e: db::DbError) -> Self {
        SignatoriesError::Cosign(e.into())
    }
}

/// Who records, and on what evidence.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    /// The admin command, the admin API, the statement file.
    pub by: &'a str,
    /// Where the signatures were published, if anywhere.
    pub source: Option<&'a str>,
    /// Signatories already recorded (same name and organisation) are skipped rather than
    /// refused: a statement file read again records only its new names.
    pub skip_known: bool,
}

/// The id of a recorded signatory in the ledger and on the page.
pub fn signatory_id(state: &AppState, slug: &str, n: i64) -> String {
    format!("{}#signatory-{n}", statement_url(&state.coalition, slug))
}

async fn live_statement(tx: &mut Tx<'_>, slug: &str) -> Result<(), SignatoriesError> {
    db::cosign::lock_statement(tx, slug).await?;
    match db::statements::get_in(tx, slug).await? {
        None => Err(SignatoriesError::NoStatement(slug.to_owned())),
        Some(s) if s.deleted_at.is_some() => Err(SignatoriesError::Deleted(slug.to_owned())),
        Some(_) => Ok(()),
    }
}

fn entry(state: &AppState, slug: &str, n: i64, event: &str, by: &str) -> LedgerEntry {
    LedgerEntry {
        seq: 0,
        statement: statement_url(&state.coalition, slug),
        event: event.to_owned(),
        at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        actor: signatory_id(state, slug, n),
        announce: String::new(),
        version: None,
        version_hash: None,
        visibility: None,
        class: None,
        counts: None,
        reason: None,
        request_sha256: None,
        reason_sha256: None,
        signatory: None,
        by: Some(by.to_owned()),
        source: None,
        prev: String::new(),
    }
}

/// Record `list` (checked already) in the caller's transaction; returns the numbers given.
/// Lines in errors count from 1 in `list`.
pub async fn record_in(
    state: &AppState,
    tx: &mut Tx<'_>,
    slug: &str,
    list: &[Signatory],
    how: Recording<'_>,
) -> Result<Vec<i64>, SignatoriesError> {
    live_statement(tx, slug).await?;
    let known = db::signatories::current_in(tx, slug).await?;
    let at = Utc::now().trunc_subsecs(0);
    let mut numbers = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let same = |k: &&SignatoryRow| {
            let row = (
                k.name.to_lowercase(),
                k.organisation.as_deref().unwrap_or_default().to_lowercase(),
            );
            row == identity(s) || (s.handle.is_some() && k.handle == s.handle)
        };
        if let Some(k) = known.iter().find(same) {
            if how.skip_known {
                continue;
            }
            return Err(SignatoriesError::AlreadyRecorded {
                line: i + 1,
                n: k.n,
                name: k.name.clone(),
            });
        }
        let n = db::signatories::insert(tx, slug, s, how.source, how.by, at).await?;
        let mut e = entry(state, slug, n, "record", how.by);
        e.signatory = Some(s.clone());
        e.source = how.source.map(str::to_owned);
        append_entry(tx, state, slug, e, None).await?;
        numbers.push(n);
    }
    if !numbers.is_empty() {
        // Cached pages of other processes (PostgreSQL); the Note's counts are the
        // fediverse's and do not change.
        db::deliveries::notify(tx).await?;
    }
    Ok(numbers)
}

/// Record `list` in a transaction of its own: all or nothing.
pub async fn record(
    state: &AppState,
    slug: &str,
    list: &[Signatory],
    how: Recording<'_>,
) -> Result<Vec<i64>, SignatoriesError> {
    let mut tx = state.db.begin().await?;
    let numbers = record_in(state, &mut tx, slug, list, how).await?;
    tx.commit().await?;
    state.wakeup.notify();
    Ok(numbers)
}

/// Withdraw the recorded signatory number `n`: a withdrawal entry, the row kept.
pub async fn remove(
    state: &AppState,
    slug: &str,
    n: i64,
    by: &str,
) -> Result<(), SignatoriesError> {
    let mut tx = state.db.begin().await?;
    live_statement(&mut tx, slug).await?;
    let at = Utc::now().trunc_subsecs(0);
    if !db::signatories::withdraw(&mut tx, slug, n, by, at).await? {
        return Err(SignatoriesError::NoSignatory(n));
    }
    append_entry(
        &mut tx,
        state,
        slug,
        entry(state, slug, n, "withdraw", by),
        None,
    )
    .await?;
    db::deliveries::notify(&mut tx).await?;
    tx.commit().await?;
    state.wakeup.notify();
    Ok(())
}
