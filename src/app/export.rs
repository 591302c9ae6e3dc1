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
    })
}

/// `{"statement", "count", "signers"}`: `count` is the visible co-signatures.
pub async fn signers(state: &AppState, slug: &str) -> Result<Option<Value>, db::DbError> {
    if db::statements::get(&state.db, slug).await?.is_none() {
        return Ok(None);
    }
    let rows = db::cosign::current(&state.db, slug, true).await?;
    let tally = db::cosign::tally(&state.db, slug).await?;
    Ok(Some(json!({
        "statement": statement_url(&state.coalition, slug),
        "count": tally.signatures,
        "shares": tally.shares,
        "likes": tally.likes,
        "signers": rows.iter().map(signer_record).collect::<Vec<_>>(),
    })))
}
