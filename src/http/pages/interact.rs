//! Following or co-signing from a visitor's own server.

use super::*;

/// Send a visitor to their own server to follow the coalition or co-sign a statement: the
/// server's remote-interaction template from WebFinger
/// (`http://ostatus.org/schema/1.0/subscribe`), else Mastodon's `/authorize_interaction`.
pub(super) async fn interact(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let ui = Ui::choose(
        query.as_deref(),
        &headers,
        state.coalition.languages.first(),
    );
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
    let raw_handle = params.get("handle").map(|h| h.trim()).unwrap_or_default();
    let handle = raw_handle.trim_start_matches('@');
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
    // Local addresses are only for local demos and tests, over http.
    let local = host
        .split(':')
        .next()
        .is_some_and(|h| h == "localhost" || h.ends_with(".localhost"));
    let local_ok = local && state.settings.federation.allow_private_addresses;
    // A server's name has a dot: `moi` alone would send the visitor to https://moi/.
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        && (local_ok || host.split(':').next().is_some_and(|h| h.contains('.')));
    if !host_ok || user.is_some_and(|u| u.is_empty() || u.contains(['/', '?', '#', ' '])) {
        return error_page(&state, ui, uri, raw_handle, Key::BadHandle);
    }
    let scheme = if local_ok { "http" } else { "https" };
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
        _ => error_page(&state, ui, uri, raw_handle, Key::Unreachable),
    }
}

#[derive(Template)]
#[template(path = "interact.html")]
pub(super) struct InteractPage {
    c: Chrome,
    /// Follow or co-sign, in words.
    action: &'static str,
    uri: String,
    handle: String,
    error: &'static str,
}

/// The form again, filled with what the visitor typed, the problem next to the field, in
/// the interface's language (422: the browser shows it like any page).
fn error_page(state: &AppState, ui: Ui, uri: &str, handle: &str, error: Key) -> Result<Response> {
    let action = if uri == state.coalition.urls.actor.as_str() {
        Key::Follow
    } else {
        Key::Cosign
    };
    let title = format!("{} · {}", ui.t(action), state.coalition.name);
    let url = state.coalition.urls.base.join("/interact");
    let page = InteractPage {
        c: Chrome::new(state, ui, title, url),
        action: ui.t(action),
        uri: uri.to_owned(),
        handle: handle.to_owned(),
        error: ui.t(error),
    };
    Ok(page_response(
        ui,
        StatusCode::UNPROCESSABLE_ENTITY,
        render(&page)?,
    ))
}
