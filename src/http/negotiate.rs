//! Content negotiation between ActivityPub JSON and HTML at the same URL.

use axum::http::{HeaderMap, header};

/// True when the client asks for ActivityPub JSON at least as much as for HTML.
///
/// Mastodon asks with `Accept: application/activity+json, application/ld+json`; other
/// servers send `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`.
/// Browsers list `text/html` and never an ActivityPub type, and `*/*` alone (curl) gets HTML.
pub fn wants_activitypub(headers: &HeaderMap) -> bool {
    let mut ap_q: f32 = 0.0;
    let mut html_q: f32 = 0.0;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let mut q = 1.0f32;
            for p in parts {
                if let Some((k, v)) = p.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    q = v.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0);
                }
            }
            match media.as_str() {
                "application/activity+json" | "application/ld+json" | "application/json" => {
                    ap_q = ap_q.max(q)
                }
                "text/html" | "application/xhtml+xml" => html_q = html_q.max(q),
                _ => {}
            }
        }
    }
    ap_q > 0.0 && ap_q >= html_q
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn activitypub_clients_get_json() {
        assert!(wants_activitypub(&accept(
            "application/activity+json, application/ld+json"
        )));
        assert!(wants_activitypub(&accept(
            r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#
        )));
        assert!(wants_activitypub(&accept("application/activity+json")));
    }

    #[test]
    fn browsers_and_curl_get_html() {
        assert!(!wants_activitypub(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!wants_activitypub(&accept("*/*")));
        assert!(!wants_activitypub(&HeaderMap::new()));
        assert!(!wants_activitypub(&accept(
            "text/html, application/activity+json;q=0.5"
        )));
        assert!(!wants_activitypub(&accept("application/activity+json;q=0")));
    }
}
