//! Pages for people: the coalition's profile.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};

use super::{
    error::{HttpError, Result},
    negotiate::wants_activitypub,
};
use crate::{
    federation::objects::coalition::field_value_html, startup::AppState,
    util::text_to_html_paragraphs,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/{at_username}", get(profile))
        .route("/static/tribune.css", get(stylesheet))
}

struct SummaryBlock {
    lang: String,
    html: String,
}

struct MemberView {
    name: String,
    handle: String,
    url: String,
}

struct FieldView {
    name: String,
    value_html: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    lang: &'a str,
    name: &'a str,
    handle: String,
    description: String,
    actor_id: &'a str,
    avatar_url: String,
    avatar_alt: &'a str,
    header_url: String,
    header_alt: &'a str,
    summary: Vec<SummaryBlock>,
    fields: Vec<FieldView>,
    members: Vec<MemberView>,
    version: &'static str,
}

/// The profile page, also served at the actor id to browsers.
pub async fn profile_response(state: &AppState) -> Result<Response> {
    let c = &state.coalition;
    let members = crate::db::relays::members(&state.db)
        .await?
        .into_iter()
        .map(|m| MemberView {
            name: m.name.clone().unwrap_or_else(|| m.actor_id.clone()),
            handle: match (&m.preferred_username, &m.host) {
                (Some(u), Some(h)) => format!("@{u}@{h}"),
                _ => String::new(),
            },
            url: m.actor_id,
        })
        .collect();
    let page = ProfilePage {
        lang: c.languages.first().map(|l| l.as_str()).unwrap_or("en"),
        name: &c.name,
        handle: c.handle(),
        description: c
            .summary
            .first()
            .map(|(_, t)| t.chars().take(300).collect())
            .unwrap_or_default(),
        actor_id: c.urls.actor.as_str(),
        avatar_url: c.urls.media(&c.avatar)?.to_string(),
        avatar_alt: &c.avatar.alt,
        header_url: c.urls.media(&c.header)?.to_string(),
        header_alt: &c.header.alt,
        summary: c
            .summary
            .iter()
            .map(|(lang, text)| SummaryBlock {
                lang: lang.to_string(),
                html: text_to_html_paragraphs(text),
            })
            .collect(),
        fields: c
            .fields
            .iter()
            .map(|(name, value)| FieldView {
                name: name.clone(),
                value_html: field_value_html(value),
            })
            .collect(),
        members,
        version: env!("CARGO_PKG_VERSION"),
    };
    let html = page.render().map_err(|e| HttpError::Internal(e.into()))?;
    Ok((
        [
            (header::VARY, "Accept"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "same-origin"),
        ],
        Html(html),
    )
        .into_response())
}

async fn root(State(state): State<AppState>) -> Redirect {
    Redirect::to(state.coalition.urls.profile.path())
}

/// `/@username`: the profile for people; ActivityPub clients are sent to the actor id, so
/// that what they fetch has `id` equal to the URL they asked for.
async fn profile(
    State(state): State<AppState>,
    Path(at_username): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let Some(username) = at_username.strip_prefix('@') else {
        return Err(HttpError::not_found("not found"));
    };
    if !state.coalition.username.matches(username) {
        return Err(HttpError::not_found("no such actor"));
    }
    if wants_activitypub(&headers) {
        return Ok((
            StatusCode::FOUND,
            [
                (header::LOCATION, state.coalition.urls.actor.as_str()),
                (header::VARY, "Accept"),
            ],
        )
            .into_response());
    }
    profile_response(&state).await
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("tribune.css"),
    )
        .into_response()
}
