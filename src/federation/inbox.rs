//! The inbox: verify who sent an activity, then apply it once.
//!
//! Order of checks, each refusing with nothing stored: the signature header and what it
//! covers, the date window and the body's digest (401); the JSON envelope (400); blocks (403);
//! the signer's actor and key, the key being the activity's actor's own (401); the signature
//! itself, retried once with a refetched actor when it fails with a stored key (remote key
//! rotation, as Mastodon does). Then the activity id is recorded and the activity applied in
//! one transaction, with the deliveries it causes (shared with the activities verified at the
//! same moment: `applier`).

use std::time::SystemTime;

use activitypub_federation::config::Data;
use axum::http::HeaderMap;
use chrono::Utc;
use serde_json::Value;
use url::Url;

use super::{
    applier::Applier,
    envelope::{Envelope, InboxError},
};
use crate::transport::signatures::{
    self, PublicKey, RequestParts, SignatureError, check_request, parse_signature_header,
};
use crate::{
    app::{
        Received,
        remote_actor::{RemoteActor, RemoteActorId},
    },
    db,
    protocol::incoming::Incoming,
    state::AppState,
};

/// The request as it reached us.
pub struct IncomingRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Whether an actor is blocked, by configuration or by an admin. A domain block names a
/// host (covering its subdomains) or a `host:port`.
pub async fn is_blocked(state: &AppState, actor: &Url) -> Result<bool, db::DbError> {
    any_blocked(state, &[actor]).await
}

/// Whether any of `urls` (an activity's actor and the key that signed it) is blocked: the
/// configuration first, then one query of the blocks table for all of them.
pub async fn any_blocked(state: &AppState, urls: &[&Url]) -> Result<bool, db::DbError> {
    // Two URLs a query (an activity's actor and its key: one query), each by host and by
    // `host:port`.
    for pair in urls.chunks(2) {
        let Some(hosts) = hosts_unless_configured(state, pair) else {
            return Ok(true);
        };
        let ids: Vec<&str> = pair.iter().map(|u| u.as_str()).collect();
        let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
        if db::blocks::any_blocked(&state.db, &ids, &hosts).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `None` when the configuration blocks one of `urls`; else their hosts, each by host and by
/// `host:port`, for the blocks table.
fn hosts_unless_configured(state: &AppState, urls: &[&Url]) -> Option<Vec<String>> {
    let fed = &state.settings.federation;
    let mut hosts: Vec<String> = Vec::with_capacity(urls.len() * 2);
    for url in urls {
        // Hosts in their one form: `b.example.` is `b.example` (docs/interop.md §9).
        let authority = crate::util::normal_authority(url);
        let host = crate::util::normal_host(url);
        let by_config = fed
            .blocked_domains
            .iter()
            .any(|d| authority == *d || host == *d || host.ends_with(&format!(".{d}")))
            || fed.blocked_actors.iter().any(|a| a == *url);
        if by_config {
            return None;
        }
        for h in [host, authority] {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    Some(hosts)
}

/// `any_blocked` for an inbox request's actor and the key that signed it, with the actor as
/// stored, read in the same statement when it is known: the row the federation crate's
/// `dereference` then reads (`remote_actor::with_stored`).
async fn blocked_or_stored(
    state: &AppState,
    actor: &Url,
    key: Option<&Url>,
) -> Result<(bool, Option<db::remote_actors::RemoteActorRow>), db::DbError> {
    let named: Vec<&Url> = std::iter::once(actor).chain(key).collect();
    let Some(hosts) = hosts_unless_configured(state, &named) else {
        return Ok((true, None));
    };
    let ids: Vec<&str> = named.iter().map(|u| u.as_str()).collect();
    let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
    match db::blocks::stored_actor_and_blocked(&state.db, actor.as_str(), &ids, &hosts).await? {
        Some((row, blocked)) => Ok((blocked, Some(row))),
        None => Ok((
            db::blocks::any_blocked(&state.db, &ids, &hosts).await?,
            None,
        )),
    }
}

/// The largest Announce whose signed request is kept as evidence.
const MAX_EVIDENCE_BYTES: usize = 64 * 1024;

/// How long fetching the signer (and what the activity needs fetched) may take in all.
const FETCH_BUDGET: std::time::Duration = std::time::Duration::from_secs(8);
/// How long a verified activity waits for a processing place before 503.
const PERMIT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

pub async fn receive(
    data: &Data<AppState>,
    applier: &Applier,
    req: IncomingRequest<'_>,
) -> Result<Received, InboxError> {
    let parts = RequestParts {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
    };
    let presented = presented_signature(data, &parts, req.body)?;
    let mut envelope = Envelope::parse(req.body)?;

    let key_url = Url::parse(presented.key_id()).ok();
    let (blocked, stored) = blocked_or_stored(data, &envelope.actor, key_url.as_ref()).await?;
    if blocked {
        return Err(InboxError::Forbidden(
            "this server or actor is blocked".into(),
        ));
    }

    // The signer must be the activity's actor: fetch that actor (or read it, if known and
    // fresh) and require the key to be one it publishes.
    let started = Utc::now();
    let actor_id: RemoteActorId = envelope.actor.clone().into();
    // One time budget for every fetch this request causes (the crate may follow a document
    // to its id, and `http_fetch_limit` bounds how many), held by no processing place.
    let fetched = tokio::time::timeout(
        FETCH_BUDGET,
        crate::app::remote_actor::with_stored(stored, actor_id.dereference(data)),
    )
    .await
    .map_err(|_| InboxError::ActorUnreachable {
        actor: envelope.actor.to_string(),
        error: format!("no answer within {} s", FETCH_BUDGET.as_secs()),
    })?;
    let actor = match fetched {
        Ok(actor) => actor,
        // An account deleted on its server answers 410 and its key is gone with it; Mastodon
        // accepts such a Delete of an unknown actor and ignores it (docs/interop.md §3).
        Err(e) if e.is_gone() && matches!(envelope.incoming, Incoming::Delete { .. }) => {
            return Ok(Received::Ignored("a Delete from an unknown, deleted actor"));
        }
        Err(e) => {
            return Err(InboxError::ActorUnreachable {
                actor: envelope.actor.to_string(),
                error: e.to_string(),
            });
        }
    };
    // The fetch may have ended on another id than the one named (the crate follows a
    // document's `id` on the same host): blocks, limits and records are keyed by the actor's
    // id, so the activity must name it exactly.
    if actor.id.as_str() != envelope.actor.as_str() {
        return Err(InboxError::NotCanonical {
            named: envelope.actor.to_string(),
            canonical: actor.id.to_string(),
        });
    }
    let fetched_now = actor.row.fetched_at >= started;
    let verified = if data.skips_signature_crypto() {
        Ok(())
    } else {
        verify_with(data, &presented, &parts, &actor)
    };
    if let Err(first) = verified {
        // Fetched for this request already, or refetched a short while ago: a failure that
        // a new fetch would repeat at will (attack 8 of SECURITY.md).
        if fetched_now || !data.refetches.try_start(actor.id.as_str()) {
            return Err(first);
        }
        // The stored key may be stale: the actor may have rotated it. Refetch once.
        let actor = actor_id.dereference_forced(data).await.map_err(|e| {
            tracing::info!(error = %e, "refetching the actor after a failed signature");
            first
        })?;
        verify_with(data, &presented, &parts, &actor)?;
    }

    // The signer's server, now that it is known to be the signer's.
    let host = crate::util::normal_authority(&envelope.actor);
    if let Err(retry_after) = data.inbox_limits.per_host.check(&host) {
        return Err(InboxError::TooMany {
            actor: host,
            retry_after,
        });
    }
    // Every kind counts against the actor's allowance: any activity may store something
    // (SECURITY.md, attack 5).
    if let Err(retry_after) = data.rate.check(envelope.actor.as_str()) {
        return Err(InboxError::TooMany {
            actor: envelope.actor.to_string(),
            retry_after,
        });
    }
    // The signed request is kept as a co-signature's evidence: a boost is small, so one larger
    // than this is refused rather than stored (SECURITY.md, attack 5).
    if matches!(envelope.incoming, Incoming::Announce { .. }) && req.body.len() > MAX_EVIDENCE_BYTES
    {
        return Err(InboxError::TooLarge {
            what: "an Announce",
            limit: MAX_EVIDENCE_BYTES,
        });
    }
    envelope.request = Some(audit_record(&req));
    if matches!(envelope.incoming, Incoming::Follow { .. })
        && data.settings.relay.announce_create_to_lemmy_family
    {
        // Off the request's path: the sender should not wait for a third fetch.
        let (state, actor): (AppState, Url) = ((**data).clone(), envelope.actor.clone());
        tokio::spawn(async move {
            crate::app::nodeinfo::remember_software(&state, &state.http, &actor).await;
        });
    }
    // Fetch what applying will need before the transaction: on SQLite a fetch that stores
    // an actor inside it would wait for the very write lock the transaction holds.
    if let Incoming::Move {
        target: Some(target),
    } = &envelope.incoming
        && let Ok(target) = Url::parse(target)
    {
        let target: RemoteActorId = target.into();
        if let Err(e) = target.dereference(data).await {
            tracing::info!(error = %e, "cannot fetch a Move's target");
        }
    }

    // A processing place, only now that the sender is known: waiting a little, then asking
    // the sender to come back.
    let _in_process =
        match tokio::time::timeout(PERMIT_WAIT, data.inbox_limits.in_process.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(InboxError::TooBusy),
        };
    applier.apply(envelope).await
}

/// The request as received, as JSON: what a co-signature's ledger entry keeps for audit.
fn audit_record(req: &IncomingRequest<'_>) -> String {
    let headers: serde_json::Map<String, Value> = req
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
            )
        })
        .collect();
    serde_json::json!({
        "method": req.method,
        "path": req.path,
        "query": req.query,
        "headers": headers,
        "body": String::from_utf8_lossy(req.body),
    })
    .to_string()
}

/// A request's signature, either scheme, checked but for the cryptography.
pub enum Presented {
    /// draft-cavage, with `Digest`.
    Cavage(signatures::SignatureHeader),
    /// RFC 9421, with `Content-Digest`; the signature base computed.
    Message(Box<signatures::MessageSignature>, String),
}

impl Presented {
    pub fn key_id(&self) -> &str {
        match self {
            Presented::Cavage(s) => &s.key_id,
            Presented::Message(s, _) => &s.key_id,
        }
    }

    fn verify(&self, parts: &RequestParts<'_>, key: &PublicKey) -> Result<(), SignatureError> {
        match self {
            Presented::Cavage(s) => signatures::verify_signature(s, parts, key),
            Presented::Message(s, base) => s.verify(base, key),
        }
    }
}

/// Read and check the request's signature: RFC 9421 when `Signature-Input` is present (as
/// Mastodon 4.7+ sends when retrying after a 400 or 401, and Fedify first), draft-cavage otherwise.
pub fn presented_signature(
    state: &AppState,
    parts: &RequestParts<'_>,
    body: &[u8],
) -> Result<Presented, InboxError> {
    let header = |name: &str| -> Result<Option<&str>, SignatureError> {
        match parts.headers.get(name) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .map(Some)
                .map_err(|_| SignatureError::Malformed(format!("{name} is not text"))),
        }
    };
    let signature = header("signature")?.ok_or(SignatureError::Missing)?;
    signatures::check_host(parts, &state.coalition.urls.authority)?;
    if let Some(input) = header("signature-input")? {
        let sig = signatures::parse_message_signature(input, signature)?;
        sig.check(Some(body), parts, SystemTime::now())?;
        let target = match parts.query {
            Some(q) => format!("{}?{q}", parts.path),
            None => parts.path.to_owned(),
        };
        let target_uri = state.coalition.urls.base.join(&target);
        let base = sig.base(parts, &target_uri)?;
        return Ok(Presented::Message(Box::new(sig), base));
    }
    let sig = parse_signature_header(signature)?;
    check_request(&sig, parts, Some(body), SystemTime::now())?;
    Ok(Presented::Cavage(sig))
}

/// Verify with the actor's key named by the signature (inbox POSTs, and signed GETs when
/// authorized fetch is on).
pub fn verify_with(
    state: &AppState,
    presented: &Presented,
    parts: &RequestParts<'_>,
    actor: &RemoteActor,
) -> Result<(), InboxError> {
    let key_id = presented.key_id();
    let key = if actor.row.public_key_id == key_id {
        state.keys.get_or_parse(key_id, &actor.row.public_key_pem)?
    } else {
        let doc = actor
            .document()
            .map_err(|e| InboxError::Internal(e.into()))?;
        if let Some(k) = doc.key(key_id) {
            state.keys.get_or_parse(key_id, &k.public_key_pem)?
        } else if let Some(multibase) = doc.multikey(key_id) {
            // An FEP-521a Ed25519 key, for RFC 9421 signatures.
            PublicKey::from_multibase(&multibase)?
        } else {
            return Err(InboxError::ForeignKey {
                key_id: key_id.to_owned(),
                actor: actor.id.to_string(),
            });
        }
    };
    presented.verify(parts, &key)?;
    Ok(())
}
