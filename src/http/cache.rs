//! A small cache of the documents fetched most: statements (`/statements/{slug}`, the Note as
//! JSON and the page as HTML: several queries and a template each), the actor and the
//! WebFinger answer (what every remote server fetches first).
//!
//! An entry is used only while nothing has changed since it was made: it is kept under the
//! `Wakeup` generation, bumped by every write this process makes that queues deliveries or
//! changes co-signatures, and by other processes' writes (PostgreSQL's NOTIFY, SQLite's files
//! changing). Entries also expire after `TTL`, which bounds what a change that signals
//! nothing could leave stale; pages say `Cache-Control: max-age=60` anyway.
//!
//! Of the requests that miss one entry together, one renders it and the others wait for it.
//! A response that is not kept (not a 200, or too large) goes to the request that rendered
//! it; each of those that waited then goes to the handler itself.

use axum::{
    body::Body,
    extract::Request,
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    state::AppState,
    transport::response_cache::{Entry, Key, NotKept},
};

/// Larger responses are not kept.
const MAX_BODY: usize = 512 * 1024;

/// `/statements/{slug}`, `/ap/{username}` (nothing under them) and WebFinger.
fn cacheable_path(path: &str) -> bool {
    let single = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
    };
    single("/statements/") || single("/ap/") || path == "/.well-known/webfinger"
}

/// A request whose answer may be kept: a GET of a cacheable path, not an admin's.
fn cacheable<B>(req: &axum::http::Request<B>) -> bool {
    req.method() == Method::GET
        && cacheable_path(req.uri().path())
        && !req.headers().contains_key(header::AUTHORIZATION)
}

/// The request's variant: path and query, and what the answer depends on (`Vary: Accept,
/// Accept-Language`, and `?lang=` in the query); under the generation it is answered at.
/// Every line of each header counts, as negotiation reads them all (`negotiate`, `i18n`):
/// were only the first one kept, a request that adds a second `Accept` line would have its
/// JSON kept under a browser's variant.
fn key<B>(req: &axum::http::Request<B>, generation: u64) -> Key {
    Key::new(
        generation,
        format_args!(
            "{}\n{}\n{}",
            req.uri().path_and_query().map_or("", |p| p.as_str()),
            Lines(req.headers(), header::ACCEPT),
            Lines(req.headers(), header::ACCEPT_LANGUAGE)
        ),
    )
}

/// A header's lines, as negotiation reads them: those that are not text are skipped, each
/// other ends with a CR (which no header value holds).
struct Lines<'a>(&'a axum::http::HeaderMap, header::HeaderName);

impl std::fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for value in self.0.get_all(&self.1) {
            if let Ok(value) = value.to_str() {
                write!(f, "{value}\r")?;
            }
        }
        Ok(())
    }
}

/// What the answer to `req` is kept under now, if it may be kept.
pub fn key_now<B>(state: &AppState, req: &axum::http::Request<B>) -> Option<Key> {
    cacheable(req).then(|| key(req, state.wakeup.generation()))
}

/// The answer kept under `key`, if there is one, without rendering anything. The caller has
/// checked that the request needs no signature (`authorized_fetch::needs_signature`).
pub async fn kept(state: &AppState, key: &Key) -> Option<Response> {
    let entry = state.response_cache.get(key).await?;
    Some(response_of(&entry))
}

/// The entry's headers become the response's as they are: no header hashed and appended
/// again one by one, as a tuple's `into_response` would (BENCHMARKS.md, B5).
fn response_of(e: &Entry) -> Response {
    let mut response = Response::new(Body::from(e.body.clone()));
    *response.status_mut() = e.status;
    *response.headers_mut() = e.headers.clone();
    response
}

pub async fn serve_cached(state: &AppState, req: Request, next: Next) -> Response {
    if !cacheable(&req) {
        return next.run(req).await;
    }
    let key = key(&req, state.wakeup.generation());
    // The request goes to the handler if this caller renders the entry (`pending` is taken)
    // or if the one that rendered it kept nothing (`pending` is still here). A response
    // that is not kept stays with the caller that rendered it (`not_kept`).
    let mut pending = Some((req, next));
    let mut not_kept = None;
    let cached = state
        .response_cache
        .get_or_render(key, async {
            let (req, next) = pending.take().ok_or(NotKept)?;
            match entry(next.run(req).await).await {
                Ok(entry) => Ok(entry),
                Err(response) => {
                    not_kept = Some(response);
                    Err(NotKept)
                }
            }
        })
        .await;
    match (cached, not_kept, pending) {
        (Ok(e), _, _) => response_of(&e),
        (Err(NotKept), Some(response), _) => response,
        // The one that rendered kept nothing: this request is answered on its own.
        (Err(NotKept), None, Some((req, next))) => next.run(req).await,
        // Not reached: a caller whose render was polled either kept an entry or holds the
        // response in `not_kept` (a render dropped midway drops this whole future with it).
        (Err(NotKept), None, None) => {
            tracing::error!("a response to cache was neither kept nor returned");
            (StatusCode::INTERNAL_SERVER_ERROR, "").into_response()
        }
    }
}

/// A rendered response as an entry to keep, or as it is if it is not one to keep.
async fn entry(response: Response) -> Result<Entry, Response> {
    if response.status() != StatusCode::OK {
        return Err(response);
    }
    let (parts, body) = response.into_parts();
    // Our own response, already in memory: read it whole, keep it only if small.
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "reading a response to cache it");
            return Err((StatusCode::INTERNAL_SERVER_ERROR, "").into_response());
        }
    };
    if body.len() > MAX_BODY {
        return Err(Response::from_parts(parts, Body::from(body)));
    }
    Ok(Entry {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(accepts: &[&str]) -> String {
        let mut req = axum::http::Request::get("/statements/s?lang=fr");
        for a in accepts {
            req = req.header(header::ACCEPT, *a);
        }
        format!("{:?}", key(&req.body(()).unwrap(), 7))
    }

    #[test]
    fn every_accept_line_is_part_of_the_variant() {
        let browser = "text/html,application/xhtml+xml";
        assert_ne!(
            key_of(&[browser]),
            key_of(&[browser, "application/activity+json"]),
            "a second line changes what negotiation picks"
        );
        assert_eq!(key_of(&[browser]), key_of(&[browser]));
    }

    #[test]
    fn only_statements_the_actor_and_webfinger_are_cached() {
        for yes in [
            "/statements/manifeste-2026",
            "/ap/coalition",
            "/.well-known/webfinger",
        ] {
            assert!(cacheable_path(yes), "{yes}");
        }
        for no in [
            "/statements/",
            "/statements/s/cosigners",
            "/statements/s/ledger",
            "/ap/coalition/outbox",
            "/ap/coalition/followers",
            "/ap/activities/x",
            "/",
        ] {
            assert!(!cacheable_path(no), "{no}");
        }
    }
}
