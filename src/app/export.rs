//! Co-signers as an operator exports them.

use serde_json::{Value, json};

use crate::protocol::note::statement_url;
use crate::{db, state::AppState};

/// One line of the export.
pub fn signer_record(s: &db::cosign::SignatureRow) -> Value {
    json!({
        "actor": s.actor_id,
        "handle": s.actor_handle,
        "name": s.actor_name,
        "type": s.actor_kind,
        "class": s.class,
        "signature": s.counts,
        "visibility": s.visibility,
        "version": s.version,
        "version_hash": s.version_hash,
        "signed_at": s.signed_at,
        "hidden": s.hidden_at.is_some(),
        "hidden_reason": s.hidden_reason,
        "announce": s.announce_id,
        "origin": "fediverse",
    })
}

/// One line of the export for a signatory the coalition recorded.
pub fn recorded_record(state: &AppState, g: &db::signatories::SignatoryRow) -> Value {
    json!({
        "actor": super::signatories::signatory_id(state, &g.slug, g.n),
        "handle": g.handle.as_ref().map(|h| format!("@{h}")),
        "name": g.name,
        "type": g.kind,
        "class": g.kind,
        "signature": true,
        "signed_at": g.recorded_at,
        "hidden": false,
        "origin": "recorded",
        "role": g.role,
        "organisation": g.organisation,
        "source": g.source,
        "recorded_by": g.recorded_by,
    })
}

/// `{"statement", "count", "recorded", "fediverse", "signers"}`: `count` is every current
/// signatory (recorded by the coalition, then visible co-signatures on the fediverse), and
/// `signers` lists the recorded ones first.
pub async fn signers(state: &AppState, slug: &str) -> Result<Option<Value>, db::DbError> {
    if db::statements::get(&state.db, slug).await?.is_none() {
        return Ok(None);
    }
    let rows = db::cosign::current(&state.db, slug, true).await?;
    let tally = db::cosign::tally(&state.db, slug).await?;
    let recorded = db::signatories::all(&state.db, slug).await?;
    let signers: Vec<Value> = recorded
        .iter()
        .filter(|g| g.withdrawn_at.is_none())
        .map(|g| recorded_record(state, g))
        .chain(rows.iter().map(signer_record))
        .collect();
    Ok(Some(json!({
        "statement": statement_url(&state.coalition, slug),
        "count": tally.total(),
        "recorded": tally.recorded,
        "fediverse": tally.signatures,
        "shares": tally.shares,
        "likes": tally.likes,
        "signers": signers,
    })))
}
