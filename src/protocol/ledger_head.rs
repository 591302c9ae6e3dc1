//! The ledger's signed head on the wire (docs/ledger.md): the head document and its
//! `eddsa-jcs-2022` Data Integrity proof (W3C Data Integrity EdDSA Cryptosuites v1.0, as
//! FEP-8b32 uses it), the coalition's key as a FEP-521a Multikey, and the exported ledger
//! that `tribune ledger verify` checks offline.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use url::Url;

use serde::{Deserialize, Serialize};

use super::AS_CONTEXT;
use crate::domain::{
    ledger::StoredEntry,
    ledger_head::{
        AssertionKey, CRYPTOSUITE, Head, PROOF_PURPOSE, PROOF_TYPE, ProofError, proof_value,
        public_key_of, verify_proof_value,
    },
};

/// The W3C Data Integrity context: `DataIntegrityProof`, `proof`, `assertionMethod`.
pub const DATA_INTEGRITY_CONTEXT: &str = "https://w3id.org/security/data-integrity/v2";
/// FEP-521a's `Multikey` and `publicKeyMultibase`.
pub const MULTIKEY_CONTEXT: &str = "https://w3id.org/security/multikey/v1";
/// The head document's type (tribune's own term; a JCS proof signs the JSON as it is).
pub const HEAD_TYPE: &str = "LedgerHead";

/// A FEP-521a key: `id`, `type` `Multikey`, `controller` (the actor), `publicKeyMultibase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Multikey {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub controller: String,
    pub public_key_multibase: String,
}

/// The Ed25519 key's id: `<actor>#ed25519-key`, the proofs' `verificationMethod`.
pub fn key_id(actor: &Url) -> String {
    format!("{actor}#ed25519-key")
}

/// The coalition's Ed25519 key as its actor document lists it in `assertionMethod`.
pub fn multikey(actor: &Url, public_key_multibase: &str) -> Multikey {
    Multikey {
        id: key_id(actor),
        kind: "Multikey".into(),
        controller: actor.to_string(),
        public_key_multibase: public_key_multibase.to_owned(),
    }
}

/// The unsecured head: `{@context, type, statement, seq, hash}`.
pub fn head_document(head: &Head) -> Value {
    json!({
        "@context": [AS_CONTEXT, DATA_INTEGRITY_CONTEXT],
        "type": HEAD_TYPE,
        "statement": head.statement,
        "seq": head.seq,
        "hash": head.hash,
    })
}

/// The head with its proof ("Create Proof (eddsa-jcs-2022)"): the proof options, given the
/// document's `@context`, are the proof configuration; `proofValue` is added last.
pub fn sign_head(
    key: &AssertionKey,
    actor: &Url,
    head: &Head,
    created: DateTime<Utc>,
) -> Result<Value, ProofError> {
    let mut document = head_document(head);
    let mut proof = json!({
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": key_id(actor),
        "proofPurpose": PROOF_PURPOSE,
        "created": created.to_rfc3339_opts(SecondsFormat::Secs, true),
        "@context": document["@context"].clone(),
    });
    proof["proofValue"] = Value::String(proof_value(key, &proof, &document)?);
    document["proof"] = proof;
    Ok(document)
}

fn as_list(context: &Value) -> Vec<Value> {
    match context {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// Verify a signed head ("Verify Proof (eddsa-jcs-2022)") with the key `verification_method`
/// names, and return what it vouches for.
pub fn open_head(
    signed: &Value,
    public_key: &[u8; 32],
    verification_method: &str,
) -> Result<Head, ProofError> {
    let fail = |why: &str| ProofError(why.to_owned());
    let mut unsecured = signed
        .as_object()
        .cloned()
        .ok_or_else(|| fail("it is not a JSON object"))?;
    let Some(Value::Object(mut options)) = unsecured.shift_remove("proof") else {
        return Err(fail("it has no proof"));
    };
    let Some(Value::String(value)) = options.shift_remove("proofValue") else {
        return Err(fail("its proof has no proofValue"));
    };
    if options.get("verificationMethod").and_then(Value::as_str) != Some(verification_method) {
        return Err(ProofError(format!(
            "its proof names the key {}, not {verification_method}",
            options.get("verificationMethod").unwrap_or(&Value::Null)
        )));
    }
    if options.get("proofPurpose").and_then(Value::as_str) != Some(PROOF_PURPOSE) {
        return Err(fail("its proof's purpose is not assertionMethod"));
    }
    if let Some(context) = options.get("@context") {
        let document_context = unsecured.get("@context").map(as_list).unwrap_or_default();
        if !document_context.starts_with(&as_list(context)) {
            return Err(fail(
                "its @context does not start with its proof's @context",
            ));
        }
        unsecured.insert("@context".into(), context.clone());
    }
    let document = Value::Object(unsecured);
    verify_proof_value(public_key, &Value::Object(options), &document, &value)?;
    if document["type"] != HEAD_TYPE {
        return Err(fail("it is not a LedgerHead"));
    }
    match (
        document["statement"].as_str(),
        document["seq"].as_i64(),
        document["hash"].as_str(),
    ) {
        (Some(statement), Some(seq), Some(hash)) => Ok(Head {
            statement: statement.to_owned(),
            seq,
            hash: hash.to_owned(),
        }),
        _ => Err(fail("it lacks its statement, seq or hash")),
    }
}

/// A collection's top with the statement's signed head, as stored, in `head`.
pub fn with_head(collection: Value, signed_head: Option<&str>) -> Value {
    let mut collection = collection;
    if let (Some(o), Some(text)) = (collection.as_object_mut(), signed_head)
        && let Ok(head) = serde_json::from_str::<Value>(text)
    {
        o.insert("head".into(), head);
    }
    collection
}

/// The whole ledger in one document, for `tribune ledger verify`: the collection as served
/// with every item inline (`cosigners::ledger_export_item`), the signed head, and the key.
pub fn export(
    ledger_id: &str,
    actor: &Url,
    public_key_multibase: &str,
    items: &[Value],
    signed_head: Option<&str>,
) -> Value {
    let document = json!({
        "@context": [AS_CONTEXT, DATA_INTEGRITY_CONTEXT, MULTIKEY_CONTEXT],
        "id": ledger_id,
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
        "assertionMethod": [multikey(actor, public_key_multibase)],
    });
    with_head(document, signed_head)
}

/// An exported ledger, read back.
#[derive(Debug)]
pub struct Exported {
    pub statement: String,
    pub entries: Vec<StoredEntry>,
    pub head: Option<Value>,
    pub key_id: String,
    pub public_key_multibase: String,
    pub public_key: [u8; 32],
}

/// Read what `export` wrote. A paged collection (items not inline) is refused.
pub fn read_export(document: &Value) -> Result<Exported, ProofError> {
    let fail = |why: String| ProofError(why);
    let statement = document["id"]
        .as_str()
        .and_then(|id| id.strip_suffix("/ledger"))
        .ok_or_else(|| fail("its id is not a statement's ledger".into()))?;
    let Some(items) = document["orderedItems"].as_array() else {
        return Err(fail(
            "it has no orderedItems (a paged collection: make the file with `tribune ledger export`)"
                .into(),
        ));
    };
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let text = |field: &str| item[field].as_str().map(str::to_owned);
        match (item["seq"].as_i64(), text("hash"), text("entry")) {
            (Some(seq), Some(hash), Some(entry)) => entries.push(StoredEntry {
                seq,
                entry,
                hash,
                request: text("request"),
            }),
            _ => return Err(fail(format!("item {} lacks its seq, hash or entry", i + 1))),
        }
    }
    let key: &Map<String, Value> = document["assertionMethod"]
        .as_array()
        .and_then(|keys| keys.iter().find_map(Value::as_object))
        .ok_or_else(|| fail("it embeds no key in assertionMethod".into()))?;
    let key_id = key.get("id").and_then(Value::as_str);
    let multibase = key.get("publicKeyMultibase").and_then(Value::as_str);
    let (Some(key_id), Some(multibase)) = (key_id, multibase) else {
        return Err(fail("its key lacks an id or a publicKeyMultibase".into()));
    };
    Ok(Exported {
        statement: statement.to_owned(),
        entries,
        head: document.get("head").filter(|h| !h.is_null()).cloned(),
        key_id: key_id.to_owned(),
        public_key_multibase: multibase.to_owned(),
        public_key: public_key_of(multibase)?,
    })
}
