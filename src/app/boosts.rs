//! Boosts become co-signatures (docs/interop.md §4), many at once: the Announces the inbox
//! applies in one transaction are checked and stored in a few statements per statement
//! boosted, whatever their number, with the same outcome each would have had alone.
//!
//! Each is recorded with who signed, which version, and the boost's visibility, and appended
//! to the statement's hash-chained ledger with the signed request kept for audit.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{SubsecRound, Utc};

use super::{
    Received,
    cosign::{Boost, CosignError, ORGANISATION_TYPES, append_and_refresh, entry_for, our_slug},
};
use crate::{
    config::CosignAccept,
    db::{
        self, Tx,
        bulk::Signer,
        cosign::SignatureRow,
        statements::StatementRow,
        states::{LedgerEvent, SignerClass, Visibility},
    },
    state::AppState,
};

/// Apply boosts by verified actors (their ids recorded as received already); one outcome
/// each, in order. An error leaves the transaction to be rolled back (to a savepoint).
pub async fn announce_many(
    state: &AppState,
    tx: &mut Tx<'_>,
    boosts: &[Boost<'_>],
) -> Result<Vec<Received>, CosignError> {
    let mut outcomes: Vec<Option<Received>> = vec![None; boosts.len()];
    // Statements in the order of their slugs, so that two processes applying boosts of the
    // same two statements never wait on each other's locks (PostgreSQL).
    let mut by_slug: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, boost) in boosts.iter().enumerate() {
        let Some(object) = boost.object else {
            outcomes[i] = Some(Received::Ignored("an Announce of nothing"));
            continue;
        };
        match our_slug(state, object) {
            Some(slug) => by_slug.entry(slug).or_default().push(i),
            None => {
                outcomes[i] = Some(Received::Ignored(
                    "an Announce of something that is not ours",
                ))
            }
        }
    }
    for (slug, waiting) in by_slug {
        let done = of_statement(state, tx, slug, boosts, waiting).await?;
        for (i, outcome) in done {
            outcomes[i] = Some(outcome);
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Received::Ignored("an Announce not applied")))
        .collect())
}

/// The boosts (by index) of one statement.
async fn of_statement(
    state: &AppState,
    tx: &mut Tx<'_>,
    slug: &str,
    boosts: &[Boost<'_>],
    mut waiting: Vec<usize>,
) -> Result<Vec<(usize, Received)>, CosignError> {
    let mut outcomes = Vec::with_capacity(waiting.len());
    // Lock first: the inserts below take key-share locks on the statement row, and taking
    // them before the ledger's lock would let two boosts deadlock on PostgreSQL.
    db::cosign::lock_statement(tx, slug).await?;
    let refused = match db::statements::get_with_head_in(tx, slug).await? {
        None => Some("an Announce of no statement of ours"),
        Some((s, _)) if s.deleted_at.is_some() => Some("an Announce of a deleted statement"),
        Some((statement, last)) => {
            let signed = sign(state, tx, &statement, boosts, &mut waiting, &mut outcomes).await?;
            record(state, tx, slug, last, boosts, signed, &mut outcomes).await?;
            None
        }
    };
    if let Some(reason) = refused {
        outcomes.extend(waiting.into_iter().map(|i| (i, Received::Ignored(reason))));
    }
    Ok(outcomes)
}

/// A signature stored now: its boost's index, and why an admin hid its actor's signatures of
/// the statement, if one did (moderation outlives an un-boost and a new boost).
struct Signed {
    i: usize,
    sig: SignatureRow,
    moderated: Option<String>,
}

/// Store a signature for each boost whose actor has none current of the statement; returns
/// those stored now.
async fn sign(
    state: &AppState,
    tx: &mut Tx<'_>,
    statement: &StatementRow,
    boosts: &[Boost<'_>],
    waiting: &mut Vec<usize>,
    outcomes: &mut Vec<(usize, Received)>,
) -> Result<Vec<Signed>, CosignError> {
    let slug = statement.slug.as_str();
    let mut ids: Vec<&str> = waiting.iter().map(|&i| boosts[i].actor).collect();
    ids.sort_unstable();
    ids.dedup();
    let signers: HashMap<String, Signer> = db::bulk::signers_among(tx, slug, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let mut signing: HashSet<String> = signers
        .values()
        .filter(|a| a.signing)
        .map(|a| a.id.clone())
        .collect();
    let mut signed = Vec::new();
    // One current signature per statement and actor: a second boost (another Announce id)
    // changes nothing. Of one actor's boosts in the same batch, the first stored counts;
    // the next is tried only if that one turns out to be stored already.
    while !waiting.is_empty() {
        let mut rows = Vec::new();
        let mut this_round: HashSet<&str> = HashSet::new();
        let mut later = Vec::new();
        for i in std::mem::take(waiting) {
            let actor_id = boosts[i].actor;
            if signing.contains(actor_id) {
                outcomes.push((
                    i,
                    Received::Ignored("the actor has signed this statement already"),
                ));
            } else if !this_round.insert(actor_id) {
                later.push(i);
            } else {
                let actor = signers.get(actor_id).ok_or_else(|| {
                    CosignError::Internal(anyhow::anyhow!("the verified actor is not stored"))
                })?;
                rows.push((
                    i,
                    signature(state, statement, &boosts[i], actor),
                    actor.moderated.clone(),
                ));
            }
        }
        let sigs: Vec<SignatureRow> = rows.iter().map(|(_, s, _)| s.clone()).collect();
        let stored = db::bulk::insert_signatures(tx, &sigs).await?;
        for (i, sig, moderated) in rows {
            if stored.contains(&sig.announce_id) {
                signing.insert(sig.actor_id.clone());
                signed.push(Signed { i, sig, moderated });
            } else {
                outcomes.push((i, Received::Duplicate));
            }
        }
        *waiting = later;
    }
    Ok(signed)
}

/// The signature a boost makes.
fn signature(
    state: &AppState,
    statement: &StatementRow,
    boost: &Boost<'_>,
    actor: &Signer,
) -> SignatureRow {
    let class = if actor.member {
        SignerClass::Member
    } else if ORGANISATION_TYPES.contains(&actor.kind.as_str()) {
        SignerClass::Organisation
    } else {
        SignerClass::Person
    };
    let counts = match state.settings.cosign.accept {
        CosignAccept::Anyone => true,
        CosignAccept::Organisations => class != SignerClass::Person,
        CosignAccept::Members => class == SignerClass::Member,
    };
    SignatureRow {
        announce_id: boost.id.to_owned(),
        slug: statement.slug.clone(),
        actor_id: actor.id.clone(),
        actor_kind: actor.kind.clone(),
        actor_name: actor.name.clone(),
        actor_handle: actor
            .preferred_username
            .as_ref()
            .map(|u| format!("{u}@{}", actor.host)),
        actor_icon: actor.icon_url.clone(),
        actor_host: actor.host.clone(),
        class,
        counts,
        visibility: if boost.public {
            Visibility::Public
        } else {
            Visibility::Followers
        },
        version: statement.current_version,
        version_hash: statement.version_hash.clone(),
        signed_at: Utc::now().trunc_subsecs(0),
        withdrawn_at: None,
        hidden_at: None,
        hidden_reason: None,
    }
}

/// The ledger entries of the new signatures (each followed by its hiding, when an admin
/// moderated its actor for this statement), after the ledger's `last` entry, and a count
/// refresh.
async fn record(
    state: &AppState,
    tx: &mut Tx<'_>,
    slug: &str,
    last: Option<(i64, String)>,
    boosts: &[Boost<'_>],
    signed: Vec<Signed>,
    outcomes: &mut Vec<(usize, Received)>,
) -> Result<(), CosignError> {
    if signed.is_empty() {
        return Ok(());
    }
    let mut entries = Vec::with_capacity(signed.len());
    for Signed { i, sig, moderated } in &signed {
        let evidence = boosts[*i].evidence;
        entries.push((
            entry_for(state, sig, LedgerEvent::Sign, None, evidence),
            evidence,
        ));
        if let Some(reason) = moderated {
            let at = Utc::now().trunc_subsecs(0);
            if db::cosign::hide(tx, &sig.announce_id, reason, at).await? {
                let hide = entry_for(state, sig, LedgerEvent::Hide, Some(reason), None);
                entries.push((hide, None));
            }
        }
        outcomes.push((*i, Received::Applied));
    }
    append_and_refresh(tx, state, slug, last, entries).await
}
