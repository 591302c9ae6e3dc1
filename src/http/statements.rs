//! Statements at their ids: the Note for ActivityPub clients, a page for people, and a
//! Tombstone with 410 once deleted. Public activities at theirs.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use super::{
    activitypub::{ActivityJson, page_param},
    error::{HttpError, Result},
    negotiate::wants_activitypub,
};
use crate::{
    db,
    federation::{
        cosign,
        objects::{
            collections,
            statement::{self as wire, StoredText},
        },
    },
    startup::AppState,
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

struct TextView {
    lang: String,
    html: String,
}

#[derive(Template)]
#[template(
    source = r#"<!DOCTYPE html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="alternate" type="application/activity+json" href="{{ id }}">
<link rel="stylesheet" href="/static/tribune.css"></head>
<body><main>
<p><a href="{{ profile }}">{{ coalition }}</a></p>
{% for t in texts %}<article lang="{{ t.lang }}">{{ t.html|safe }}</article>
{% endfor %}
<p>{{ published }}{% if let Some(u) = updated %} · {{ u }}{% endif %}</p>
</main></body></html>"#,
    ext = "html"
)]
struct StatementPage {
    lang: String,
    title: String,
    id: String,
    profile: String,
    coalition: String,
    texts: Vec<TextView>,
    published: String,
    updated: Option<String>,
}

#[derive(Template)]
#[template(
    source = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Supprimé / Deleted</title>
<link rel="stylesheet" href="/static/tribune.css"></head>
<body><main><p>Cette déclaration a été supprimée. / This statement was deleted.</p>
<p><a href="{{ profile }}">{{ coalition }}</a></p></main></body></html>"#,
    ext = "html"
)]
struct GonePage {
    profile: String,
    coalition: String,
}

async fn statement(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let row = db::statements::get(&state.db, &slug)
        .await?
        .ok_or_else(|| HttpError::not_found("no such statement"))?;
    let c = &state.coalition;
    let ap = wants_activitypub(&headers);
    if let Some(deleted_at) = row.deleted_at {
        // Mastodon keeps a tombstone for a deleted post: its id is never reused.
        return Ok(if ap {
            let mut res = ActivityJson(wire::tombstone(c, &slug, deleted_at)).into_response();
            *res.status_mut() = StatusCode::GONE;
            res
        } else {
            let page = GonePage {
                profile: c.urls.profile.to_string(),
                coalition: c.name.clone(),
            };
            let html = page.render().map_err(|e| HttpError::Internal(e.into()))?;
            (StatusCode::GONE, [(header::VARY, "Accept")], Html(html)).into_response()
        });
    }
    if ap {
        let counts = cosign::counts(&state, &slug).await?;
        let note = wire::note(c, &row, counts).map_err(|e| HttpError::Internal(e.into()))?;
        return Ok(ActivityJson(note).into_response());
    }
    let texts: Vec<StoredText> =
        serde_json::from_str(&row.texts).map_err(|e| HttpError::Internal(e.into()))?;
    let page = StatementPage {
        lang: texts.first().map(|t| t.lang.clone()).unwrap_or_default(),
        title: texts.first().map(|t| t.title.clone()).unwrap_or_default(),
        id: wire::statement_url(c, &slug),
        profile: c.urls.profile.to_string(),
        coalition: c.name.clone(),
        texts: texts
            .into_iter()
            .map(|t| TextView {
                lang: t.lang,
                html: t.html,
            })
            .collect(),
        published: row.published_at.format("%Y-%m-%d").to_string(),
        updated: row.updated_at.map(|u| u.format("%Y-%m-%d").to_string()),
    };
    let html = page.render().map_err(|e| HttpError::Internal(e.into()))?;
    Ok((
        [
            (header::VARY, "Accept"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        ],
        Html(html),
    )
        .into_response())
}

async fn activity(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let full = state
        .coalition
        .urls
        .base
        .join(&format!("/ap/activities/{id}"));
    let body = db::deliveries::public_activity(&state.db, &full)
        .await?
        .ok_or_else(|| HttpError::not_found("no such activity"))?;
    let value: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| HttpError::Internal(e.into()))?;
    Ok(ActivityJson(value).into_response())
}

/// A statement that exists (deleted or not), or 404.
async fn known(state: &AppState, slug: &str) -> Result<db::statements::StatementRow> {
    db::statements::get(&state.db, slug)
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

/// The current co-signers, member organisations first, then other organisations, then
/// persons; withdrawn and hidden signatures are not listed (the ledger keeps them).
async fn cosigners(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response> {
    known(&state, &slug).await?;
    let id = format!("{}/cosigners", wire::statement_url(&state.coalition, &slug));
    let items = db::cosign::current(&state.db, &slug, false)
        .await?
        .iter()
        .filter(|s| s.counts)
        .map(|s| cosign::signer_json(&state, s))
        .collect();
    paged(&id, query.as_deref(), items)
}

/// The hash chain: every sign, withdraw and hide, as stored, with its hash.
async fn ledger(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response> {
    known(&state, &slug).await?;
    let id = format!("{}/ledger", wire::statement_url(&state.coalition, &slug));
    let items = db::cosign::ledger(&state.db, &slug)
        .await?
        .into_iter()
        .map(|e| {
            let entry: serde_json::Value =
                serde_json::from_str(&e.entry).unwrap_or(serde_json::Value::Null);
            serde_json::json!({"seq": e.seq, "hash": e.hash, "entry": e.entry, "parsed": entry})
        })
        .collect();
    paged(&id, query.as_deref(), items)
}

async fn shares(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response> {
    known(&state, &slug).await?;
    let counts = cosign::counts(&state, &slug).await?;
    let id = format!("{}/shares", wire::statement_url(&state.coalition, &slug));
    Ok(ActivityJson(serde_json::json!({
        "@context": crate::federation::AS_CONTEXT, "id": id, "type": "Collection", "totalItems": counts.shares,
    }))
    .into_response())
}

async fn likes(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response> {
    known(&state, &slug).await?;
    let counts = cosign::counts(&state, &slug).await?;
    let id = format!("{}/likes", wire::statement_url(&state.coalition, &slug));
    Ok(ActivityJson(serde_json::json!({
        "@context": crate::federation::AS_CONTEXT, "id": id, "type": "Collection", "totalItems": counts.likes,
    }))
    .into_response())
}
