//! Following or co-signing from a visitor's own server.

use super::*;

/// Send a visitor to their own server to follow the coalition or co-sign a statement: the
/// server's remote-interaction template from WebFinger
/// (`http://ostatus.org/schema/1.0/subscribe`), else Mastodon's `/authorize_interaction`.
pub(super) async fn interact(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
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
        if let Some(template) = crate::app::nodeinfo::subscribe_template(&state.http, &finger).await
        {
            let candidate = template.replace("{uri}", &encoded);
            // Only to the handle's own server: a template pointing elsewhere would make this
            // page an open redirect (SECURITY.md, attack 11).
            let same_host = url::Url::parse(&candidate)
                .is_ok_and(|u| crate::util::normal_authority(&u) == host.to_ascii_lowercase());
            if same_host {
                target = candidate;
            }
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
