//! Statements at their ids: the Note for ActivityPub clients, a page for people, and a
//! Tombstone with 410 once deleted. Public activities at theirs.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    activitypub::{ActivityJson, page_param},
    error::{HttpError, Result},
    negotiate::wants_activitypub,
};
use crate::{
    app::cosign,
    db,
    protocol::{
        collection as collections, cosigners, ledger_head,
        note::{self as wire},
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/statements/{slug}", get(statement))
        .route("/statements/{slug}/cosigners", get(cosigners))
        .route("/statements/{slug}/ledger", get(ledger))
        .route("/statements/{slug}/shares", get(shares))
        .route("/statements/{slug}/likes", get(likes))
        .route("/ap/activities/{id}", get(activity))
}

async fn statement(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let row = db::read::statements::get(&state.db, &slug)
        .await?
        .ok_or_else(|| HttpError::not_found("no such statement"))?;
    let c = &state.coalition;
    if !wants_activitypub(&headers) {
        return super::pages::statement_page(&state, &row, query.as_deref(), &headers).await;
    }
    if let Some(deleted_at) = row.deleted_at {
        // Mastodon keeps a tombstone for a deleted post: its id is never reused.
        let mut res = ActivityJson(wire::tombstone(c, &slug, deleted_at)).into_response();
        *res.status_mut() = StatusCode::GONE;
        return Ok(res);
    }
    let counts = cosign::counts(&state, &slug).await?;
    let note = wire::note(c, &row, counts).map_err(|e| HttpError::Internal(e.into()))?;
    Ok(ActivityJson(note).into_response())
}

async fn activity(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let full = state
        .coalition
        .urls
        .base
        .join(&format!("/ap/activities/{id}"));
    let body = db::read::deliveries::public_activity(&state.db, &full)
        .await?
        .ok_or_else(|| HttpError::not_found("no such activity"))?;
    let value: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| HttpError::Internal(e.into()))?;
    Ok(ActivityJson(value).into_response())
}

/// A statement that exists (deleted or not), or 404.
async fn known(state: &AppState, slug: &str) -> Result<db::read::statements::StatementRow> {
    db::read::statements::get(&state.db, slug)
        .await?
        .ok_or_else(|| HttpError::not_found("no such statement"))
}

fn paged(id: &str, query: Option<&str>, items: Vec<serde_json::Value>) -> Result<Response> {
    let total = items.len() as u64;
    Ok(match page_param(query)? {
        None => ActivityJson(collections::paged_collection(id, total)).into_response(),
        Some(page) => {
            let skip = usize::try_from((page - 1).saturating_mul(collections::PAGE_SIZE))
                .unwrap_or(usize::MAX);
            let items = items
                .into_iter()
                .skip(skip)
                .take(collections::PAGE_SIZE as usize)
                .collect();
            ActivityJson(collections::collection_page(id, page, total, items)).into_response()
        }
    })
}

/// A collection's top carrying the statement's signed ledger head in `head` (docs/ledger.md),
/// so that whoever reads the co-signers or the ledger can keep it.
async fn top_with_head(
    state: &AppState,
    slug: &str,
    top: collections::OrderedCollection,
) -> Result<Response> {
    let head = db::read::ledger_heads::get(&state.db, slug).await?;
    let top = serde_json::to_value(top).map_err(|e| HttpError::Internal(e.into()))?;
    let top = ledger_head::with_head(top, head.as_ref().map(|h| h.signed.as_str()));
    Ok(ActivityJson(top).into_response())
}

/// The current signatories: those the coalition recorded (`"recorded": true`), then the
/// co-signers of the fediverse, member organisations first, then other organisations, then
/// persons; withdrawn and hidden signatures are not listed (the ledger keeps them).
async fn cosigners(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response> {
    known(&state, &slug).await?;
    let id = format!("{}/cosigners", wire::statement_url(&state.coalition, &slug));
    if page_param(query.as_deref())?.is_none() {
        let (signers, _) = db::read::cosign::sizes(&state.db, &slug).await?;
        return top_with_head(&state, &slug, collections::paged_collection(&id, signers)).await;
    }
    // The signatories the coalition recorded first, then the fediverse's.
    let recorded = db::read::signatories::all(&state.db, &slug).await?;
    let items = recorded
        .iter()
        .filter(|g| g.withdrawn_at.is_none())
        .map(|g| cosigners::recorded(&state.coalition, g))
        .chain(
            db::read::cosign::current(&state.db, &slug, false)
                .await?
                .iter()
                .filter(|s| s.counts)
                .map(|s| cosigners::signer(&state.coalition, s)),
        )
        .collect();
    paged(&id, query.as_deref(), items)
}

/// The hash chain: every sign, withdraw and hide, as stored, with its hash; the top carries
/// the signed head.
async fn ledger(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response> {
    known(&state, &slug).await?;
    let id = format!("{}/ledger", wire::statement_url(&state.coalition, &slug));
    if page_param(query.as_deref())?.is_none() {
        let (_, entries) = db::read::cosign::sizes(&state.db, &slug).await?;
        return top_with_head(&state, &slug, collections::paged_collection(&id, entries)).await;
    }
    let items = db::read::cosign::ledger(&state.db, &slug)
        .await?
        .into_iter()
        .map(|e| cosigners::ledger_item(e.seq, &e.hash, &e.entry))
        .collect();
    paged(&id, query.as_deref(), items)
}

async fn shares(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response> {
    known(&state, &slug).await?;
    let counts = cosign::counts(&state, &slug).await?;
    let id = format!("{}/shares", wire::statement_url(&state.coalition, &slug));
    Ok(ActivityJson(collections::counted_collection(&id, counts.shares)).into_response())
}

async fn likes(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response> {
    known(&state, &slug).await?;
    let counts = cosign::counts(&state, &slug).await?;
    let id = format!("{}/likes", wire::statement_url(&state.coalition, &slug));
    Ok(ActivityJson(collections::counted_collection(&id, counts.likes)).into_response())
}
