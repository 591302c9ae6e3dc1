//! The documents fetched most (WebFinger, the actor, a statement as JSON and as a page) are
//! answered from memory once made (`http::cache`): a second answer is the first one, headers
//! included, and authorized fetch still guards what it covers.

use crate::{
    cosign::STATEMENT,
    discovery::{METRICS_TOKEN, scrape_metrics},
    helpers::{AP_ACCEPT, Backend, World, eventually, on_both_backends},
};
use std::time::Duration;

on_both_backends!(a_hot_document_answered_again_is_the_same_answer);
on_both_backends!(requests_at_the_same_time_get_the_current_answer);
on_both_backends!(a_second_accept_line_is_a_variant_of_its_own);
on_both_backends!(only_kept_answers_for_anyone_are_answered_before_the_routes);

/// Status, headers but `date`, and body.
async fn answer(res: reqwest::Response) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let status = res.status().as_u16();
    let mut headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|(k, _)| k.as_str() != "date")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

/// A read with credentials (a bearer token that names no one): never answered from memory.
async fn with_credentials(w: &World, path: &str, accept: &str) -> reqwest::Response {
    w.app
        .client
        .get(w.app.url(path))
        .header("accept", accept)
        .header("authorization", "Bearer not-a-token")
        .send()
        .await
        .unwrap()
}

async fn a_hot_document_answered_again_is_the_same_answer(backend: Backend) {
    let w = World::start(
        backend,
        "[federation]\nauthorized_fetch = true\n",
        &["alice"],
    )
    .await;
    let file = w.file("s.md", STATEMENT);
    w.cli.ok(&["statement", "publish", &file]).await;
    let statement = format!("{}/statements/manifeste-2026", w.app.base);
    let handle = format!("acct:coalition@localhost:{}", w.app.addr.port());
    let webfinger = format!("/.well-known/webfinger?resource={handle}");
    for (path, accept, kind) in [
        (
            webfinger.as_str(),
            "application/jrd+json",
            "application/jrd+json",
        ),
        (w.coalition.as_str(), AP_ACCEPT, "application/activity+json"),
        (statement.as_str(), "text/html", "text/html"),
    ] {
        let first = answer(w.app.get(path, accept).await).await;
        let again = answer(w.app.get(path, accept).await).await;
        assert_eq!(first.0, 200, "{path}");
        assert!(
            first
                .1
                .iter()
                .any(|(k, v)| k == "content-type" && v.starts_with(kind)),
            "{path}: {:?}",
            first.1
        );
        assert_eq!(
            first, again,
            "{path}: a second answer differs from the first"
        );
        // A request with credentials is never answered from memory: the handler's own
        // answer is the cached one.
        assert_eq!(
            answer(with_credentials(&w, path, accept).await).await,
            first,
            "{path}: the cached answer differs from the handler's"
        );
    }
    // The page for people keeps its security headers when answered from memory.
    let page = answer(w.app.get(&statement, "text/html").await).await;
    for name in [
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
    ] {
        assert!(
            page.1.iter().any(|(k, _)| k == name),
            "{name}: {:?}",
            page.1
        );
    }

    // The statement as JSON, made once for a signed fetch, is not answered unsigned.
    let signed = w.peer.get_signed(&w.client, "alice", &statement).await;
    assert_eq!(signed.status(), 200);
    let signed = answer(signed).await;
    assert_eq!(w.app.get(&statement, AP_ACCEPT).await.status(), 401);
    let again = answer(w.peer.get_signed(&w.client, "alice", &statement).await).await;
    assert_eq!(
        signed, again,
        "a second signed fetch differs from the first"
    );
}

/// The cache makes a missing document once for the requests that ask for it together
/// (`transport::response_cache`): each of them still gets the whole answer; when the answer
/// is not one to keep (a 404), each of them still gets one; a change is seen.
async fn requests_at_the_same_time_get_the_current_answer(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let file = w.file("s.md", STATEMENT);
    w.cli.ok(&["statement", "publish", &file]).await;
    let together = |url: String, accept: &'static str| {
        let requests: Vec<_> = (0..32)
            .map(|_| {
                let request = w.app.client.get(&url).header("accept", accept);
                tokio::spawn(async move { answer(request.send().await.unwrap()).await })
            })
            .collect();
        async move {
            let mut answers = Vec::new();
            for request in requests {
                answers.push(request.await.unwrap());
            }
            answers
        }
    };
    let statement = format!("{}/statements/manifeste-2026", w.app.base);
    for accept in ["text/html", AP_ACCEPT] {
        let answers = together(statement.clone(), accept).await;
        assert_eq!(answers[0].0, 200, "{accept}");
        assert!(
            String::from_utf8_lossy(&answers[0].2).contains("Texte."),
            "{accept}"
        );
        assert!(answers.iter().all(|a| a == &answers[0]), "{accept}");
    }
    for a in together(
        format!("{}/statements/nothing-here", w.app.base),
        "text/html",
    )
    .await
    {
        assert_eq!(a.0, 404);
    }

    let edited = w.file("s2.md", &STATEMENT.replace("Texte.", "Texte revu."));
    w.cli
        .ok(&["statement", "edit", "manifeste-2026", &edited])
        .await;
    // The edit is another process's write: the server learns of it from the database
    // (NOTIFY, or the SQLite files changing) within moments.
    eventually(
        "the edited page is served",
        Duration::from_secs(10),
        async || {
            String::from_utf8_lossy(&answer(w.app.get(&statement, "text/html").await).await.2)
                .contains("Texte revu.")
        },
    )
    .await;
    for a in together(statement.clone(), "text/html").await {
        assert_eq!(a.0, 200);
        assert!(String::from_utf8_lossy(&a.2).contains("Texte revu."));
    }
}

/// Negotiation reads every `Accept` line: a request that adds a second one asking for JSON
/// gets JSON, and that answer is not kept for the browsers that send the first line alone.
async fn a_second_accept_line_is_a_variant_of_its_own(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let file = w.file("s.md", STATEMENT);
    w.cli.ok(&["statement", "publish", &file]).await;
    let statement = w
        .app
        .url(&format!("{}/statements/manifeste-2026", w.app.base));
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let content_type = |res: &reqwest::Response| {
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    for _ in 0..2 {
        let json = w
            .app
            .client
            .get(statement.clone())
            .header("accept", browser)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(json.status(), 200);
        assert!(
            content_type(&json).starts_with("application/activity+json"),
            "{}",
            content_type(&json)
        );
        let page = w.app.get(&statement, browser).await;
        assert_eq!(page.status(), 200);
        assert!(
            content_type(&page).starts_with("text/html"),
            "a browser got {}",
            content_type(&page)
        );
    }
}

/// A read answered from memory in front of the routes is counted
/// (`tribune_kept_answers_total`): the second read of a document is one, a read with
/// credentials or a fetch authorized fetch covers never is, even once its answer is kept.
async fn only_kept_answers_for_anyone_are_answered_before_the_routes(backend: Backend) {
    let config = format!(
        "[federation]\nauthorized_fetch = true\n[metrics]\nenabled = true\ntoken = \"{METRICS_TOKEN}\"\n"
    );
    let w = World::start(backend, &config, &["alice"]).await;
    let file = w.file("s.md", STATEMENT);
    w.cli.ok(&["statement", "publish", &file]).await;
    let base = format!("http://{}", w.app.addr);
    let kept = async || scrape_metrics(&base).await["tribune_kept_answers_total"];
    let statement = format!("{}/statements/manifeste-2026", w.app.base);
    for (path, accept) in [
        (w.coalition.as_str(), AP_ACCEPT),
        (statement.as_str(), "text/html"),
    ] {
        // A write in the background (the publish's delivery to alice, the command line's
        // write seen through the database's files) starts a new generation of kept answers
        // and makes the next read render again: three reads in a row must be kept once
        // nothing else is written.
        let mut before = 0.0;
        eventually(
            &format!("{path}: reads again, from memory"),
            Duration::from_secs(10),
            async || {
                assert_eq!(w.app.get(path, accept).await.status(), 200, "{path}");
                before = kept().await;
                for _ in 0..3 {
                    assert_eq!(w.app.get(path, accept).await.status(), 200, "{path}");
                }
                kept().await == before + 3.0
            },
        )
        .await;
        let credentials = with_credentials(&w, path, accept).await;
        assert_eq!(credentials.status(), 200, "{path}");
        assert_eq!(
            kept().await,
            before + 3.0,
            "{path}: a read with credentials"
        );
    }
    // The statement as JSON is covered by authorized fetch: each signed fetch is checked
    // behind the routes, and an unsigned one refused there, however often it is kept.
    let before = kept().await;
    for _ in 0..3 {
        let signed = w.peer.get_signed(&w.client, "alice", &statement).await;
        assert_eq!(signed.status(), 200);
        assert_eq!(w.app.get(&statement, AP_ACCEPT).await.status(), 401);
    }
    assert_eq!(kept().await, before, "a fetch authorized fetch covers");
}
