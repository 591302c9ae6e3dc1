//! `tribune doctor`: check what an operator most often gets wrong, and say what to fix.

use serde_json::Value;

use super::Failure;
use crate::{config::Settings, db, state::AppState};

struct Report {
    problems: usize,
}

impl Report {
    fn ok(&self, what: &str) {
        out!("ok    {what}");
    }

    fn warn(&self, what: &str) {
        out!("warn  {what}");
    }

    fn fix(&mut self, what: &str) {
        self.problems += 1;
        out!("FIX   {what}");
    }
}

pub async fn run(settings: Settings) -> Result<(), Failure> {
    let mut r = Report { problems: 0 };
    // The images are configuration: a missing avatar is said here, not as the database's.
    if let Err(e) = crate::startup::check_images(&settings) {
        let why = super::output::sentence(&e);
        r.fix(&format!(
            "configuration: {}",
            why.trim_start_matches("configuration: ")
        ));
        return finish(&r);
    }
    r.ok("configuration: every setting is valid");
    let public = settings.server.public_url.clone();
    if public.url().scheme() != "https" && !public.is_local() {
        r.fix("server.public_url: use https:// (servers refuse or downgrade plain http actors)");
    }
    if settings.federation.allow_private_addresses && !public.is_local() {
        r.warn("federation.allow_private_addresses is on for a public server: turn it off unless you know why");
    }
    if settings.admin.token().is_none() {
        r.warn("admin.token is empty: the admin API is off (the CLI still works)");
    }

    let r_url = settings.database.url.clone();
    let state = match crate::startup::open_state(settings).await {
        Ok(s) => s,
        Err(e) => {
            let url = &r_url;
            let why = crate::db::read::environment_problem(e.chain(), url)
                .unwrap_or_else(|| super::output::sentence(&e));
            r.fix(&format!("database: {why}"));
            return finish(&r);
        }
    };
    match db::read::ready(&state.db).await {
        Ok(()) => r.ok(&format!(
            "database ({}): reachable, every migration applied",
            state.db.backend()
        )),
        Err(e) => r.fix(&format!("database: {e}")),
    }
    if state.db.backend() == "postgres" {
        match db::read::server_clock(&state.db).await {
            Ok(db_now) => {
                let skew = (chrono::Utc::now() - db_now).num_seconds().abs();
                if skew > 60 {
                    r.fix(&format!(
                        "clock: this machine and PostgreSQL differ by {skew} s; run NTP on both"
                    ));
                } else {
                    r.ok(&format!("clock: within {skew} s of PostgreSQL's"));
                }
            }
            Err(e) => r.warn(&format!("clock: cannot read PostgreSQL's time: {e}")),
        }
    }

    // The WebFinger loop-back Mastodon performs: acct → self link → actor with that id.
    let c = &state.coalition;
    let handle = c.handle();
    let finger = public.join(&format!(
        "/.well-known/webfinger?resource={}",
        url::form_urlencoded::byte_serialize(format!("acct:{handle}").as_bytes())
            .collect::<String>()
    ));
    let started = std::time::SystemTime::now();
    match state.http.get(&finger).header("accept", "application/jrd+json").send().await {
        Err(e) => r.fix(&format!(
            "WebFinger loop-back: {finger} does not answer ({e}); is `tribune serve` running and reachable at server.public_url, through the proxy?"
        )),
        Ok(res) => {
            if let Some(date) = res.headers().get("date").and_then(|d| d.to_str().ok()).and_then(|d| httpdate::parse_http_date(d).ok()) {
                let skew = match started.duration_since(date) {
                    Ok(d) => d.as_secs(),
                    Err(e) => e.duration().as_secs(),
                };
                if skew > 60 {
                    r.fix(&format!("clock: the server's Date is {skew} s away from this machine's; signatures are refused past an hour"));
                }
            }
            let status = res.status();
            let jrd: Option<Value> = res.json().await.ok();
            let href = jrd.as_ref().and_then(|j| {
                j["links"].as_array()?.iter().find(|l| l["rel"] == "self")?["href"].as_str().map(str::to_owned)
            });
            match (status.as_u16(), href) {
                (200, Some(href)) if href == c.urls.actor.as_str() => {
                    r.ok(&format!("WebFinger loop-back: @{handle} → {href}"));
                    check_actor(&mut r, &state, &href).await;
                }
                (200, Some(href)) => r.fix(&format!(
                    "WebFinger loop-back: the self link is {href}, not {}: the proxy or server.public_url rewrites it",
                    c.urls.actor
                )),
                (code, _) => r.fix(&format!(
                    "WebFinger loop-back: {finger} answered {code} without a self link; check server.public_url and coalition.username"
                )),
            }
        }
    }
    state.db.close().await;
    finish(&r)
}

async fn check_actor(r: &mut Report, state: &AppState, href: &str) {
    let res = state
        .http
        .get(href)
        .header("accept", "application/activity+json")
        .send()
        .await;
    match res {
        Err(e) => r.fix(&format!("actor: {href} does not answer: {e}")),
        Ok(res) => {
            let ct = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let doc: Option<Value> = res.json().await.ok();
            let id = doc
                .as_ref()
                .and_then(|d| d["id"].as_str())
                .unwrap_or_default()
                .to_owned();
            if ct != crate::protocol::ACTIVITY_JSON {
                r.fix(&format!(
                    "actor: served as {ct:?}, Mastodon needs application/activity+json"
                ));
            } else if id != href {
                r.fix(&format!("actor: its id is {id:?}, not the URL fetched ({href}); the proxy must keep Host and the path"));
            } else {
                r.ok("actor: served as application/activity+json with the id it was fetched at");
            }
        }
    }
}

fn finish(r: &Report) -> Result<(), Failure> {
    if r.problems == 0 {
        out!("nothing to fix");
        Ok(())
    } else {
        Err(Failure::Other(anyhow::anyhow!(
            "{} thing(s) to fix",
            r.problems
        )))
    }
}
