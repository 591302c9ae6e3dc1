//! Two tribune servers on loopback: one follows the other through the same inbox code that
//! serves Mastodon, and each verifies the other's signatures.

use serde_json::{Value, json};

use crate::helpers::{Backend, Cli, TestApp, TestDb, WAIT, eventually, on_both_backends};

on_both_backends!(
    one_tribune_follows_another,
    a_member_tribune_mentions_the_coalition_and_gets_relayed,
);

async fn tribune(db: &TestDb, app: &TestApp, args: &[&str]) -> String {
    Cli::for_app(db, app).ok(args).await
}

async fn items(app: &TestApp, collection: &str) -> Value {
    app.get_ap(&format!("{collection}?page=1")).await["orderedItems"].clone()
}

async fn one_tribune_follows_another(backend: Backend) {
    let (db_a, db_b) = (TestDb::new(backend).await, TestDb::new(backend).await);
    let a = TestApp::spawn(&db_a, "").await;
    let b = TestApp::spawn(&db_b, "[coalition]\nusername = \"partner\"\n").await;
    let a_actor = format!("{}/ap/coalition", a.base);
    let b_actor = format!("{}/ap/partner", b.base);

    // A follows B by handle: WebFinger, then a Follow through A's delivery queue.
    let out = tribune(
        &db_a,
        &a,
        &[
            "following",
            "add",
            &format!("@partner@localhost:{}", b.addr.port()),
        ],
    )
    .await;
    assert!(out.contains(&b_actor), "{out}");

    // B accepts (it verifies A's signature with A's published key); A records the Accept
    // (verifying B's).
    eventually("B records A as a follower", WAIT, async || {
        items(&b, &format!("{b_actor}/followers")).await == json!([a_actor])
    })
    .await;
    eventually("A's follow is accepted", WAIT, async || {
        items(&a, &format!("{a_actor}/following")).await == json!([b_actor])
    })
    .await;
    let listed = tribune(&db_a, &a, &["following", "list"]).await;
    assert!(
        crate::helpers::rows(&listed)[0].starts_with(&format!("{b_actor}\taccepted\t")),
        "{listed}"
    );

    // A unfollows: B drops the follower.
    tribune(&db_a, &a, &["following", "remove", &b_actor]).await;
    eventually("B drops A", WAIT, async || {
        items(&b, &format!("{b_actor}/followers")).await == json!([])
    })
    .await;
    assert_eq!(items(&a, &format!("{a_actor}/following")).await, json!([]));
}

async fn a_member_tribune_mentions_the_coalition_and_gets_relayed(backend: Backend) {
    let (db_c, db_m) = (TestDb::new(backend).await, TestDb::new(backend).await);
    let coalition = TestApp::spawn(&db_c, "").await;
    let member = TestApp::spawn(&db_m, "[coalition]\nusername = \"asso\"\n").await;
    let c_actor = format!("{}/ap/coalition", coalition.base);
    let m_actor = format!("{}/ap/asso", member.base);

    // A follower of the coalition, on a Mastodon-like peer.
    let peer = crate::peer::Peer::start(&["alice"]).await;
    let client = peer.client(&[("localhost", coalition.addr)]);
    let follow = json!({"id": format!("{}/f/1", peer.base), "type": "Follow", "actor": peer.actor_id("alice"), "object": c_actor});
    peer.post(
        &client,
        "alice",
        &format!("{c_actor}/inbox"),
        follow.to_string().as_bytes(),
    )
    .await;
    peer.wait_for("/users/alice/inbox", 1, WAIT).await;

    // The member organisation runs its own tribune and is on the coalition's roster.
    tribune(&db_c, &coalition, &["members", "add", &m_actor]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("communique.md");
    std::fs::write(
        &file,
        format!(
            "+++\nslug = \"communique\"\nmentions = [\"@coalition@localhost:{}\"]\n[title]\nfr = \"Communiqué\"\n+++\n::: fr\nNous rejoignons la coalition.\n",
            coalition.addr.port()
        ),
    )
    .unwrap();
    let cli = crate::helpers::Cli {
        env: vec![("TRIBUNE__COALITION__USERNAME".into(), "asso".into())],
        ..crate::helpers::Cli::for_app(&db_m, &member)
    };
    let out = cli
        .ok(&["statement", "publish", file.to_str().unwrap()])
        .await;
    let statement = out.lines().last().unwrap().to_owned();

    // The member's Note mentions the coalition…
    let note = member.get_ap(&statement).await;
    assert_eq!(
        note["tag"][0],
        json!({"type": "Mention", "href": c_actor, "name": format!("@coalition@localhost:{}", coalition.addr.port())})
    );
    assert!(note["cc"].as_array().unwrap().contains(&json!(c_actor)));
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .contains("class=\"u-url mention\"")
    );
    // …so the coalition receives it and announces it to its followers.
    let got = peer.wait_for("/inbox", 1, WAIT).await;
    let announce = got[0].json();
    assert_eq!(announce["type"], "Announce");
    assert_eq!(announce["actor"], c_actor.as_str());
    assert_eq!(announce["object"], statement.as_str());
    assert!(announce["cc"].as_array().unwrap().contains(&json!(m_actor)));
    eventually("the member instance is told", WAIT, async || {
        member.get_ap(&format!("{m_actor}/outbox")).await["totalItems"] == 1
            && tribune_count(&db_c).await == 1
    })
    .await;
}

async fn tribune_count(db: &TestDb) -> i64 {
    db.count("SELECT COUNT(*) FROM relays").await
}
