//! The personal and shared inboxes: 202 once an activity is verified and applied, a JSON
//! error otherwise (401 for every signature or digest failure, so that RFC 9421 senders fall
//! back to draft-cavage, docs/interop.md §2).

use std::net::SocketAddr;

use activitypub_federation::config::Data;
use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Extension, OriginalUri, Path},
    http::{HeaderMap, Method, StatusCode, header},
    routing::post,
};

use super::{
    MAX_BODY_BYTES,
    error::{HttpError, Result},
};
use crate::{
    app::Received,
    federation::{
        applier::Applier,
        envelope::InboxError,
        inbox::{self, IncomingRequest},
    },
    protocol::activities::Kind,
    state::AppState,
    transport::limits::client_key,
};

/// The inboxes, handing what they verify to `applier`.
pub fn router(applier: Applier) -> Router<AppState> {
    Router::new()
        .route("/inbox", post(shared_inbox))
        .route("/ap/{username}/inbox", post(personal_inbox))
        .layer(Extension(applier))
}

impl From<InboxError> for HttpError {
    fn from(e: InboxError) -> Self {
        match e {
            e @ (InboxError::Signature(_)
            | InboxError::ActorUnreachable { .. }
            | InboxError::NotCanonical { .. }
            | InboxError::ForeignKey { .. }) => HttpError::Unauthorized(e.to_string()),
            InboxError::BadRequest(m) => HttpError::BadRequest(m),
            InboxError::Forbidden(m) => HttpError::Forbidden(m),
            InboxError::Unprocessable(m) => HttpError::Unprocessable(m),
            InboxError::TooBusy => HttpError::TooBusy,
            InboxError::TooLarge { limit, .. } => HttpError::PayloadTooLarge(limit),
            e @ InboxError::TooMany { retry_after, .. } => HttpError::TooManyRequests {
                message: e.to_string(),
                retry_after,
            },
            InboxError::Internal(e) => HttpError::Internal(e),
        }
    }
}

async fn personal_inbox(
    data: Data<AppState>,
    Extension(applier): Extension<Applier>,
    Path(username): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode> {
    if data.coalition.username.as_str() != username {
        return Err(HttpError::not_found("no such actor"));
    }
    // Both routes take POST alone.
    receive(&data, &applier, peer, &Method::POST, &uri, &headers, body).await
}

async fn shared_inbox(
    data: Data<AppState>,
    Extension(applier): Extension<Applier>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode> {
    // Both routes take POST alone.
    receive(&data, &applier, peer, &Method::POST, &uri, &headers, body).await
}

/// How long a sender has to send the body once its headers are in.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[tracing::instrument(skip_all, fields(path = %uri.path()))]
async fn receive(
    data: &Data<AppState>,
    applier: &Applier,
    peer: SocketAddr,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<StatusCode> {
    // Limits first, before any work: per client address (an IPv6 client by its /64, what one
    // machine usually holds). The processing permit is taken once the signature verifies
    // (`federation::inbox`), so that fetching an unknown signer holds none. The per-host limit is charged once the
    // signature verifies (`federation::inbox`): charged on the unverified `keyId`, anyone
    // could spend a chosen server's allowance (SECURITY.md, attack 4).
    let limits = &data.inbox_limits;
    let client = client_key(peer.ip()).to_string();
    limits
        .per_ip
        .check(&client)
        .map_err(|retry_after| HttpError::TooManyRequests {
            message: format!("too many activities from {client}; retry in {retry_after} s"),
            retry_after,
        })?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(HttpError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    // The whole body, in bounded time, before anything is held for this request: a sender
    // that trickles its body holds nothing but its own connection (SECURITY.md, attack 3).
    let body = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY_BYTES))
        .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return Err(HttpError::PayloadTooLarge(MAX_BODY_BYTES)),
        Err(_) => return Err(HttpError::RequestTimeout),
    };
    let outcome = inbox::receive(
        data,
        applier,
        IncomingRequest {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query(),
            headers,
            body: &body,
        },
    )
    .await
    .inspect_err(|e| {
        tracing::info!(error = %e, "inbox refused an activity");
        if let Some(reason) = e.signature_reason() {
            data.metrics.signature_failure(reason);
        }
        data.metrics.inbox(kind_of(&body), e.outcome());
    })?;
    data.metrics.inbox(
        kind_of(&body),
        match outcome {
            Received::Applied => "applied",
            Received::Duplicate => "duplicate",
            Received::Ignored(_) => "ignored",
        },
    );
    tracing::debug!(?outcome, "inbox accepted an activity");
    Ok(StatusCode::ACCEPTED)
}

/// The activity's type, for metrics (a fixed set, so labels stay few). Only `type` is read:
/// the rest of the body is skipped, not built into a tree.
fn kind_of(body: &[u8]) -> &'static str {
    #[derive(serde::Deserialize)]
    struct TypeOnly<'a> {
        #[serde(rename = "type", borrow)]
        kind: Option<std::borrow::Cow<'a, str>>,
    }
    match serde_json::from_slice::<TypeOnly<'_>>(body) {
        Ok(TypeOnly { kind: Some(k) }) => Kind::parse(&k).map_or("other", Kind::as_str),
        _ => "unparsed",
    }
}
