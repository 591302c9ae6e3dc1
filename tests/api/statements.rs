//! Publishing statements to followers on Mastodon-like peers (docs/interop.md §5, §7).

use serde_json::{Value, json};

use crate::{
    helpers::{
        AP_ACCEPT, BROWSER_ACCEPT, Backend, WAIT, World, content_type, eventually, on_both_backends,
    },
    peer::{Peer, Recorded, verify_as_mastodon},
};

on_both_backends!(
    a_statement_reaches_every_follower_with_mastodon_shapes,
    invalid_files_publish_nothing,
    a_failing_peer_gets_it_later_and_a_gone_inbox_loses_its_followers,
);

const MANIFESTO: &str = r#"+++
slug = "manifeste-2026"
tags = ["climat", "Justice"]
pinned = true
image = "affiche.png"
image_alt = "Affiche / Poster"

[title]
fr = "Manifeste 2026"
en = "2026 Manifesto"
+++

::: fr
Nous, **associations**, déclarons…

::: en
We, **associations**, declare…
"#;

/// POSTs to `path` whose activity has type `kind`.
fn of_type(got: &[Recorded], kind: &str) -> Vec<Value> {
    got.iter()
        .map(Recorded::json)
        .filter(|a| a["type"] == kind)
        .collect()
}

async fn a_statement_reaches_every_follower_with_mastodon_shapes(backend: Backend) {
    // Three followers behind one shared inbox (the World's peer), one follower with only a
    // personal inbox.
    let w = World::start(backend, "", &["alice", "bob", "carol"]).await;
    let big = &w.peer;
    let small = Peer::start(&["dave"]).await;
    small.set_actor_field("dave", "endpoints", Value::Null);
    for name in ["alice", "bob", "carol"] {
        w.followed_by(big, name).await;
    }
    w.followed_by(&small, "dave").await;

    let note_id = publishing_prints_the_id_last(&w).await;
    let shared = one_post_an_activity_reaches_a_shared_inbox_signed_as_mastodon(&w, &small).await;
    let create = of_type(&shared, "Create").remove(0);
    the_create_carries_a_note_as_mastodon_reads_it(&w, &create, &note_id).await;
    let add = of_type(&shared, "Add").remove(0);
    assert_eq!(add["object"], note_id.as_str());
    assert_eq!(add["target"], format!("{}/featured", w.coalition));
    its_id_serves_the_note_and_a_page_and_it_is_featured(&w, &create, &note_id).await;
    an_edit_sends_an_update_with_a_later_updated(&w, &create["object"], &note_id).await;
    unpin_and_pin_send_remove_and_add(&w).await;
    a_delete_sends_a_tombstone_then_410_and_the_slug_is_never_reused(&w, &note_id).await;
}

async fn publishing_prints_the_id_last(w: &World) -> String {
    std::fs::write(
        w.dir.path().join("affiche.png"),
        include_bytes!("../../assets/avatar.png"),
    )
    .unwrap();
    let file = w.file("manifeste.md", MANIFESTO);
    let out = w.cli.ok(&["statement", "publish", &file]).await;
    let note_id = format!("{}/statements/manifeste-2026", w.app.base);
    assert_eq!(
        out.lines().last(),
        Some(note_id.as_str()),
        "the id is the last line: {out}"
    );
    note_id
}

/// One POST per activity to the shared inbox, however many followers are behind it; each
/// signed as Mastodon verifies. Returns what reached the shared inbox.
async fn one_post_an_activity_reaches_a_shared_inbox_signed_as_mastodon(
    w: &World,
    small: &Peer,
) -> Vec<Recorded> {
    let pem = w.pem().await;
    let shared = w.peer.wait_for("/inbox", 2, WAIT).await;
    let personal = small.wait_for("/users/dave/inbox", 3, WAIT).await; // Accept, Create, Add
    // Once nothing is left to deliver, a second copy would have arrived.
    w.deliveries_drained().await;
    assert_eq!(
        w.peer
            .received()
            .iter()
            .filter(|r| r.path == "/inbox")
            .count(),
        2,
        "Create and Add, once each"
    );
    for r in shared.iter().chain(&personal[1..]) {
        verify_as_mastodon(r, &pem).expect("signed as Mastodon verifies");
        assert_eq!(r.headers["content-type"], "application/activity+json");
    }
    shared
}

async fn the_create_carries_a_note_as_mastodon_reads_it(w: &World, create: &Value, note_id: &str) {
    assert_eq!(create["actor"], w.coalition.as_str());
    assert_eq!(
        create["to"],
        json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert_eq!(create["cc"], json!([format!("{}/followers", w.coalition)]));
    assert!(
        create["@context"]
            .as_array()
            .unwrap()
            .contains(&json!("https://www.w3.org/ns/activitystreams"))
    );
    let note = &create["object"];
    assert_eq!(note["type"], "Note", "a Note, never an Article");
    assert_eq!(note["id"], note_id);
    assert_eq!(note["url"], note_id);
    assert_eq!(note["attributedTo"], w.coalition.as_str());
    assert_eq!(note["to"], create["to"]);
    assert_eq!(note["cc"], create["cc"]);
    assert!(note.get("summary").is_none() && note.get("updated").is_none());
    let content = note["content"].as_str().unwrap();
    let fr = content
        .find("<p><strong>Manifeste 2026</strong></p>")
        .expect("French title in bold");
    let en = content
        .find("<p><strong>2026 Manifesto</strong></p>")
        .expect("English title in bold");
    assert!(fr < en, "the primary language first: {content}");
    assert!(content.contains("<strong>associations</strong>"));
    let map = note["contentMap"].as_object().unwrap();
    assert_eq!(
        map.keys().collect::<Vec<_>>(),
        ["fr", "en"],
        "primary language first"
    );
    assert!(
        map["fr"]
            .as_str()
            .unwrap()
            .starts_with("<p><strong>Manifeste 2026</strong></p>")
    );
    assert!(!map["fr"].as_str().unwrap().contains("2026 Manifesto"));
    assert_eq!(
        note["tag"],
        json!([
            {"type": "Hashtag", "name": "#climat", "href": format!("{}/tags/climat", w.app.base)},
            {"type": "Hashtag", "name": "#Justice", "href": format!("{}/tags/justice", w.app.base)},
        ])
    );
    assert_eq!(note["shares"]["totalItems"], 0);
    assert_eq!(note["shares"]["id"], format!("{note_id}/shares"));
    assert_eq!(note["likes"]["totalItems"], 0);
    let image = &note["attachment"][0];
    assert_eq!(image["type"], "Document");
    assert_eq!(image["mediaType"], "image/png");
    assert_eq!(image["name"], "Affiche / Poster");
    let res = w.app.get(image["url"].as_str().unwrap(), "*/*").await;
    assert_eq!(content_type(&res), "image/png");
}

/// At its id: the same Note as JSON, a page for people; featured, and in the outbox.
async fn its_id_serves_the_note_and_a_page_and_it_is_featured(
    w: &World,
    create: &Value,
    note_id: &str,
) {
    let fetched = w.app.get_ap(note_id).await;
    assert_eq!(fetched["content"], create["object"]["content"]);
    let page = w.app.get(note_id, BROWSER_ACCEPT).await;
    assert_eq!(content_type(&page), "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(html.contains("lang=\"fr\"") && html.contains("lang=\"en\""));
    let featured = w.app.get_ap(&format!("{}/featured", w.coalition)).await;
    assert_eq!(featured["orderedItems"][0]["id"], note_id);
    assert_eq!(featured["orderedItems"][0]["type"], "Note");
    let outbox = w
        .app
        .get_ap(&format!("{}/outbox?page=1", w.coalition))
        .await;
    let kinds: Vec<&str> = outbox["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Add", "Create"], "newest first, no Accepts");
    let create_id = create["id"].as_str().unwrap();
    assert_eq!(w.app.get_ap(create_id).await["object"]["id"], note_id);
}

/// Edit: an Update with a later `updated`, a new version kept.
async fn an_edit_sends_an_update_with_a_later_updated(w: &World, note: &Value, note_id: &str) {
    let edited = MANIFESTO.replace("déclarons…", "déclarons, ensemble…");
    let file = w.file("manifeste.md", &edited);
    w.cli
        .ok(&["statement", "edit", "manifeste-2026", &file])
        .await;
    let got = w.peer.wait_for("/inbox", 3, WAIT).await;
    let update = got.last().unwrap().json();
    assert_eq!(update["type"], "Update");
    let updated = update["object"]["updated"]
        .as_str()
        .expect("an updated time");
    assert!(
        updated > note["published"].as_str().unwrap(),
        "{updated} is later than publication"
    );
    assert!(
        update["object"]["content"]
            .as_str()
            .unwrap()
            .contains("déclarons, ensemble")
    );
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM statement_versions").await,
        2
    );
    assert_eq!(w.app.get_ap(note_id).await["updated"], updated);
}

/// Unpin and pin: Remove and Add on featured.
async fn unpin_and_pin_send_remove_and_add(w: &World) {
    w.cli.ok(&["statement", "unpin", "manifeste-2026"]).await;
    let got = w.peer.wait_for("/inbox", 4, WAIT).await;
    assert_eq!(got.last().unwrap().json()["type"], "Remove");
    assert_eq!(
        w.app.get_ap(&format!("{}/featured", w.coalition)).await["totalItems"],
        0
    );
    w.cli.ok(&["statement", "pin", "manifeste-2026"]).await;
    let got = w.peer.wait_for("/inbox", 5, WAIT).await;
    assert_eq!(got.last().unwrap().json()["type"], "Add");
}

/// Delete: a Tombstone, then 410 at the id; the slug is never reused.
async fn a_delete_sends_a_tombstone_then_410_and_the_slug_is_never_reused(
    w: &World,
    note_id: &str,
) {
    w.cli.ok(&["statement", "delete", "manifeste-2026"]).await;
    let got = w.peer.wait_for("/inbox", 6, WAIT).await;
    let delete = got.last().unwrap().json();
    assert_eq!(delete["type"], "Delete");
    assert_eq!(
        delete["object"],
        json!({"id": note_id, "type": "Tombstone"})
    );
    let res = w.app.get(note_id, AP_ACCEPT).await;
    assert_eq!(res.status(), 410);
    assert_eq!(content_type(&res), "application/activity+json");
    let tomb: Value = res.json().await.unwrap();
    assert_eq!(tomb["type"], "Tombstone");
    assert_eq!(w.app.get(note_id, BROWSER_ACCEPT).await.status(), 410);
    let out = w
        .cli
        .run(&["statement", "publish", &w.file("again.md", MANIFESTO)])
        .await;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("slug"), "{}", out.stderr);
    let list = w.cli.ok(&["statement", "list"]).await;
    assert!(
        crate::helpers::rows(&list)[0].starts_with("manifeste-2026\tdeleted\tv2\t"),
        "{list}"
    );
}

async fn invalid_files_publish_nothing(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let cases = [
        (
            MANIFESTO.replace("slug = \"manifeste-2026\"", "slug = \"Manifeste 2026\""),
            "slug",
        ),
        (
            MANIFESTO.replace("en = \"2026 Manifesto\"\n", ""),
            "title.en",
        ),
        (MANIFESTO.replace("::: fr\n", "::: de\n"), "::: fr"),
        (
            MANIFESTO.replace("tags = [\"climat\", \"Justice\"]", "tags = [\"bad tag\"]"),
            "tags[0]",
        ),
        (MANIFESTO.to_owned(), "image"), // the image file does not exist
        (
            MANIFESTO.replace("+++\n\n::: fr", "\n::: fr"),
            "front matter",
        ),
    ];
    for (text, field) in cases {
        let out = w
            .cli
            .run(&["statement", "publish", &w.file("bad.md", &text)])
            .await;
        assert_eq!(out.code, Some(1), "{field}");
        assert!(out.stderr.contains(field), "{field}: {}", out.stderr);
    }
    // A non-image named as the image.
    std::fs::write(w.dir.path().join("affiche.png"), b"<svg/>").unwrap();
    let out = w
        .cli
        .run(&["statement", "publish", &w.file("bad.md", MANIFESTO)])
        .await;
    assert!(out.stderr.contains("image"), "{}", out.stderr);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM statements").await, 0);
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM outgoing_activities").await,
        0
    );
    let out = w.cli.run(&["statement", "delete", "nothing-here"]).await;
    assert_eq!(out.code, Some(1));
}

async fn a_failing_peer_gets_it_later_and_a_gone_inbox_loses_its_followers(backend: Backend) {
    // Retries more than a second apart, so that a fresh signature has a later Date. The
    // World's peer is the flaky one.
    let w = World::start(backend, "[delivery]\nbackoff_unit_ms = 70\n", &["erin"]).await;
    let flaky = &w.peer;
    let gone = Peer::start(&["frank", "grace"]).await;
    w.followed_by(flaky, "erin").await;
    w.followed_by(&gone, "frank").await;
    w.followed_by(&gone, "grace").await;
    flaky.set_inbox_status(500);
    gone.set_inbox_status(410);

    let text = MANIFESTO.replace(
        "image = \"affiche.png\"\nimage_alt = \"Affiche / Poster\"\n",
        "",
    );
    w.cli
        .ok(&["statement", "publish", &w.file("m.md", &text)])
        .await;
    let first = flaky.wait_for("/inbox", 1, WAIT).await[0].clone();
    flaky.set_inbox_status(202);
    // Create and Add, each retried until delivered, with a fresh Date.
    let delivered = format!(
        "SELECT COUNT(*) FROM deliveries WHERE inbox = '{}/inbox' AND state = 'delivered'",
        flaky.base
    );
    eventually("delivered after the peer recovers", WAIT, async || {
        w.db.count(&delivered).await >= 2
    })
    .await;
    let got = flaky.received();
    let last = got
        .iter()
        .filter(|r| r.json()["id"] == first.json()["id"])
        .last()
        .unwrap();
    let date =
        |r: &Recorded| httpdate::parse_http_date(r.headers["date"].to_str().unwrap()).unwrap();
    assert!(
        date(last) > date(&first),
        "signed afresh, with a later Date"
    );
    verify_as_mastodon(last, &w.pem().await).unwrap();

    // The inbox that answered 410 lost both followers behind it; erin stays.
    assert_eq!(w.followers().await, json!([flaky.actor_id("erin")]));
    assert!(
        w.db.count("SELECT COUNT(*) FROM deliveries WHERE state = 'failed'")
            .await
            >= 1
    );
}
