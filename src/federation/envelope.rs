//! What every inbox POST must carry, and why one is refused: the envelope checked before
//! anything else, and the inbox's error (its HTTP status chosen in `http/inbox.rs`).

use serde_json::Value;
use url::Url;

use crate::{
    app::{cosign::CosignError, members::MemberError, relay::RelayError},
    db,
    protocol::incoming::Incoming,
    transport::signatures::SignatureError,
};

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The signature or what it covers is wrong (401).
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The signing actor cannot be fetched (401).
    #[error("cannot fetch the signing actor {actor}: {error}")]
    ActorUnreachable { actor: String, error: String },
    /// The actor's document names another id than the activity's `actor` (a variant of it
    /// with a query or a fragment, say): refused rather than counted under a second name (401).
    #[error("the actor {named} is known as {canonical}")]
    NotCanonical { named: String, canonical: String },
    /// The key is not one the activity's actor publishes (401).
    #[error("the key {key_id} is not one of {actor}'s keys")]
    ForeignKey { key_id: String, actor: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many activities from {actor}; retry in {retry_after} s")]
    TooMany { actor: String, retry_after: u64 },
    /// More than tribune keeps of this kind (413).
    #[error("{what} larger than {limit} bytes is not kept")]
    TooLarge { what: &'static str, limit: usize },
    /// Every processing place stayed taken (503).
    #[error("too busy; retry shortly")]
    TooBusy,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl InboxError {
    /// The outcome label for metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            InboxError::Signature(_)
            | InboxError::ActorUnreachable { .. }
            | InboxError::NotCanonical { .. }
            | InboxError::ForeignKey { .. } => "unauthorized",
            InboxError::BadRequest(_) => "bad_request",
            InboxError::Forbidden(_) => "forbidden",
            InboxError::Unprocessable(_) => "unprocessable",
            InboxError::TooMany { .. } => "rate_limited",
            InboxError::TooBusy => "busy",
            InboxError::TooLarge { .. } => "too_large",
            InboxError::Internal(_) => "error",
        }
    }

    /// Why the sender was not authenticated, for metrics; `None` for other refusals.
    pub fn signature_reason(&self) -> Option<&'static str> {
        match self {
            InboxError::Signature(e) => Some(e.reason()),
            InboxError::ActorUnreachable { .. } => Some("actor_unreachable"),
            InboxError::ForeignKey { .. } => Some("key"),
            InboxError::NotCanonical { .. } => Some("actor_id"),
            _ => None,
        }
    }
}

impl From<db::DbError> for InboxError {
    fn from(e: db::DbError) -> Self {
        InboxError::Internal(e.into())
    }
}

impl From<CosignError> for InboxError {
    fn from(e: CosignError) -> Self {
        InboxError::Internal(e.into())
    }
}

impl From<RelayError> for InboxError {
    fn from(e: RelayError) -> Self {
        match e {
            RelayError::TooLarge { limit } => InboxError::TooLarge {
                what: "a post held for moderation",
                limit,
            },
            e => InboxError::Internal(e.into()),
        }
    }
}

impl From<MemberError> for InboxError {
    fn from(e: MemberError) -> Self {
        match e {
            MemberError::MoveWithoutTarget => InboxError::BadRequest(e.to_string()),
            MemberError::MoveRefused(m) | MemberError::Unresolved(m) => {
                InboxError::Unprocessable(m)
            }
            MemberError::Db(e) => e.into(),
            MemberError::Internal(e) => InboxError::Internal(e),
        }
    }
}

/// The fields every activity must have.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub id: Url,
    pub kind: String,
    pub actor: Url,
    pub raw: Value,
    /// The activity decoded by kind, with what its handling needs.
    pub incoming: Incoming,
    /// The signed request as received (method, path, headers, body), kept for audit where
    /// an activity's effect must be provable (co-signatures).
    pub request: Option<String>,
}

pub use crate::protocol::incoming::id_of;

fn http_url(s: &str, what: &str) -> Result<Url, InboxError> {
    Url::parse(s)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| InboxError::BadRequest(format!("{what} is not an http(s) URL")))
}

impl Envelope {
    pub fn parse(body: &[u8]) -> Result<Envelope, InboxError> {
        let raw: Value = serde_json::from_slice(body)
            .map_err(|e| InboxError::BadRequest(format!("the body is not JSON: {e}")))?;
        let obj = raw
            .as_object()
            .ok_or_else(|| InboxError::BadRequest("the body is not a JSON object".into()))?;
        let kind = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| InboxError::BadRequest("the activity has no type".into()))?
            .to_owned();
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| InboxError::BadRequest("the activity has no id".into()))?;
        let id = http_url(id, "the activity id")?;
        let actor = obj
            .get("actor")
            .and_then(id_of)
            .ok_or_else(|| InboxError::BadRequest("the activity has no actor".into()))?;
        let actor = http_url(actor, "the actor")?;
        // An activity's id is on its actor's server (scheme, host and port), as Mastodon
        // requires: otherwise an actor could take the id another actor will give a later
        // activity (docs/interop.md §9).
        if id.origin() != actor.origin() {
            return Err(InboxError::BadRequest(format!(
                "the activity id {id} is not on the server of its actor {actor}"
            )));
        }
        let incoming = Incoming::decode(&kind, &raw);
        Ok(Envelope {
            id,
            kind,
            actor,
            raw,
            incoming,
            request: None,
        })
    }
}
