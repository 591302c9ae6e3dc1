//! Discovery: WebFinger, host-meta and NodeInfo (docs/interop.md §1).

use axum::{
    Router,
    extract::{RawQuery, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Serialize;
use serde_json::json;
use url::Url;

use super::error::{HttpError, Result};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.0", get(nodeinfo_20))
        .route("/nodeinfo/2.1", get(nodeinfo_21))
}

/// A WebFinger `resource`, parsed.
#[derive(Debug, PartialEq, Eq)]
pub enum Resource {
    /// `acct:user@host` (also written `user@host` or `@user@host`).
    Account { user: String, host: String },
    /// An http(s) URL, such as the actor id.
    Url(Url),
}

/// Parse a `resource` parameter; `Err` means it is malformed (answered with 400).
pub fn parse_resource(resource: &str) -> Result<Resource, String> {
    let r = resource.trim();
    if r.is_empty() {
        return Err("the resource parameter is empty".into());
    }
    if r.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the resource contains spaces or control characters".into());
    }
    let lower = r.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let url = Url::parse(r).map_err(|e| format!("the resource is not a valid URL: {e}"))?;
        if url.host_str().is_none() {
            return Err("the resource URL has no host".into());
        }
        return Ok(Resource::Url(url));
    }
    let account = match lower.strip_prefix("acct:") {
        Some(_) => &r[5..],
        // `user@host:port` has a colon too; a scheme is a colon before any `@`.
        None if r.find(':').is_some_and(|i| !r[..i].contains('@')) => {
            return Err("the resource must be an acct: URI or an http(s) URL".into());
        }
        None => r,
    };
    let account = account.strip_prefix('@').unwrap_or(account);
    let Some((user, host)) = account.rsplit_once('@') else {
        return Err("an acct: resource must be user@host".into());
    };
    if user.is_empty() || host.is_empty() || user.contains('@') {
        return Err("an acct: resource must be user@host".into());
    }
    Ok(Resource::Account {
        user: user.to_owned(),
        host: host.to_ascii_lowercase(),
    })
}

/// The JRD of RFC 7033.
#[derive(Debug, Serialize)]
struct Jrd {
    subject: String,
    aliases: Vec<String>,
    links: Vec<JrdLink>,
}

#[derive(Debug, Serialize)]
struct JrdLink {
    rel: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    href: String,
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tracing::instrument(skip_all)]
async fn webfinger(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response> {
    let resource = query_param(query.as_deref(), "resource")
        .ok_or_else(|| HttpError::bad_request("the resource parameter is required"))?;
    let resource = parse_resource(&resource).map_err(HttpError::BadRequest)?;
    let coalition = &state.coalition;
    let urls = &coalition.urls;
    let ours = match &resource {
        Resource::Account { user, host } => {
            host.eq_ignore_ascii_case(&urls.authority) && coalition.username.matches(user)
        }
        Resource::Url(url) => url == &urls.actor || url == &urls.profile,
    };
    if !ours {
        return Err(HttpError::not_found("no such account on this server"));
    }
    let jrd = Jrd {
        subject: format!("acct:{}", coalition.handle()),
        aliases: vec![urls.profile.to_string(), urls.actor.to_string()],
        links: vec![
            JrdLink {
                rel: "http://webfinger.net/rel/profile-page",
                kind: "text/html",
                href: urls.profile.to_string(),
            },
            // Mastodon requires this exact type and an href byte-identical to the actor id.
            JrdLink {
                rel: "self",
                kind: crate::protocol::ACTIVITY_JSON,
                href: urls.actor.to_string(),
            },
        ],
    };
    Ok(json_with_type("application/jrd+json; charset=utf-8", &jrd))
}

/// Mastodon falls back to host-meta's `lrdd` template when WebFinger answers 404.
async fn host_meta(State(state): State<AppState>) -> Response {
    let template = state
        .coalition
        .urls
        .base
        .join("/.well-known/webfinger?resource={uri}");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        crate::util::escape_html(&template)
    );
    (
        [
            (header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    let base = &state.coalition.urls.base;
    let body = json!({"links": [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": base.join("/nodeinfo/2.0")},
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": base.join("/nodeinfo/2.1")},
    ]});
    json_with_type("application/json", &body)
}

fn nodeinfo(state: &AppState, version: &str, local_posts: u64) -> serde_json::Value {
    let software = json!({"name": "tribune", "version": env!("CARGO_PKG_VERSION")});
    json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        // One actor, the coalition; its posts are its published statements.
        "usage": {"users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": local_posts},
        "metadata": {"nodeName": state.coalition.name},
    })
}

async fn nodeinfo_20(State(state): State<AppState>) -> Result<Response> {
    let posts = crate::db::read::statements::count_published(&state.db).await?;
    Ok(json_with_type(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"",
        &nodeinfo(&state, "2.0", posts),
    ))
}

async fn nodeinfo_21(State(state): State<AppState>) -> Result<Response> {
    let posts = crate::db::read::statements::count_published(&state.db).await?;
    Ok(json_with_type(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        &nodeinfo(&state, "2.1", posts),
    ))
}

/// JSON with an exact Content-Type, readable from browsers' scripts (RFC 7033 §5).
fn json_with_type<T: Serialize>(content_type: &'static str, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => HttpError::Internal(e.into()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(user: &str, host: &str) -> Resource {
        Resource::Account {
            user: user.into(),
            host: host.into(),
        }
    }

    #[test]
    fn parses_account_forms() {
        assert_eq!(
            parse_resource("acct:hiatus@example.org"),
            Ok(acct("hiatus", "example.org"))
        );
        assert_eq!(
            parse_resource("ACCT:Hiatus@Example.org"),
            Ok(acct("Hiatus", "example.org"))
        );
        assert_eq!(
            parse_resource("hiatus@example.org"),
            Ok(acct("hiatus", "example.org"))
        );
        assert_eq!(
            parse_resource("@hiatus@localhost:8080"),
            Ok(acct("hiatus", "localhost:8080"))
        );
        assert_eq!(
            parse_resource("hiatus@localhost:8080"),
            Ok(acct("hiatus", "localhost:8080"))
        );
    }

    #[test]
    fn parses_urls() {
        assert_eq!(
            parse_resource("https://example.org/ap/hiatus"),
            Ok(Resource::Url(
                Url::parse("https://example.org/ap/hiatus").unwrap()
            ))
        );
    }

    #[test]
    fn refuses_malformed_resources() {
        for bad in [
            "",
            "acct:",
            "acct:hiatus",
            "acct:@example.org",
            "acct:hiatus@",
            "mailto:a@b",
            "acct:a b@c",
            "https://",
            "http://[::1",
            "acct:a@b@c",
        ] {
            assert!(parse_resource(bad).is_err(), "{bad:?}");
        }
    }
}
