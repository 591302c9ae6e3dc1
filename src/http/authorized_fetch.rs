//! `federation.authorized_fetch`: ActivityPub GETs of objects and collections must be signed
//! by an actor we can fetch, as on Mastodon servers in secure mode. The actor document and
//! its key stay public (docs/interop.md §2), and so do the pages for people, WebFinger,
//! NodeInfo and the images.

use std::{sync::Arc, time::SystemTime};

use activitypub_federation::config::{Data, FederationConfig};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use url::Url;

use super::{error::HttpError, negotiate::wants_activitypub};
use crate::{
    app::remote_actor::RemoteActorId,
    federation::inbox::{self, Presented, is_blocked},
    state::AppState,
    transport::signatures::{RequestParts, check_host, check_request, parse_signature_header},
};

/// Paths that are ActivityPub-only collections or objects.
fn protected(path: &str, username: &str, wants_ap: bool) -> bool {
    let actor = format!("/ap/{username}");
    if path == actor {
        return false;
    }
    if path.starts_with(&format!("{actor}/")) || path.starts_with("/ap/activities/") {
        return !path.ends_with("/inbox");
    }
    if let Some(rest) = path.strip_prefix("/statements/") {
        // The statement itself only when asked for as JSON; its collections always; its
        // badge and its link-preview image never (images other sites show).
        let image = rest.ends_with("/badge.svg") || rest.ends_with("/preview.png");
        return (rest.contains('/') && !image) || wants_ap;
    }
    false
}

/// What the check needs: the state, and the federation crate's configuration to fetch a
/// signer with (shared, as the middleware's state is cloned on every request).
#[derive(Clone)]
pub struct Verifier {
    state: AppState,
    federation: Arc<FederationConfig<AppState>>,
}

impl Verifier {
    pub fn new(state: AppState, federation: FederationConfig<AppState>) -> Verifier {
        Verifier {
            state,
            federation: Arc::new(federation),
        }
    }
}

/// The front of every request, one middleware (each layer costs a boxed future and a clone
/// of the routes behind it, on every request: BENCHMARKS.md, B5): the signature a GET needs
/// under authorized fetch, then the cache of hot documents.
pub async fn front(State(verifier): State<Verifier>, request: Request, next: Next) -> Response {
    let request = match require_signature(&verifier, request).await {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    super::cache::serve_cached(&verifier.state, request, next).await
}

/// Whether authorized fetch covers a request: then it must be signed.
pub fn needs_signature<B>(state: &AppState, request: &axum::http::Request<B>) -> bool {
    // HEAD answers what GET does, less the body: it needs the same signature.
    let method = request.method();
    state.settings.federation.authorized_fetch
        && (method == axum::http::Method::GET || method == axum::http::Method::HEAD)
        && protected(
            request.uri().path(),
            state.coalition.username.as_str(),
            wants_activitypub(request.headers()),
        )
}

/// The request, when it may go on: unsigned unless authorized fetch covers it.
async fn require_signature(verifier: &Verifier, request: Request) -> Result<Request, Response> {
    if !needs_signature(&verifier.state, &request) {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let data = verifier.federation.to_request_data();
    if let Err(e) = verify_get(&data, &parts).await {
        return Err(e.into_response());
    }
    Ok(Request::from_parts(parts, body))
}

async fn verify_get(
    data: &Data<AppState>,
    parts: &axum::http::request::Parts,
) -> Result<(), HttpError> {
    let unauthorized = |m: String| HttpError::Unauthorized(m);
    let header = parts
        .headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            unauthorized("this server requires signed fetches (authorized fetch)".into())
        })?;
    let sig = parse_signature_header(header).map_err(|e| unauthorized(e.to_string()))?;
    let req = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
    };
    check_host(&req, &data.coalition.urls.authority).map_err(|e| unauthorized(e.to_string()))?;
    check_request(&sig, &req, None, SystemTime::now()).map_err(|e| unauthorized(e.to_string()))?;
    // The signer: the actor the key id names (`…#main-key`, or GoToSocial's `…/main-key`).
    let mut actor_url =
        Url::parse(&sig.key_id).map_err(|_| unauthorized("the keyId is not a URL".into()))?;
    actor_url.set_fragment(None);
    if actor_url.path().ends_with("/main-key") {
        let path = actor_url.path().trim_end_matches("/main-key").to_owned();
        actor_url.set_path(&path);
    }
    if is_blocked(data, &actor_url).await? {
        return Err(HttpError::Forbidden(
            "this server or actor is blocked".into(),
        ));
    }
    let actor_id: RemoteActorId = actor_url.into();
    let actor = actor_id
        .dereference(data)
        .await
        .map_err(|e| unauthorized(format!("cannot fetch the signing actor: {e}")))?;
    Ok(inbox::verify_with(
        data,
        &Presented::Cavage(sig),
        &req,
        &actor,
    )?)
}

#[cfg(test)]
mod tests {
    use super::protected;

    #[test]
    fn what_authorized_fetch_covers() {
        assert!(
            !protected("/ap/coalition", "coalition", true),
            "the actor stays public"
        );
        assert!(protected("/ap/coalition/outbox", "coalition", false));
        assert!(!protected("/ap/coalition/inbox", "coalition", true));
        assert!(protected("/ap/activities/ab", "coalition", true));
        assert!(protected("/statements/s", "coalition", true));
        assert!(
            !protected("/statements/s", "coalition", false),
            "the page for people"
        );
        assert!(protected("/statements/s/ledger", "coalition", false));
        assert!(!protected("/statements/s/badge.svg", "coalition", false));
        assert!(!protected("/statements/s/preview.png", "coalition", false));
        assert!(!protected("/.well-known/webfinger", "coalition", true));
        assert!(!protected("/media/avatar-1.png", "coalition", true));
    }
}
