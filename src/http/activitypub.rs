//! The coalition's actor document and collections.

use axum::{
    Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Serialize;

use super::{
    error::{HttpError, Result},
    negotiate::wants_activitypub,
    pages,
};
use crate::{
    db::{self, read::followers::FollowState},
    protocol::{
        ACTIVITY_JSON, activities::without_context, collection as collections, note as statement,
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ap/{username}", get(actor))
        .route("/ap/{username}/outbox", get(outbox))
        .route("/ap/{username}/followers", get(followers))
        .route("/ap/{username}/following", get(following))
        .route("/ap/{username}/featured", get(featured))
        .route("/ap/{username}/members", get(members))
}

/// `application/activity+json`, with `Vary: Accept` because the same URL may answer HTML.
pub struct ActivityJson<T>(pub T);

impl<T: Serialize> IntoResponse for ActivityJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, ACTIVITY_JSON),
                    (header::VARY, "Accept"),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => HttpError::Internal(e.into()).into_response(),
        }
    }
}

fn check_username(state: &AppState, username: &str) -> Result<()> {
    // Paths are compared exactly: the actor id is one string, and Mastodon compares ids
    // byte for byte.
    if state.coalition.username.as_str() == username {
        Ok(())
    } else {
        Err(HttpError::not_found("no such actor"))
    }
}

#[tracing::instrument(skip_all)]
async fn actor(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    check_username(&state, &username)?;
    if wants_activitypub(&headers) {
        let actor = state
            .coalition
            .to_actor_with_key(state.keyring.public_key_pem())?;
        Ok(ActivityJson(actor).into_response())
    } else {
        pages::profile_response(&state, query.as_deref(), &headers).await
    }
}

/// `?page=N` with N ≥ 1, if any.
pub fn page_param(query: Option<&str>) -> Result<Option<u64>> {
    let Some(raw) = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "page")
        .map(|(_, v)| v.into_owned())
    else {
        return Ok(None);
    };
    match raw.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(HttpError::bad_request(format!(
            "page must be a whole number from 1, got {raw:?}"
        ))),
    }
}

/// A paged collection with its `total_items` and the items of the asked page.
fn paged(
    id: &str,
    query: Option<&str>,
    total: u64,
    items: Vec<serde_json::Value>,
) -> Result<Response> {
    Ok(match page_param(query)? {
        None => ActivityJson(collections::paged_collection(id, total)).into_response(),
        Some(page) => {
            ActivityJson(collections::collection_page(id, page, total, items)).into_response()
        }
    })
}

/// Our public activities, newest first, each embedded as sent.
async fn outbox(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    check_username(&state, &username)?;
    let id = state.coalition.urls.outbox.as_str();
    let total = db::read::deliveries::outbox_count(&state.db).await?;
    let items = match page_param(query.as_deref())? {
        None => Vec::new(),
        Some(n) => db::read::deliveries::outbox_page(
            &state.db,
            (n - 1).saturating_mul(collections::PAGE_SIZE),
            collections::PAGE_SIZE,
        )
        .await?
        .into_iter()
        .map(|body| {
            let v: serde_json::Value = serde_json::from_str(&body)?;
            Ok(without_context(v))
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()
        .map_err(|e| HttpError::Internal(e.into()))?,
    };
    paged(id, query.as_deref(), total, items)
}

/// Accepted followers, newest first; `totalItems` is exact.
async fn followers(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    check_username(&state, &username)?;
    let id = state.coalition.urls.followers.as_str();
    let total = db::read::followers::count(&state.db, FollowState::Accepted).await?;
    let items = match page_param(query.as_deref())? {
        None => Vec::new(),
        Some(n) => db::read::followers::page(
            &state.db,
            FollowState::Accepted,
            (n - 1).saturating_mul(collections::PAGE_SIZE),
            collections::PAGE_SIZE,
        )
        .await?
        .into_iter()
        .map(|f| serde_json::Value::String(f.actor_id))
        .collect(),
    };
    paged(id, query.as_deref(), total, items)
}

/// Actors whose follow by the coalition they accepted, newest first.
async fn following(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    check_username(&state, &username)?;
    let id = state.coalition.urls.following.as_str();
    let total = db::read::following::count_accepted(&state.db).await?;
    let items = match page_param(query.as_deref())? {
        None => Vec::new(),
        Some(n) => db::read::following::page(
            &state.db,
            true,
            (n - 1).saturating_mul(collections::PAGE_SIZE),
            collections::PAGE_SIZE,
        )
        .await?
        .into_iter()
        .map(|f| serde_json::Value::String(f.actor_id))
        .collect(),
    };
    paged(id, query.as_deref(), total, items)
}

/// Pinned statements, embedded as Notes: Mastodon reads only the first page and takes
/// embedded objects only when they are Notes (docs/interop.md §5).
async fn featured(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    check_username(&state, &username)?;
    let id = state.coalition.urls.featured.as_str();
    let mut items = Vec::new();
    for row in db::read::statements::pinned(&state.db).await? {
        let counts = crate::app::cosign::counts(&state, &row.slug).await?;
        let note = statement::note(&state.coalition, &row, counts)
            .map_err(|e| HttpError::Internal(e.into()))?;
        items.push(without_context(note));
    }
    let total = items.len() as u64;
    Ok(match page_param(query.as_deref())? {
        None => ActivityJson(collections::inline_collection(id, items)).into_response(),
        Some(page) => {
            let start = usize::try_from((page - 1).saturating_mul(collections::PAGE_SIZE))
                .unwrap_or(usize::MAX);
            let items = items
                .into_iter()
                .skip(start)
                .take(collections::PAGE_SIZE as usize)
                .collect();
            ActivityJson(collections::collection_page(id, page, total, items)).into_response()
        }
    })
}

/// The member organisations, by actor id, inline.
async fn members(State(state): State<AppState>, Path(username): Path<String>) -> Result<Response> {
    check_username(&state, &username)?;
    let items = db::read::relays::members(&state.db)
        .await?
        .into_iter()
        .map(|m| serde_json::Value::String(m.actor_id))
        .collect();
    Ok(ActivityJson(collections::inline_collection(
        state.coalition.urls.members.as_str(),
        items,
    ))
    .into_response())
}
