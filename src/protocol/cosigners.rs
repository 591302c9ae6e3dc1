//! Co-signatures on the wire: each current co-signer as the `cosigners` collection lists it
//! (the boost, with its signer and what it signed), and the ledger's entries.

use serde_json::{Value, json};

use super::{activities::rfc3339, coalition::Coalition, note::statement_url};
use crate::{db::cosign::SignatureRow, domain::ledger::StoredEntry};

/// The public JSON of a current co-signer.
pub fn signer(coalition: &Coalition, s: &SignatureRow) -> Value {
    json!({
        "type": "Announce",
        "id": s.announce_id,
        "actor": {
            "id": s.actor_id,
            "type": s.actor_kind,
            "name": s.actor_name,
            "preferredUsername": s.actor_handle.as_deref().and_then(|h| h.split('@').next()),
            "icon": s.actor_icon.as_ref().map(|u| json!({"type": "Image", "url": u})),
        },
        "object": statement_url(coalition, &s.slug),
        "published": rfc3339(s.signed_at),
        "class": s.class,
        "version": s.version,
        "versionHash": s.version_hash,
        "visibility": s.visibility,
    })
}

/// A ledger entry as published: its place, its hash, the canonical text that was hashed,
/// and that text parsed.
pub fn ledger_item(seq: i64, hash: &str, entry: &str) -> Value {
    let parsed: Value = serde_json::from_str(entry).unwrap_or(Value::Null);
    json!({"seq": seq, "hash": hash, "entry": entry, "parsed": parsed})
}

/// The public JSON of a signatory recorded by the coalition: `"recorded": true` tells it from
/// a fediverse co-signer.
pub fn recorded(coalition: &Coalition, g: &crate::db::signatories::SignatoryRow) -> Value {
    json!({
        "id": format!("{}#signatory-{}", statement_url(coalition, &g.slug), g.n),
        "recorded": true,
        "number": g.n,
        "name": g.name,
        "role": g.role,
        "organisation": g.organisation,
        "kind": g.kind,
        "url": g.link,
        "handle": g.handle.as_ref().map(|h| format!("@{h}")),
        "source": g.source,
        "recordedBy": g.recorded_by,
        "published": rfc3339(g.recorded_at),
        "withdrawn": g.withdrawn_at.map(rfc3339),
    })
}

/// A ledger entry as exported (docs/ledger.md): as published, with the signed request kept
/// beside it, whose SHA-256 the entry records.
pub fn ledger_export_item(e: &StoredEntry) -> Value {
    let mut item = ledger_item(e.seq, &e.hash, &e.entry);
    if let (Some(o), Some(request)) = (item.as_object_mut(), &e.request) {
        o.insert("request".into(), Value::String(request.clone()));
    }
    item
}
