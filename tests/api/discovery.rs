//! WebFinger, host-meta, NodeInfo, the actor document and its collections, as Mastodon
//! reads them (docs/interop.md §1).

use serde_json::Value;

use crate::helpers::{
    AP_ACCEPT, BROWSER_ACCEPT, Backend, LD_ACCEPT, TestApp, TestDb, WAIT, assert_json_error,
    content_type, eventually, on_both_backends,
};

on_both_backends!(
    webfinger_loops_back_to_the_actor,
    actor_has_every_field_mastodon_reads,
    actor_url_negotiates_html_and_json,
    webfinger_answers_other_forms_and_refuses_the_rest,
    host_meta_and_nodeinfo,
    collections_are_valid_empty_and_paged,
    images_are_served,
    bad_requests_get_json_errors_never_5xx,
    configured_profile_reaches_the_wire,
    the_follow_form_sends_visitors_to_their_server,
    health_and_readiness,
);

crate::helpers::on_both_backends!(metrics_parse_and_move);

async fn start(backend: Backend) -> (TestApp, TestDb) {
    let db = TestDb::new(backend).await;
    (TestApp::spawn(&db, "").await, db)
}

async fn webfinger_loops_back_to_the_actor(backend: Backend) {
    let (app, _db) = start(backend).await;
    let handle = format!("coalition@localhost:{}", app.addr.port());
    let res = app.webfinger(&format!("acct:{handle}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(content_type(&res), "application/jrd+json; charset=utf-8");
    let jrd: Value = res.json().await.unwrap();
    assert_eq!(jrd["subject"], format!("acct:{handle}"));
    let links = jrd["links"].as_array().unwrap();
    let self_link = links
        .iter()
        .find(|l| l["rel"] == "self")
        .expect("a self link");
    assert_eq!(self_link["type"], "application/activity+json");
    let href = self_link["href"].as_str().unwrap();
    let profile = links
        .iter()
        .find(|l| l["rel"] == "http://webfinger.net/rel/profile-page")
        .expect("a profile-page link");
    assert_eq!(profile["type"], "text/html");

    // Mastodon: the actor fetched at the self href must carry that href as its id, byte for
    // byte, and its handle must WebFinger back to the same subject.
    let actor = app.get_ap(href).await;
    assert_eq!(actor["id"].as_str().unwrap(), href);
    assert_eq!(actor["webfinger"].as_str().unwrap(), handle);
    let again = app
        .webfinger(&format!("acct:{}", actor["webfinger"].as_str().unwrap()))
        .await;
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["subject"], jrd["subject"]);
    assert_eq!(profile["href"], actor["url"]);
}

async fn actor_has_every_field_mastodon_reads(backend: Backend) {
    let (app, _db) = start(backend).await;
    let a = app.get_ap("/ap/coalition").await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(id, format!("{}/ap/coalition", app.base));

    // @context contains the exact ActivityStreams URL.
    let ctx = a["@context"].as_array().unwrap();
    assert!(
        ctx.iter()
            .any(|c| c == "https://www.w3.org/ns/activitystreams")
    );
    assert!(ctx.iter().any(|c| c == "https://w3id.org/security/v1"));

    assert_eq!(a["type"], "Group");
    assert_eq!(a["preferredUsername"], "coalition");
    assert!(a["name"].as_str().unwrap().contains("Demo coalition"));
    let summary = a["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("<p>Une coalition"),
        "primary language first: {summary}"
    );
    assert!(summary.contains("<p>A coalition"), "{summary}");
    assert_eq!(a["url"], format!("{}/@coalition", app.base));
    assert_eq!(a["inbox"], format!("{id}/inbox"));
    assert_eq!(a["endpoints"]["sharedInbox"], format!("{}/inbox", app.base));
    for key in ["outbox", "followers", "following", "featured"] {
        assert_eq!(a[key], format!("{id}/{key}"), "{key}");
    }
    assert_eq!(a["manuallyApprovesFollowers"], false);
    assert_eq!(a["discoverable"], true);
    assert_eq!(a["indexable"], true);
    let published = a["published"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(published).is_ok() && published.ends_with('Z'),
        "{published}"
    );
    for key in ["icon", "image"] {
        // An Image object, never a bare URL string (Mastodon would fetch it as JSON).
        assert_eq!(a[key]["type"], "Image", "{key}");
        assert_eq!(a[key]["mediaType"], "image/png", "{key}");
        assert!(
            a[key]["url"].as_str().unwrap().starts_with(&app.base),
            "{key}"
        );
    }
    assert_eq!(a["icon"]["name"], "Logo");
    assert!(a["attachment"].as_array().unwrap().is_empty());

    let key = &a["publicKey"];
    assert_eq!(key["id"], format!("{id}#main-key"));
    assert_eq!(key["owner"], id);
    let pem = key["publicKeyPem"].as_str().unwrap();
    assert!(
        pem.starts_with("-----BEGIN PUBLIC KEY-----\n")
            && pem.ends_with("-----END PUBLIC KEY-----\n")
    );
}

async fn actor_url_negotiates_html_and_json(backend: Backend) {
    let (app, _db) = start(backend).await;
    for accept in [AP_ACCEPT, LD_ACCEPT, "application/activity+json"] {
        let res = app.get("/ap/coalition", accept).await;
        assert_eq!(res.status(), 200, "{accept}");
        assert_eq!(content_type(&res), "application/activity+json", "{accept}");
        assert_eq!(res.headers()["vary"], "Accept");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["type"], "Group");
    }
    for accept in [BROWSER_ACCEPT, "text/html", "*/*"] {
        let res = app.get("/ap/coalition", accept).await;
        assert_eq!(res.status(), 200, "{accept}");
        assert_eq!(content_type(&res), "text/html; charset=utf-8", "{accept}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Demo coalition"));
        assert!(html.contains(&format!("@coalition@localhost:{}", app.addr.port())));
        assert!(html.contains(r#"<link rel="alternate" type="application/activity+json""#));
    }
    // The profile URL: HTML for people, a redirect to the actor id for ActivityPub clients.
    let res = app.get("/@coalition", BROWSER_ACCEPT).await;
    assert_eq!(res.status(), 200);
    assert_eq!(content_type(&res), "text/html; charset=utf-8");
    let res = app.get("/@coalition", AP_ACCEPT).await;
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()["location"],
        format!("{}/ap/coalition", app.base)
    );
}

async fn webfinger_answers_other_forms_and_refuses_the_rest(backend: Backend) {
    let (app, _db) = start(backend).await;
    let port = app.addr.port();
    let subject = format!("acct:coalition@localhost:{port}");
    for resource in [
        format!("{}/ap/coalition", app.base),
        format!("{}/@coalition", app.base),
        format!("acct:COALITION@LOCALHOST:{port}"),
        format!("coalition@localhost:{port}"),
    ] {
        let res = app.webfinger(&resource).await;
        assert_eq!(res.status(), 200, "{resource}");
        let jrd: Value = res.json().await.unwrap();
        assert_eq!(jrd["subject"], subject, "{resource}");
    }
    for resource in [
        format!("acct:someone@localhost:{port}"),
        "acct:coalition@example.org".to_owned(),
        format!("{}/ap/someone", app.base),
        "https://example.org/ap/coalition".to_owned(),
    ] {
        assert_json_error(app.webfinger(&resource).await, 404).await;
    }
    for resource in [
        "",
        "acct:",
        "coalition",
        "mailto:coalition@example.org",
        "acct:a b@c",
    ] {
        assert_json_error(app.webfinger(resource).await, 400).await;
    }
    let res = app
        .get("/.well-known/webfinger", "application/jrd+json")
        .await;
    assert_json_error(res, 400).await;
    let res = app
        .get(
            "/.well-known/webfinger?resource=%FF%FE",
            "application/jrd+json",
        )
        .await;
    assert!(res.status().is_client_error());
}

async fn host_meta_and_nodeinfo(backend: Backend) {
    let (app, _db) = start(backend).await;
    let res = app.get("/.well-known/host-meta", "*/*").await;
    assert_eq!(res.status(), 200);
    assert_eq!(content_type(&res), "application/xrd+xml; charset=utf-8");
    let xrd = res.text().await.unwrap();
    assert!(xrd.contains(r#"<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">"#));
    assert!(xrd.contains(&format!(
        r#"<Link rel="lrdd" template="{}/.well-known/webfinger?resource={{uri}}"/>"#,
        app.base
    )));

    let res = app.get("/.well-known/nodeinfo", "application/json").await;
    assert_eq!(res.status(), 200);
    let links: Value = res.json().await.unwrap();
    let links = links["links"].as_array().unwrap();
    for version in ["2.0", "2.1"] {
        let link = links
            .iter()
            .find(|l| l["rel"] == format!("http://nodeinfo.diaspora.software/ns/schema/{version}"))
            .unwrap_or_else(|| panic!("a {version} link"));
        let res = app
            .get(link["href"].as_str().unwrap(), "application/json")
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            content_type(&res),
            format!(
                r#"application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#""#
            )
        );
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["version"], version);
        assert_eq!(doc["software"]["name"], "tribune");
        assert_eq!(doc["protocols"], serde_json::json!(["activitypub"]));
        assert_eq!(doc["openRegistrations"], false);
        assert_eq!(doc["usage"]["users"]["total"], 1);
        assert!(doc["usage"]["localPosts"].is_u64());
        assert!(
            doc["metadata"]["nodeName"]
                .as_str()
                .unwrap()
                .contains("coalition")
        );
    }
}

async fn collections_are_valid_empty_and_paged(backend: Backend) {
    let (app, _db) = start(backend).await;
    let actor = app.get_ap("/ap/coalition").await;
    for key in ["outbox", "followers", "following"] {
        let id = actor[key].as_str().unwrap();
        let c = app.get_ap(id).await;
        assert_eq!(c["@context"], "https://www.w3.org/ns/activitystreams");
        assert_eq!(c["id"], id);
        assert_eq!(c["type"], "OrderedCollection", "{key}");
        assert_eq!(c["totalItems"], 0, "{key}");
        let first = c["first"].as_str().expect("a first page");
        let page = app.get_ap(first).await;
        assert_eq!(page["type"], "OrderedCollectionPage", "{key}");
        assert_eq!(page["id"], first);
        assert_eq!(page["partOf"], id);
        assert_eq!(page["orderedItems"], serde_json::json!([]));
        assert!(page.get("next").is_none());
        for bad in ["0", "-1", "x", "99999999999999999999999"] {
            let res = app.get(&format!("{id}?page={bad}"), AP_ACCEPT).await;
            assert_json_error(res, 400).await;
        }
    }
    let featured_id = actor["featured"].as_str().unwrap();
    let featured = app.get_ap(featured_id).await;
    assert_eq!(featured["type"], "OrderedCollection");
    assert_eq!(featured["totalItems"], 0);
    assert_eq!(featured["orderedItems"], serde_json::json!([]));
    let page = app.get_ap(&format!("{featured_id}?page=1")).await;
    assert_eq!(page["type"], "OrderedCollectionPage");
}

async fn images_are_served(backend: Backend) {
    let (app, _db) = start(backend).await;
    let actor = app.get_ap("/ap/coalition").await;
    for key in ["icon", "image"] {
        let res = app
            .get(actor[key]["url"].as_str().unwrap(), "image/*")
            .await;
        assert_eq!(res.status(), 200, "{key}");
        assert_eq!(content_type(&res), "image/png");
        assert!(
            res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let bytes = res.bytes().await.unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
    assert_json_error(app.get("/media/avatar-0000.png", "*/*").await, 404).await;
}

async fn bad_requests_get_json_errors_never_5xx(backend: Backend) {
    let (app, _db) = start(backend).await;
    for (path, status) in [
        ("/ap/someone", 404),
        ("/ap/someone/outbox", 404),
        ("/@someone", 404),
        ("/nothing/here", 404),
        ("/ap/coalition/", 404),
        ("/ap/Coalition", 404),
        ("/ap/%C3%A9", 404),
        ("/.well-known/unknown", 404),
    ] {
        for accept in [AP_ACCEPT, BROWSER_ACCEPT] {
            assert_json_error(app.get(path, accept).await, status).await;
        }
    }
    let res = app
        .client
        .post(app.url("/ap/coalition"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_json_error(res, 405).await;
    let res = app
        .client
        .delete(app.url("/.well-known/webfinger"))
        .send()
        .await
        .unwrap();
    assert_json_error(res, 405).await;
    // The live actor never answers 410, whatever is asked.
    for accept in ["", "application/json", "text/plain", "garbage;;;q=x"] {
        let res = app.get("/ap/coalition", accept).await;
        assert_eq!(res.status(), 200, "{accept:?}");
    }
}

async fn configured_profile_reaches_the_wire(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let avatar = dir.path().join("logo.jpg");
    std::fs::write(&avatar, b"\xff\xd8\xff\xe0\0\x10JFIF\0rest-of-a-jpeg").unwrap();
    let extra = format!(
        r#"
        [coalition]
        username = "hiatus"
        name = "Hiatus"
        languages = ["en", "fr"]
        avatar = "{}"
        avatar_alt = "Our logo"
        [coalition.summary]
        fr = "Texte <b>français</b>"
        en = "English text"
        [[coalition.fields]]
        name = "Site"
        value = "https://hiatus.example/"
        [[coalition.fields]]
        name = "Contact"
        value = "contact@hiatus.example"
        "#,
        avatar.display()
    );
    let app = TestApp::spawn(&db, &extra).await;
    let a = app.get_ap("/ap/hiatus").await;
    assert_eq!(a["preferredUsername"], "hiatus");
    assert_eq!(a["name"], "Hiatus");
    assert_eq!(
        a["summary"], "<p>English text</p><p>Texte &lt;b&gt;français&lt;/b&gt;</p>",
        "languages in configured order, text escaped"
    );
    assert_eq!(a["icon"]["mediaType"], "image/jpeg");
    assert_eq!(a["icon"]["name"], "Our logo");
    assert!(a["icon"]["url"].as_str().unwrap().ends_with(".jpg"));
    let res = app.get(a["icon"]["url"].as_str().unwrap(), "*/*").await;
    assert_eq!(content_type(&res), "image/jpeg");
    assert_eq!(
        a["attachment"],
        serde_json::json!([
            {"type": "PropertyValue", "name": "Site",
             "value": "<a href=\"https://hiatus.example/\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">hiatus.example</a>"},
            {"type": "PropertyValue", "name": "Contact", "value": "contact@hiatus.example"},
        ])
    );
    let res = app
        .webfinger(&format!("acct:hiatus@localhost:{}", app.addr.port()))
        .await;
    assert_eq!(res.status(), 200);
    assert_json_error(app.get("/ap/coalition", AP_ACCEPT).await, 404).await;
}

async fn the_follow_form_sends_visitors_to_their_server(backend: Backend) {
    let (app, _db) = start(backend).await;
    let actor = format!("{}/ap/coalition", app.base);
    let encoded: String = url::form_urlencoded::byte_serialize(actor.as_bytes()).collect();
    let go = |handle: &str, uri: &str| {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("handle", handle)
            .append_pair("uri", uri)
            .finish();
        app.client.get(format!("{}/interact?{q}", app.base)).send()
    };
    // An instance only: Mastodon's authorize_interaction.
    let res = go("mastodon.example", &actor).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("https://mastodon.example/authorize_interaction?uri={encoded}")
    );
    // An address: the server's own template from WebFinger.
    let peer = crate::peer::Peer::start(&[]).await;
    let host = peer.base.trim_start_matches("http://");
    let res = go(&format!("@you@{host}"), &actor).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("http://{host}/authorize_interaction?uri={encoded}&from=template")
    );
    // Only this coalition's addresses, and a readable error otherwise.
    assert_json_error(
        go("mastodon.example", "https://evil.example/")
            .await
            .unwrap(),
        422,
    )
    .await;
    // A visitor's mistake: the form again, filled, the error next to the field, in the
    // interface's language (the page's `lang`, sent by the form).
    for (handle, lang, words) in [
        (
            "not a server!",
            "fr",
            "n&#39;est pas une adresse du fédivers",
        ),
        ("moi", "fr", "n&#39;est pas une adresse du fédivers"),
        ("@moi", "en", "This is not a fediverse address"),
        ("x@moi", "en", "This is not a fediverse address"),
    ] {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("handle", handle)
            .append_pair("uri", &actor)
            .append_pair("lang", lang)
            .finish();
        let res = app
            .client
            .get(format!("{}/interact?{q}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{handle}");
        assert!(crate::helpers::content_type(&res).starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{html}");
        assert!(html.contains(words), "{handle}: {html}");
        assert!(
            html.contains(&format!("value=\"{}\"", handle.replace('!', "&#33;")))
                || html.contains(&format!("value=\"{handle}\"")),
            "the field keeps what was typed: {html}"
        );
        assert!(html.contains("aria-describedby=\"interact-error\""));
    }
}

async fn health_and_readiness(backend: Backend) {
    let (app, _db) = start(backend).await;
    let res = app.get("/healthz", "*/*").await;
    assert_eq!(res.status(), 200);
    // Ready once the database answers with every migration and the workers run.
    assert_eq!(
        app.ready().await,
        serde_json::json!({"status": "ready", "database": "ok", "workers": "running"})
    );
    // Still ready after more than the heartbeat's 10 s with nothing to do: the idle
    // workers wait for work without polling, but still go round their loop. This sleep is
    // the behaviour under test (the clock passing the heartbeat's limit), not a wait.
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    let res = app.get("/readyz", "*/*").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// The metrics token the tests configure (`[metrics] token`, or `TRIBUNE__METRICS__TOKEN`).
pub(crate) const METRICS_TOKEN: &str = "a-token-for-metrics-1";

/// `/metrics` of the server at `base` (its scheme, host and port), parsed.
pub(crate) async fn scrape_metrics(base: &str) -> std::collections::HashMap<String, f64> {
    let res = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    parse_prometheus(&res.text().await.unwrap())
}

/// Parse the Prometheus text format: `name{labels} value` samples and `# HELP/TYPE` lines.
pub(crate) fn parse_prometheus(text: &str) -> std::collections::HashMap<String, f64> {
    let mut samples = std::collections::HashMap::new();
    for line in text.lines() {
        if line.is_empty()
            || line.starts_with("# HELP ")
            || line.starts_with("# TYPE ")
            || line == "# EOF"
        {
            continue;
        }
        assert!(!line.starts_with('#'), "an unknown comment: {line}");
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unclosed labels: {line}");
        }
        samples.insert(
            series.to_owned(),
            value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("bad value: {line}")),
        );
    }
    samples
}

async fn metrics_parse_and_move(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(
        &db,
        "[metrics]\nenabled = true\ntoken = \"a-token-for-metrics-1\"\n",
    )
    .await;
    assert_json_error(app.get("/metrics", "*/*").await, 401).await;
    let scrape = || async {
        let res = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth("a-token-for-metrics-1")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(content_type(&res).starts_with("text/plain; version=0.0.4"));
        parse_prometheus(&res.text().await.unwrap())
    };
    let before = scrape().await;
    assert_eq!(before.get("tribune_followers"), Some(&0.0));
    // A Follow arrives: the inbox counter, the followers and the deliveries move.
    let peer = crate::peer::Peer::start(&["alice"]).await;
    let client = peer.client(&[("localhost", app.addr)]);
    let follow = serde_json::json!({"id": format!("{}/f/1", peer.base), "type": "Follow",
        "actor": peer.actor_id("alice"), "object": format!("{}/ap/coalition", app.base)});
    peer.post(
        &client,
        "alice",
        &format!("{}/inbox", app.base),
        follow.to_string().as_bytes(),
    )
    .await;
    peer.post(&client, "alice", &format!("{}/inbox", app.base), b"{}")
        .await;
    app.client
        .post(app.url("/inbox"))
        .body("{}")
        .send()
        .await
        .unwrap();
    peer.wait_for("/users/alice/inbox", 1, WAIT).await;
    // The delivery is counted once its answer is in, after the peer has recorded it.
    eventually("the delivery is counted", WAIT, async || {
        scrape()
            .await
            .get("tribune_deliveries_total{outcome=\"delivered\"}")
            .is_some_and(|n| *n >= 1.0)
    })
    .await;
    let after = scrape().await;
    assert_eq!(after.get("tribune_followers"), Some(&1.0));
    assert_eq!(
        after.get("tribune_inbox_requests_total{kind=\"Follow\",outcome=\"applied\"}"),
        Some(&1.0),
        "{after:?}"
    );
    assert_eq!(
        after.get("tribune_inbox_requests_total{kind=\"unparsed\",outcome=\"bad_request\"}"),
        Some(&1.0),
        "{after:?}"
    );
    assert_eq!(
        after.get("tribune_deliveries_total{outcome=\"delivered\"}"),
        Some(&1.0),
        "{after:?}"
    );
    assert_eq!(
        after.get("tribune_signature_failures_total{reason=\"missing\"}"),
        Some(&1.0),
        "{after:?}"
    );
}
