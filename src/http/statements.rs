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
    activitypub::ActivityJson,
    error::{HttpError, Result},
    negotiate::wants_activitypub,
};
use crate::{
    db,
    federation::objects::statement::{self as wire, Counts, StoredText},
    startup::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/statements/{slug}", get(statement))
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
        let note =
            wire::note(c, &row, Counts::default()).map_err(|e| HttpError::Internal(e.into()))?;
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
