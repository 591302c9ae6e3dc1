//! The coalition's actor document as Mastodon reads it (docs/interop.md §1).

use activitypub_federation::protocol::public_key::PublicKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::ledger_head::{DATA_INTEGRITY_CONTEXT, MULTIKEY_CONTEXT, Multikey};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupActor {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub preferred_username: String,
    /// FEP-2c59: the canonical handle, which Mastodon 4.6+ prefers to `preferredUsername`.
    pub webfinger: String,
    pub name: String,
    pub summary: String,
    pub url: Url,
    pub inbox: Url,
    pub outbox: Url,
    pub followers: Url,
    pub following: Url,
    pub featured: Url,
    /// The roster of member organisations (tribune's own term; other servers ignore it).
    pub members: Url,
    pub endpoints: Endpoints,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub published: DateTime<Utc>,
    /// Must be an `Image` object: a bare URL string gives no avatar on Mastodon.
    pub icon: ImageObject,
    pub image: ImageObject,
    pub attachment: Vec<PropertyValue>,
    pub public_key: PublicKey,
    /// FEP-521a: the Ed25519 key that signs the ledgers' heads (docs/ledger.md), beside the
    /// RSA `publicKey` that HTTP signatures use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assertion_method: Vec<Multikey>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: Url,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageObject {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    pub url: Url,
    /// Alt text (Mastodon 4.6 reads `name` or `summary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PropertyValue {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    /// HTML.
    pub value: String,
}

/// The actor's `@context`: ActivityStreams, security (for `publicKey`), Data Integrity and
/// Multikey (for FEP-521a's `assertionMethod`), the Mastodon terms we use, and FEP-2c59's
/// `webfinger`.
pub fn actor_context() -> Value {
    serde_json::json!([
        super::AS_CONTEXT,
        "https://w3id.org/security/v1",
        DATA_INTEGRITY_CONTEXT,
        MULTIKEY_CONTEXT,
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        },
        "https://purl.archive.org/socialweb/webfinger"
    ])
}
