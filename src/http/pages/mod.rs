//! Pages for people: the profile, each statement with its co-signers, the members, an Atom
//! feed, and the form that sends a visitor to their own server to follow or co-sign.
//! Server-rendered, no JavaScript; everything remote is escaped (askama) or sanitised.
//! One file per page; this one holds what they share: the frame, the headers, the router.

mod badge;
mod chart;
mod feed;
mod interact;
mod members;
mod preview;
mod profile;
mod statement;
mod tags;

pub use profile::profile_response;
pub use statement::statement_page;

use askama::Template;
use axum::{
    Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::{DateTime, Utc};

use super::{
    error::{HttpError, Result},
    i18n::{Key, Ui},
    negotiate::wants_activitypub,
};
use crate::{
    db,
    protocol::{
        coalition::field_value_html,
        note::{StoredText, statement_url},
    },
    state::AppState,
    util::text_to_html_paragraphs,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(profile::root))
        .route("/{at_username}", get(profile::profile))
        .route("/members", get(members::members_page))
        .route("/statements.atom", get(feed::feed))
        .route("/tags/{tag}", get(tags::tag_page))
        .route("/statements/{slug}/badge.svg", get(badge::badge))
        .route("/statements/{slug}/preview.png", get(preview::preview))
        .route("/tags/{tag}/feed.atom", get(tags::tag_feed))
        .route("/interact", get(interact::interact))
        .route("/static/tribune.css", get(stylesheet))
}

/// What every page's frame needs.
pub struct Chrome {
    pub ui: Ui,
    pub title: String,
    pub description: String,
    pub og_type: &'static str,
    pub url: String,
    pub image: String,
    /// The image's width and height, when known (`og:image:width`, `og:image:height`).
    pub image_size: Option<(u32, u32)>,
    pub site: String,
    pub profile: String,
    pub feed: String,
    pub activitypub: Option<String>,
    pub version: &'static str,
    /// The languages a page's text exists in, as (link, code, name, current): the page's
    /// one language switch. Empty: the switch offers the other interface language.
    pub languages: Vec<(String, String, &'static str, bool)>,
}

impl Chrome {
    fn new(state: &AppState, ui: Ui, title: String, url: String) -> Chrome {
        let c = &state.coalition;
        Chrome {
            ui,
            title,
            description: c
                .summary
                .iter()
                .find(|(l, _)| l.as_str() == ui.code())
                .or(c.summary.first())
                .map(|(_, t)| t.chars().take(280).collect())
                .unwrap_or_default(),
            og_type: "website",
            url,
            image: c
                .urls
                .media(&c.avatar)
                .map(|u| u.to_string())
                .unwrap_or_default(),
            image_size: None,
            site: c.name.clone(),
            profile: c.urls.profile.to_string(),
            feed: c.urls.base.join("/statements.atom"),
            activitypub: None,
            version: env!("CARGO_PKG_VERSION"),
            languages: Vec::new(),
        }
    }
}

/// The security and caching headers of every page.
pub fn page_response(ui: Ui, status: StatusCode, html: String) -> Response {
    let mut res = (status, Html(html)).into_response();
    let h = res.headers_mut();
    // Remote avatars are the only outside content; nothing else loads, nothing runs. The
    // follow and co-sign forms post here (/interact), which answers with a redirect to the
    // visitor's own server: Chromium holds redirects after a form to `form-action` too, so
    // that directive allows the visitor's server, whatever it is (http for local demos).
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src 'self' https: http:; style-src 'self'; base-uri 'none'; form-action 'self' https: http:; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("interest-cohort=()"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    if let Ok(v) = HeaderValue::from_str(ui.code()) {
        h.insert(header::CONTENT_LANGUAGE, v);
    }
    res
}

fn render(t: &impl Template) -> Result<String> {
    t.render().map_err(|e| HttpError::Internal(e.into()))
}

/// A statement's signatures in words: "22 premiers signataires · 140 sur le fédivers" once
/// the coalition recorded signatories, else "140 cosignatures".
fn signature_counts(ui: Ui, t: &db::read::cosign::Tally) -> String {
    if t.recorded > 0 {
        format!(
            "{} {} · {} {}",
            t.recorded,
            ui.t_n(Key::FirstSignatories, t.recorded),
            t.signatures,
            ui.t(Key::OnTheFediverse)
        )
    } else {
        format!(
            "{} {}",
            t.signatures,
            ui.t_n(Key::Cosignatures, t.signatures)
        )
    }
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

pub struct MemberView {
    pub name: String,
    pub handle: String,
    pub url: String,
    pub icon: Option<String>,
}

async fn members_of(state: &AppState) -> Result<Vec<MemberView>> {
    Ok(db::read::relays::members(&state.db)
        .await?
        .into_iter()
        .map(|m| MemberView {
            name: m.name.clone().unwrap_or_else(|| m.actor_id.clone()),
            handle: match (&m.preferred_username, &m.host) {
                (Some(u), Some(h)) => format!("@{u}@{h}"),
                _ => String::new(),
            },
            icon: m.icon_url,
            url: m.actor_id,
        })
        .collect())
}

/// A statement's text in the interface language if it has one, else its primary language.
fn text_for(texts: &[StoredText], ui: Ui) -> Option<&StoredText> {
    texts.iter().find(|t| t.lang == ui.code()).or(texts.first())
}

/// The text a statement's page (and its preview image) shows: the language asked for with
/// `?lang=` if the statement has it, else as `text_for` chooses.
fn shown_text<'a>(texts: &'a [StoredText], query: Option<&str>, ui: Ui) -> Option<&'a StoredText> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, l)| texts.iter().find(|t| t.lang == l))
        .or_else(|| text_for(texts, ui))
}

/// "signature" or "signatures": the same word in French and English.
fn signatures_word(count: u64) -> &'static str {
    if count == 1 {
        "signature"
    } else {
        "signatures"
    }
}

/// An image other sites show (the badge, the link preview): cached five minutes, allowed
/// across origins, never sniffed, and running nothing even when opened on its own.
fn image_response(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../tribune.css"),
    )
        .into_response()
}
