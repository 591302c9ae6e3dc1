//! Pages for people: the profile, each statement with its co-signers, the members, an Atom
//! feed, and the form that sends a visitor to their own server to follow or co-sign.
//! Server-rendered, no JavaScript; everything remote is escaped (askama) or sanitised.

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
    i18n::Ui,
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
        .route("/", get(root))
        .route("/{at_username}", get(profile))
        .route("/members", get(members_page))
        .route("/statements.atom", get(feed))
        .route("/interact", get(interact))
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
    pub site: String,
    pub profile: String,
    pub feed: String,
    pub activitypub: Option<String>,
    pub version: &'static str,
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
            site: c.name.clone(),
            profile: c.urls.profile.to_string(),
            feed: c.urls.base.join("/statements.atom"),
            activitypub: None,
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// The security and caching headers of every page.
pub fn page_response(ui: Ui, status: StatusCode, html: String) -> Response {
    let mut res = (status, Html(html)).into_response();
    let h = res.headers_mut();
    // Remote avatars are the only outside content; nothing else loads, nothing runs.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src 'self' https: http:; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
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

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

struct SummaryBlock {
    lang: String,
    html: String,
}

struct FieldView {
    name: String,
    value_html: String,
}

pub struct MemberView {
    name: String,
    handle: String,
    url: String,
    icon: Option<String>,
}

struct StatementCard {
    lang: String,
    title: String,
    url: String,
    html: String,
    date: String,
    signatures: u64,
}

impl StatementCard {
    /// The card without its text, for the list.
    fn clone_light(&self) -> StatementCard {
        StatementCard {
            lang: self.lang.clone(),
            title: self.title.clone(),
            url: self.url.clone(),
            html: String::new(),
            date: self.date.clone(),
            signatures: self.signatures,
        }
    }
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    c: Chrome,
    name: String,
    handle: String,
    actor_id: String,
    avatar_url: String,
    avatar_alt: String,
    header_url: String,
    header_alt: String,
    summary: Vec<SummaryBlock>,
    fields: Vec<FieldView>,
    members: Vec<MemberView>,
    pinned: Vec<StatementCard>,
    latest: Vec<StatementCard>,
    followers: u64,
    cosignatures: u64,
}

async fn members_of(state: &AppState) -> Result<Vec<MemberView>> {
    Ok(db::relays::members(&state.db)
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

async fn card(
    state: &AppState,
    row: &db::statements::StatementRow,
    ui: Ui,
) -> Result<StatementCard> {
    let texts: Vec<StoredText> =
        serde_json::from_str(&row.texts).map_err(|e| HttpError::Internal(e.into()))?;
    let text = text_for(&texts, ui).cloned().unwrap_or(StoredText {
        lang: String::new(),
        title: row.slug.clone(),
        markdown: String::new(),
        html: String::new(),
    });
    let tally = db::cosign::tally(&state.db, &row.slug).await?;
    let html = body_without_title(&text);
    Ok(StatementCard {
        lang: text.lang,
        title: text.title,
        url: statement_url(&state.coalition, &row.slug),
        html,
        date: day(row.published_at),
        signatures: tally.signatures,
    })
}

/// The profile page, also served at the actor id to browsers.
pub async fn profile_response(
    state: &AppState,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response> {
    let c = &state.coalition;
    let ui = Ui::choose(query, headers, c.languages.first());
    let mut chrome = Chrome::new(
        state,
        ui,
        format!("{} (@{})", c.name, c.handle()),
        c.urls.profile.to_string(),
    );
    chrome.og_type = "profile";
    chrome.activitypub = Some(c.urls.actor.to_string());
    let statements = db::statements::list(&state.db, false).await?;
    let mut pinned = Vec::new();
    let mut latest = Vec::new();
    let mut cosignatures = 0;
    for row in &statements {
        let card = card(state, row, ui).await?;
        cosignatures += card.signatures;
        if latest.len() < 20 {
            latest.push(card.clone_light());
        }
        if row.pinned {
            pinned.push(card);
        }
    }
    let page = ProfilePage {
        c: chrome,
        name: c.name.clone(),
        handle: c.handle(),
        actor_id: c.urls.actor.to_string(),
        avatar_url: c.urls.media(&c.avatar)?.to_string(),
        avatar_alt: c.avatar.alt.clone(),
        header_url: c.urls.media(&c.header)?.to_string(),
        header_alt: c.header.alt.clone(),
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
        members: members_of(state).await?,
        pinned,
        latest,
        followers: db::followers::count(&state.db, db::followers::FollowState::Accepted).await?,
        cosignatures,
    };
    Ok(page_response(ui, StatusCode::OK, render(&page)?))
}

async fn root(State(state): State<AppState>) -> Redirect {
    Redirect::to(state.coalition.urls.profile.path())
}

/// `/@username`: the profile for people; ActivityPub clients are sent to the actor id, so
/// that what they fetch has `id` equal to the URL they asked for.
async fn profile(
    State(state): State<AppState>,
    Path(at_username): Path<String>,
    RawQuery(query): RawQuery,
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
    profile_response(&state, query.as_deref(), &headers).await
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    c: Chrome,
    members: Vec<MemberView>,
}

async fn members_page(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let c = &state.coalition;
    let ui = Ui::choose(query.as_deref(), &headers, c.languages.first());
    let chrome = Chrome::new(
        &state,
        ui,
        format!("{} · {}", ui.w("members"), c.name),
        c.urls.base.join("/members"),
    );
    let page = MembersPage {
        c: chrome,
        members: members_of(&state).await?,
    };
    Ok(page_response(ui, StatusCode::OK, render(&page)?))
}

struct TextView {
    lang: String,
    lang_name: &'static str,
    title: String,
    body_html: String,
}

struct SignerView {
    name: String,
    handle: String,
    url: String,
    icon: Option<String>,
    date: String,
    version: i32,
}

struct Group {
    title: &'static str,
    signers: Vec<SignerView>,
}

struct VersionView {
    number: i32,
    date: String,
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    c: Chrome,
    url: String,
    texts: Vec<TextView>,
    published: String,
    updated: Option<String>,
    shown_version: i32,
    current_version: i32,
    older: bool,
    signatures: u64,
    likes: u64,
    groups: Vec<Group>,
    withdrawn: Vec<SignerView>,
    versions: Vec<VersionView>,
    chart: String,
}

#[derive(Template)]
#[template(path = "gone.html")]
struct GonePage {
    c: Chrome,
}

fn language_name(code: &str) -> &'static str {
    match code.split('-').next().unwrap_or_default() {
        "fr" => "Français",
        "en" => "English",
        "de" => "Deutsch",
        "es" => "Español",
        "it" => "Italiano",
        "pt" => "Português",
        "nl" => "Nederlands",
        "br" => "Brezhoneg",
        "eu" => "Euskara",
        "ca" => "Català",
        "oc" => "Occitan",
        "ar" => "العربية",
        _ => "—",
    }
}

/// Strip the bold title paragraph the Note carries: the page shows the title as a heading.
fn body_without_title(t: &StoredText) -> String {
    let title = format!(
        "<p><strong>{}</strong></p>",
        crate::util::escape_html(&t.title)
    );
    t.html.strip_prefix(&title).unwrap_or(&t.html).to_owned()
}

/// The statement page; `410` with a notice once deleted.
pub async fn statement_page(
    state: &AppState,
    row: &db::statements::StatementRow,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response> {
    let c = &state.coalition;
    let ui = Ui::choose(query, headers, c.languages.first());
    let url = statement_url(c, &row.slug);
    if row.deleted_at.is_some() {
        let chrome = Chrome::new(state, ui, ui.w("deleted").to_owned(), url);
        return Ok(page_response(
            ui,
            StatusCode::GONE,
            render(&GonePage { c: chrome })?,
        ));
    }
    let versions = db::statements::versions(&state.db, &row.slug).await?;
    let asked = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<i32>().ok());
    let shown = match asked {
        Some(n) => versions
            .iter()
            .find(|v| v.version == n)
            .ok_or_else(|| HttpError::not_found("no such version"))?,
        None => versions
            .iter()
            .find(|v| v.version == row.current_version)
            .ok_or_else(|| {
                HttpError::Internal(anyhow::anyhow!("the current version is missing"))
            })?,
    };
    let texts: Vec<StoredText> =
        serde_json::from_str(&shown.texts).map_err(|e| HttpError::Internal(e.into()))?;
    let title = text_for(&texts, ui)
        .map(|t| t.title.clone())
        .unwrap_or_else(|| row.slug.clone());
    let mut chrome = Chrome::new(state, ui, format!("{title} · {}", c.name), url.clone());
    chrome.og_type = "article";
    chrome.activitypub = Some(url.clone());
    if let Some(t) = text_for(&texts, ui) {
        let plain = ammonia::Builder::empty().clean(&t.html).to_string();
        chrome.description = plain.chars().take(280).collect();
    }
    // The interface language's text first, the others after.
    let mut ordered: Vec<&StoredText> = texts.iter().collect();
    ordered.sort_by_key(|t| t.lang != ui.code());
    let signatures = db::cosign::current(&state.db, &row.slug, false).await?;
    let view = |s: &db::cosign::SignatureRow, at: DateTime<Utc>| SignerView {
        name: s
            .actor_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| s.actor_id.clone()),
        handle: s
            .actor_handle
            .as_ref()
            .map(|h| format!("@{h}"))
            .unwrap_or_default(),
        url: s.actor_id.clone(),
        icon: s
            .actor_icon
            .clone()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        date: day(at),
        version: s.version,
    };
    let mut groups = Vec::new();
    for (class, key) in [
        ("member", "member_orgs"),
        ("organisation", "other_orgs"),
        ("person", "persons"),
    ] {
        let signers: Vec<SignerView> = signatures
            .iter()
            .filter(|s| s.counts && s.class == class)
            .map(|s| view(s, s.signed_at))
            .collect();
        if !signers.is_empty() {
            groups.push(Group {
                title: ui.w(key),
                signers,
            });
        }
    }
    let history = db::cosign::history(&state.db, &row.slug).await?;
    let withdrawn = history
        .iter()
        .filter_map(|s| s.withdrawn_at.map(|at| view(s, at)))
        .collect();
    let tally = db::cosign::tally(&state.db, &row.slug).await?;
    let page = StatementPage {
        chart: chart(&history, ui),
        c: chrome,
        url: url.clone(),
        texts: ordered
            .into_iter()
            .map(|t| TextView {
                lang: t.lang.clone(),
                lang_name: language_name(&t.lang),
                title: t.title.clone(),
                body_html: body_without_title(t),
            })
            .collect(),
        published: day(row.published_at),
        updated: row.updated_at.map(day),
        shown_version: shown.version,
        current_version: row.current_version,
        older: shown.version != row.current_version,
        signatures: tally.signatures,
        likes: tally.likes,
        groups,
        withdrawn,
        versions: versions
            .iter()
            .map(|v| VersionView {
                number: v.version,
                date: day(v.created_at),
            })
            .collect(),
    };
    Ok(page_response(ui, StatusCode::OK, render(&page)?))
}

/// A small SVG line of the number of signatures over time (no script, inline).
fn chart(history: &[db::cosign::SignatureRow], ui: Ui) -> String {
    let mut events: Vec<(DateTime<Utc>, i64)> = Vec::new();
    for s in history.iter().filter(|s| s.counts && s.hidden_at.is_none()) {
        events.push((s.signed_at, 1));
        if let Some(w) = s.withdrawn_at {
            events.push((w, -1));
        }
    }
    if events.len() < 2 {
        return String::new();
    }
    events.sort();
    let (start, end) = (events[0].0, events[events.len() - 1].0);
    let span = (end - start).num_seconds().max(1) as f64;
    let mut level = 0i64;
    let mut points = vec![(0.0f64, 0i64)];
    for (at, delta) in &events {
        let x = (*at - start).num_seconds() as f64 / span * 560.0;
        points.push((x, level));
        level += delta;
        points.push((x, level));
    }
    let top = points.iter().map(|p| p.1).max().unwrap_or(1).max(1) as f64;
    let coords: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{:.1},{:.1}", 20.0 + x, 110.0 - (*y as f64) / top * 90.0))
        .collect();
    format!(
        "<figure class=\"chart\"><svg role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 600 120\" width=\"600\" height=\"120\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">{title}: {level}</title><line x1=\"20\" y1=\"110\" x2=\"580\" y2=\"110\" stroke=\"#4a5f55\"/><polyline fill=\"none\" stroke=\"#1f6e50\" stroke-width=\"3\" points=\"{points}\"/><text x=\"20\" y=\"14\" font-size=\"12\" fill=\"#14231c\">{top}</text></svg><figcaption>{title}</figcaption></figure>",
        title = ui.w("chart"),
        points = coords.join(" "),
        top = top as i64,
    )
}

/// The Atom feed of the statements, newest first.
async fn feed(State(state): State<AppState>) -> Result<Response> {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let c = &state.coalition;
    let rows = db::statements::list(&state.db, false).await?;
    let mut entries = Vec::new();
    for row in rows.iter().take(50) {
        let texts: Vec<StoredText> =
            serde_json::from_str(&row.texts).map_err(|e| HttpError::Internal(e.into()))?;
        let url = statement_url(c, &row.slug);
        let title = texts
            .iter()
            .map(|t| t.title.as_str())
            .collect::<Vec<_>>()
            .join(" / ");
        let html: String = texts.iter().map(|t| t.html.as_str()).collect();
        let updated = row.updated_at.unwrap_or(row.published_at);
        entries.push(Entry {
            id: url.clone(),
            title: Text::plain(title),
            updated: updated.fixed_offset(),
            published: Some(row.published_at.fixed_offset()),
            links: vec![Link {
                href: url,
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Default::default()
            }],
            content: Some(Content {
                value: Some(html),
                content_type: Some("html".into()),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    let updated = rows
        .iter()
        .map(|r| r.updated_at.unwrap_or(r.published_at))
        .max()
        .unwrap_or(c.published);
    let feed = Feed {
        id: c.urls.base.join("/statements.atom"),
        title: Text::plain(c.name.clone()),
        updated: updated.fixed_offset(),
        authors: vec![Person {
            name: c.name.clone(),
            uri: Some(c.urls.profile.to_string()),
            ..Default::default()
        }],
        links: vec![
            Link {
                href: c.urls.base.join("/statements.atom"),
                rel: "self".into(),
                ..Default::default()
            },
            Link {
                href: c.urls.profile.to_string(),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Default::default()
            },
        ],
        entries,
        ..Default::default()
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        feed.to_string(),
    )
        .into_response())
}

/// Send a visitor to their own server to follow the coalition or co-sign a statement: the
/// server's remote-interaction template from WebFinger
/// (`http://ostatus.org/schema/1.0/subscribe`), else Mastodon's `/authorize_interaction`.
async fn interact(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response> {
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let uri = params.get("uri").map(String::as_str).unwrap_or_default();
    // Only our own actor and statements: this is not an open redirect.
    let ours = uri == state.coalition.urls.actor.as_str()
        || crate::app::cosign::our_slug(&state, uri).is_some();
    if !ours {
        return Err(HttpError::Invalid {
            field: "uri".into(),
            problem: "not one of this coalition's addresses".into(),
        });
    }
    let handle = params.get("handle").map(|h| h.trim()).unwrap_or_default();
    let handle = handle.trim_start_matches('@');
    let (user, host) = match handle.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (
            None,
            handle
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/'),
        ),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !host_ok || user.is_some_and(|u| u.is_empty() || u.contains(['/', '?', '#', ' '])) {
        return Err(HttpError::Invalid {
            field: "handle".into(),
            problem: "enter @you@your.server or your.server".into(),
        });
    }
    // Local addresses are only for local demos and tests, over http.
    let local = host
        .split(':')
        .next()
        .is_some_and(|h| h == "localhost" || h.ends_with(".localhost"));
    let scheme = if local && state.settings.federation.allow_private_addresses {
        "http"
    } else {
        "https"
    };
    let encoded: String = url::form_urlencoded::byte_serialize(uri.as_bytes()).collect();
    let mut target = format!("{scheme}://{host}/authorize_interaction?uri={encoded}");
    if let Some(user) = user {
        let resource: String =
            url::form_urlencoded::byte_serialize(format!("acct:{user}@{host}").as_bytes())
                .collect();
        let finger = format!("{scheme}://{host}/.well-known/webfinger?resource={resource}");
        if let Some(template) = subscribe_template(&state.http, &finger).await {
            target = template.replace("{uri}", &encoded);
        }
    }
    match url::Url::parse(&target) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            Ok(Redirect::to(u.as_str()).into_response())
        }
        _ => Err(HttpError::Invalid {
            field: "handle".into(),
            problem: "that server's interaction address is not usable".into(),
        }),
    }
}

async fn subscribe_template(client: &reqwest::Client, url: &str) -> Option<String> {
    let jrd = crate::app::nodeinfo::get_json(client, url).await?;
    jrd.get("links")?
        .as_array()?
        .iter()
        .find(|l| {
            l.get("rel").and_then(|r| r.as_str()) == Some("http://ostatus.org/schema/1.0/subscribe")
        })?
        .get("template")?
        .as_str()
        .filter(|t| t.contains("{uri}"))
        .map(str::to_owned)
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
