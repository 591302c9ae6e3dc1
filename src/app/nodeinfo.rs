//! Which software a server runs, from its NodeInfo, for the behaviours that depend on it.

use std::time::Duration;

use reqwest_middleware::ClientWithMiddleware;
use serde_json::Value;
use url::Url;

use crate::{db, state::AppState};

/// Look-ups are kept this long.
const FRESH_FOR: chrono::Duration = chrono::Duration::days(7);
/// NodeInfo documents are small; refuse more.
const MAX_BYTES: usize = 256 * 1024;

/// GET a small JSON document: bounded in time and size, errors as None.
pub async fn get_json(client: &ClientWithMiddleware, url: &str) -> Option<Value> {
    let mut res = client
        .get(url)
        .header("accept", "application/json")
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?
        .error_for_status()
        .ok()?;
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.ok()? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return None;
        }
    }
    serde_json::from_slice(&body).ok()
}

/// The lower-case `software.name` of the server of `actor`, or None when it has no usable
/// NodeInfo.
pub async fn software_of(client: &ClientWithMiddleware, actor: &Url) -> Option<String> {
    let base = format!("{}://{}", actor.scheme(), db::deliveries::authority(actor));
    let links = get_json(client, &format!("{base}/.well-known/nodeinfo")).await?;
    let href = links
        .get("links")?
        .as_array()?
        .iter()
        .filter(|l| {
            l.get("rel")
                .and_then(Value::as_str)
                .is_some_and(|r| r.starts_with("http://nodeinfo.diaspora.software/ns/schema/2."))
        })
        .filter_map(|l| l.get("href").and_then(Value::as_str))
        .next_back()?
        .to_owned();
    // The document must be on the same server.
    let href_url = Url::parse(&href).ok()?;
    if db::deliveries::authority(&href_url) != db::deliveries::authority(actor) {
        return None;
    }
    let doc = get_json(client, &href).await?;
    doc.get("software")?
        .get("name")?
        .as_str()
        .map(str::to_ascii_lowercase)
}

/// Record the software of `actor`'s server unless it was looked up lately. Failures are
/// recorded too (as unknown), so that a server without NodeInfo is not asked every time.
pub async fn remember_software(state: &AppState, client: &ClientWithMiddleware, actor: &Url) {
    let host = db::deliveries::authority(actor);
    match db::relays::instance_fetched_at(&state.db, &host).await {
        Ok(Some(at)) if chrono::Utc::now() - at < FRESH_FOR => return,
        Err(e) => {
            tracing::warn!(error = %e, "reading instance software");
            return;
        }
        _ => {}
    }
    let software = software_of(client, actor).await;
    if let Err(e) = db::relays::set_instance_software(&state.db, &host, software.as_deref()).await {
        tracing::warn!(error = %e, "storing instance software");
    }
}

/// The remote-interaction template a server gives in WebFinger
/// (`http://ostatus.org/schema/1.0/subscribe`), where a visitor follows or co-signs.
pub async fn subscribe_template(client: &ClientWithMiddleware, url: &str) -> Option<String> {
    let jrd = get_json(client, url).await?;
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
