//! Moderation of co-signatures: an admin hides an actor's signatures of a statement (they
//! stay in the ledger, with the reason's hash only), and may lift it. The hiding is a state of
//! (statement, actor), so an un-boost and a new boost do not undo it.

use chrono::{SubsecRound, Utc};

use super::cosign::{CosignError, append, changed};
use crate::{
    db::{self, cosign::SignatureRow, states::LedgerEvent},
    state::AppState,
};

/// Hide a signature (moderation); it stays in the ledger. Returns the hidden Announce ids.
pub async fn hide(
    state: &AppState,
    slug: &str,
    actor_or_announce: &str,
    reason: &str,
) -> Result<Vec<String>, CosignError> {
    let mut tx = state.db.begin().await?;
    let mut sigs: Vec<SignatureRow> = db::cosign::by_announce(&mut tx, actor_or_announce)
        .await?
        .filter(|s| s.slug == slug)
        .into_iter()
        .collect();
    if sigs.is_empty() {
        sigs = db::cosign::active_of(&mut tx, actor_or_announce, Some(slug)).await?;
    }
    db::cosign::lock_statement(&mut tx, slug).await?;
    let at = Utc::now().trunc_subsecs(0);
    let actors: std::collections::BTreeSet<&str> =
        sigs.iter().map(|s| s.actor_id.as_str()).collect();
    for actor in actors {
        db::moderation::hide(&mut tx, slug, actor, reason, at).await?;
    }
    let mut hidden = Vec::new();
    for sig in sigs.iter().filter(|s| s.hidden_at.is_none()) {
        if db::cosign::hide(&mut tx, &sig.announce_id, reason, at).await? {
            append(&mut tx, state, sig, LedgerEvent::Hide, Some(reason), None).await?;
            hidden.push(sig.announce_id.clone());
        }
    }
    if !hidden.is_empty() {
        changed(state, &mut tx, slug).await?;
        // Other processes' cached pages, on PostgreSQL.
        db::deliveries::notify(&mut tx).await?;
    }
    tx.commit().await?;
    if !hidden.is_empty() {
        state.wakeup.notify();
    }
    Ok(hidden)
}

/// Lift the moderation of an actor's signatures of a statement: its current signature is
/// shown again, and its later ones are no longer hidden. Returns the Announce ids shown again.
pub async fn unhide(state: &AppState, slug: &str, actor: &str) -> Result<Vec<String>, CosignError> {
    let mut tx = state.db.begin().await?;
    db::cosign::lock_statement(&mut tx, slug).await?;
    let lifted = db::moderation::lift(&mut tx, slug, actor).await?;
    let mut shown = Vec::new();
    for sig in db::cosign::active_of(&mut tx, actor, Some(slug)).await? {
        if sig.hidden_at.is_some() && db::cosign::unhide(&mut tx, &sig.announce_id).await? {
            append(&mut tx, state, &sig, LedgerEvent::Unhide, None, None).await?;
            shown.push(sig.announce_id);
        }
    }
    if !lifted && shown.is_empty() {
        return Err(CosignError::NotHidden);
    }
    if !shown.is_empty() {
        changed(state, &mut tx, slug).await?;
        db::deliveries::notify(&mut tx).await?;
    }
    tx.commit().await?;
    if !shown.is_empty() {
        state.wakeup.notify();
    }
    Ok(shown)
}
