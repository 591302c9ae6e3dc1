//! Boosts become co-signatures (docs/interop.md §4).
//!
//! An `Announce` of one of our statements is recorded with who signed, which version, and
//! the boost's visibility; `Undo{Announce}` and the actor's `Delete` withdraw it; an admin may
//! hide it. Each of these is appended to the statement's hash-chained ledger, with the signed
//! request kept for audit. `Like` is support: counted, not a signature.

use chrono::{SecondsFormat, SubsecRound, Utc};

use super::{
    Received,
    outbox::{self, Listed},
};
use crate::{
    db::{self, Tx, cosign::SignatureRow, states::LedgerEvent},
    domain::ledger::{GENESIS, LedgerEntry, sha256_hex},
    state::AppState,
};
use crate::{
    protocol::{
        activities::Kind,
        incoming::Undone,
        note::{self as wire, Counts},
    },
    util::now_ms,
};

/// Why recording a co-signature, a like or a moderation failed.
#[derive(Debug, thiserror::Error)]
pub enum CosignError {
    #[error("this actor's signatures of this statement are not hidden")]
    NotHidden,
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<serde_json::Error> for CosignError {
    fn from(e: serde_json::Error) -> Self {
        CosignError::Internal(e.into())
    }
}

/// A boost of one of our statements, by a verified actor.
#[derive(Debug, Clone, Copy)]
pub struct Boost<'a> {
    /// The Announce's id.
    pub id: &'a str,
    pub actor: &'a str,
    /// What it boosts.
    pub object: Option<&'a str>,
    /// Public or unlisted (as:Public in `to` or `cc`), else followers-only.
    pub public: bool,
    /// The signed request as received, kept in the ledger for audit.
    pub evidence: Option<&'a str>,
}

/// An `Undo` by a verified actor of a boost or like: what it names, and the signed request.
#[derive(Debug, Clone, Copy)]
pub struct Undo<'a> {
    pub actor: &'a str,
    pub undone: &'a Undone,
    pub evidence: Option<&'a str>,
}

/// A like of one of our statements.
#[derive(Debug, Clone, Copy)]
pub struct Like<'a> {
    pub id: &'a str,
    pub actor: &'a str,
    pub object: Option<&'a str>,
}

/// The slug of one of our statements' ids, `BASE/statements/SLUG`.
pub fn our_slug<'a>(state: &AppState, object_id: &'a str) -> Option<&'a str> {
    let prefix = state.coalition.urls.base.join("/statements/");
    object_id
        .strip_prefix(prefix.as_str())
        .filter(|s| !s.is_empty() && !s.contains(['/', '?', '#']))
}

/// The organisation types: Mastodon treats Organization as a person, but for a coalition an
/// association's account is an organisation whatever the server calls it.
pub(super) const ORGANISATION_TYPES: [&str; 4] =
    ["Group", "Organization", "Service", "Application"];

pub(super) async fn append(
    tx: &mut Tx<'_>,
    state: &AppState,
    sig: &SignatureRow,
    event: LedgerEvent,
    reason: Option<&str>,
    request: Option<&str>,
) -> Result<(), CosignError> {
    let entry = entry_for(state, sig, event, reason, request);
    append_entries(tx, state, &sig.slug, vec![(entry, request)]).await
}

/// The ledger entry recording `event` on a signature; its place is set when appended.
pub(super) fn entry_for(
    state: &AppState,
    sig: &SignatureRow,
    event: LedgerEvent,
    reason: Option<&str>,
    request: Option<&str>,
) -> LedgerEntry {
    let sign = event == LedgerEvent::Sign;
    LedgerEntry {
        seq: 0,
        statement: wire::statement_url(&state.coalition, &sig.slug),
        event: event.as_str().to_owned(),
        at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        actor: sig.actor_id.clone(),
        announce: sig.announce_id.clone(),
        version: sign.then_some(sig.version),
        version_hash: sign.then(|| sig.version_hash.clone()),
        visibility: sign.then(|| sig.visibility.as_str().to_owned()),
        class: sign.then(|| sig.class.as_str().to_owned()),
        counts: sign.then_some(sig.counts),
        reason: None,
        request_sha256: request.map(|r| sha256_hex(r.as_bytes())),
        // The public ledger binds the moderation reason by its hash; the text stays with the
        // admins (docs/interop.md §4).
        reason_sha256: reason.map(|r| sha256_hex(r.as_bytes())),
        signatory: None,
        by: None,
        source: None,
        prev: String::new(),
    }
}

/// Append `entry` to the statement's ledger: its place and the previous entry's hash are set
/// here, under the statement's lock.
pub(super) async fn append_entry(
    tx: &mut Tx<'_>,
    state: &AppState,
    slug: &str,
    entry: LedgerEntry,
    request: Option<&str>,
) -> Result<(), CosignError> {
    append_entries(tx, state, slug, vec![(entry, request)]).await
}

/// Append entries, in order, to the statement's ledger, each with the request it keeps: their
/// places and chain are set here, under the statement's lock, and the new head is signed once.
pub(super) async fn append_entries(
    tx: &mut Tx<'_>,
    state: &AppState,
    slug: &str,
    entries: Vec<(LedgerEntry, Option<&str>)>,
) -> Result<(), CosignError> {
    if entries.is_empty() {
        return Ok(());
    }
    let (rows, seq, hash) = chain(tx, slug, entries).await?;
    db::bulk::append_entries(tx, slug, &rows).await?;
    // The new head, signed in the same transaction (docs/ledger.md).
    super::ledger::sign_head(tx, state, slug, seq, &hash).await?;
    Ok(())
}

/// `append_entries`, then `changed`: what a batch of boosts of one statement ends with,
/// written in as few round trips as the backend allows (`db::bulk::append_with_head`).
/// `last` is the ledger's last entry (place and hash), read under the statement's lock in
/// this transaction (`db::statements::get_with_head_in`).
pub(super) async fn append_and_refresh(
    tx: &mut Tx<'_>,
    state: &AppState,
    slug: &str,
    last: Option<(i64, String)>,
    entries: Vec<(LedgerEntry, Option<&str>)>,
) -> Result<(), CosignError> {
    if entries.is_empty() {
        return changed(state, tx, slug).await;
    }
    let (rows, seq, hash) = chain_after(last, entries);
    let signed = super::ledger::signed_head(state, slug, seq, &hash)?;
    let head = db::bulk::NewHead {
        seq,
        hash: &hash,
        signed: &signed,
    };
    db::bulk::append_with_head(tx, slug, &rows, &head, refresh_due_ms(state)).await?;
    Ok(())
}

/// The entries' places and chain, set under the statement's lock after its last entry; with
/// the new last place and hash.
async fn chain<'a>(
    tx: &mut Tx<'_>,
    slug: &str,
    entries: Vec<(LedgerEntry, Option<&'a str>)>,
) -> Result<(Vec<db::bulk::NewEntry<'a>>, i64, String), CosignError> {
    db::cosign::lock_statement(tx, slug).await?;
    let last = db::cosign::last_entry(tx, slug).await?;
    Ok(chain_after(last, entries))
}

/// The entries' places and chain after the ledger's `last` entry (none: the genesis).
fn chain_after<'a>(
    last: Option<(i64, String)>,
    entries: Vec<(LedgerEntry, Option<&'a str>)>,
) -> (Vec<db::bulk::NewEntry<'a>>, i64, String) {
    let (mut seq, mut prev) = last.unwrap_or_else(|| (0, GENESIS.to_owned()));
    let mut rows = Vec::with_capacity(entries.len());
    for (mut entry, request) in entries {
        seq += 1;
        entry.seq = seq;
        entry.prev = prev;
        let text = entry.canonical();
        let hash = sha256_hex(text.as_bytes());
        prev = hash.clone();
        rows.push(db::bulk::NewEntry {
            seq,
            text,
            hash,
            request,
        });
    }
    (rows, seq, prev)
}

/// When a count refresh asked for now is due: changes that come together are announced
/// together.
fn refresh_due_ms(state: &AppState) -> i64 {
    let debounce =
        i64::try_from(state.settings.cosign.refresh_debounce_seconds * 1000).unwrap_or(i64::MAX);
    now_ms().saturating_add(debounce)
}

pub(super) async fn changed(
    state: &AppState,
    tx: &mut Tx<'_>,
    slug: &str,
) -> Result<(), CosignError> {
    db::cosign::request_refresh(tx, slug, refresh_due_ms(state)).await?;
    Ok(())
}

async fn withdraw(
    state: &AppState,
    tx: &mut Tx<'_>,
    sig: &SignatureRow,
    request: Option<&str>,
) -> Result<(), CosignError> {
    if db::cosign::withdraw(tx, &sig.announce_id, Utc::now().trunc_subsecs(0)).await? {
        append(tx, state, sig, LedgerEvent::Withdraw, None, request).await?;
        changed(state, tx, &sig.slug).await?;
    }
    Ok(())
}

/// `Undo{Announce}`: the Announce embedded or by id (Pleroma and Akkoma send the id).
pub async fn undo_announce(
    state: &AppState,
    tx: &mut Tx<'_>,
    undo: Undo<'_>,
) -> Result<Received, CosignError> {
    let actor = undo.actor;
    let mut found = match undo.undone.id() {
        Some(id) => db::cosign::by_announce(tx, id)
            .await?
            .filter(|s| s.actor_id == actor && s.withdrawn_at.is_none())
            .into_iter()
            .collect::<Vec<_>>(),
        None => Vec::new(),
    };
    // An embedded Announce whose id we do not know: the actor's boosts of that statement.
    if found.is_empty()
        && let Some(slug) = undo.undone.object().and_then(|o| our_slug(state, o))
    {
        found = db::cosign::active_of(tx, actor, Some(slug)).await?;
    }
    if found.is_empty() {
        return Ok(Received::Ignored("an Undo of no boost we know"));
    }
    withdraw_all(state, tx, found, undo.evidence).await?;
    Ok(Received::Applied)
}

/// Withdraw signatures, locking their statements in one order (slug) so that concurrent
/// withdrawals cannot deadlock.
async fn withdraw_all(
    state: &AppState,
    tx: &mut Tx<'_>,
    mut sigs: Vec<SignatureRow>,
    request: Option<&str>,
) -> Result<(), CosignError> {
    sigs.sort_by(|a, b| a.slug.cmp(&b.slug));
    for sig in &sigs {
        db::cosign::lock_statement(tx, &sig.slug).await?;
    }
    for sig in &sigs {
        withdraw(state, tx, sig, request).await?;
    }
    Ok(())
}

/// The actor's account is gone: all its signatures are withdrawn, its likes removed.
pub async fn actor_deleted(
    state: &AppState,
    tx: &mut Tx<'_>,
    actor: &str,
    evidence: Option<&str>,
) -> Result<(), CosignError> {
    let sigs = db::cosign::active_of(tx, actor, None).await?;
    withdraw_all(state, tx, sigs, evidence).await?;
    for slug in db::cosign::remove_likes(tx, actor, None, None).await? {
        changed(state, tx, &slug).await?;
    }
    Ok(())
}

pub async fn like(
    state: &AppState,
    tx: &mut Tx<'_>,
    like: Like<'_>,
) -> Result<Received, CosignError> {
    let Some(slug) = like.object.and_then(|o| our_slug(state, o)) else {
        return Ok(Received::Ignored("a Like of something that is not ours"));
    };
    db::cosign::lock_statement(tx, slug).await?;
    match db::statements::get_in(tx, slug).await? {
        Some(s) if s.deleted_at.is_none() => {}
        _ => return Ok(Received::Ignored("a Like of no live statement of ours")),
    }
    if db::cosign::insert_like(tx, like.id, slug, like.actor).await? {
        changed(state, tx, slug).await?;
    }
    Ok(Received::Applied)
}

/// `Undo{Like}`: the Like embedded or by id (Pleroma and Akkoma send the id). The like is
/// found by its id, else by the statement it names; each statement that lost one gets its
/// count refreshed.
pub async fn undo_like(
    state: &AppState,
    tx: &mut Tx<'_>,
    undo: Undo<'_>,
) -> Result<Received, CosignError> {
    let slug = undo.undone.object().and_then(|o| our_slug(state, o));
    let mut removed = match undo.undone.id() {
        Some(id) => db::cosign::remove_likes(tx, undo.actor, Some(id), None).await?,
        None => Vec::new(),
    };
    if removed.is_empty()
        && let Some(slug) = slug
    {
        removed = db::cosign::remove_likes(tx, undo.actor, None, Some(slug)).await?;
    }
    if removed.is_empty() {
        return Ok(Received::Ignored("an Undo of no like we know"));
    }
    removed.sort();
    removed.dedup();
    for slug in &removed {
        changed(state, tx, slug).await?;
    }
    Ok(Received::Applied)
}

pub async fn counts(state: &AppState, slug: &str) -> Result<Counts, db::DbError> {
    let t = db::cosign::tally(&state.db, slug).await?;
    Ok(Counts {
        shares: t.shares,
        likes: t.likes,
    })
}

/// Send the due count refreshes: an `Update` of the Note whose `updated` is unchanged, so
/// Mastodon takes the new `shares`/`likes` totals without an "edited" mark
/// (docs/interop.md §4).
pub async fn send_due_refreshes(state: &AppState) -> Result<usize, anyhow::Error> {
    let now = now_ms();
    let mut sent = 0;
    for slug in db::cosign::due_refreshes(&state.db, now).await? {
        let mut tx = state.db.begin().await?;
        if !db::cosign::take_refresh(&mut tx, &slug, now).await? {
            continue;
        }
        let Some(row) = db::statements::get_in(&mut tx, &slug).await? else {
            continue;
        };
        if row.deleted_at.is_some() {
            tx.commit().await?;
            continue;
        }
        let note = wire::note(&state.coalition, &row, counts(state, &slug).await?)?;
        let at = row.updated_at.unwrap_or(row.published_at);
        let update = wire::wrap(&state.coalition, Kind::Update, note, at);
        outbox::to_followers(&mut tx, &update, Listed::NotListed).await?;
        tx.commit().await?;
        sent += 1;
    }
    if sent > 0 {
        state.wakeup.notify();
    }
    Ok(sent)
}
