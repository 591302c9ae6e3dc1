//! `tribune followers …` and `tribune block …`, run as an operator runs them, beside a live
//! server on the same database.

use crate::{
    helpers::{
        Backend, Cli, TestApp, TestDb, WAIT, World, assert_json_error, embedded_follow,
        on_both_backends, rows,
    },
    peer::{Peer, verify_as_mastodon},
};

on_both_backends!(
    followers_are_approved_rejected_and_removed_from_the_cli,
    blocks_from_the_cli,
    the_doctor_checks_the_loop_back,
);

async fn followers_are_approved_rejected_and_removed_from_the_cli(backend: Backend) {
    let w = World::start(
        backend,
        "[coalition]\nmanually_approves_followers = true\n",
        &["alice", "bob"],
    )
    .await;
    let (peer, cli) = (&w.peer, &w.cli);
    let pem = w.pem().await;

    for name in ["alice", "bob"] {
        let res = w.send(name, &w.follow(peer, name, 1)).await;
        assert_eq!(res.status(), 202);
    }
    let pending = cli.ok(&["followers", "pending"]).await;
    let alice = peer.actor_id("alice");
    let bob = peer.actor_id("bob");
    assert_eq!(rows(&pending).len(), 2, "{pending}");
    let line = pending
        .lines()
        .find(|l| l.starts_with(&alice))
        .expect("alice is pending");
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(fields[1], format!("@alice@localhost:{}", peer.addr.port()));
    assert_eq!(fields[2], "alice (peer)");
    assert_eq!(fields[3], "Person");
    assert!(rows(&cli.ok(&["followers", "list"]).await).is_empty());

    // Approve alice by URL: the live server delivers the Accept.
    let out = cli.ok(&["followers", "approve", &alice]).await;
    assert!(out.contains("approved"), "{out}");
    let got = peer.wait_for("/users/alice/inbox", 1, WAIT).await;
    assert_eq!(got[0].json()["type"], "Accept");
    assert_eq!(
        got[0].json()["object"],
        embedded_follow(&w.follow(peer, "alice", 1))
    );
    verify_as_mastodon(&got[0], &pem).unwrap();
    assert_eq!(w.follower_count().await, 1);
    assert!(rows(&cli.ok(&["followers", "list"]).await)[0].starts_with(&alice));

    // Reject bob by handle: a Reject embedding his Follow.
    let handle = format!("@bob@localhost:{}", peer.addr.port());
    cli.ok(&["followers", "reject", &handle]).await;
    let got = peer.wait_for("/users/bob/inbox", 1, WAIT).await;
    assert_eq!(got[0].json()["type"], "Reject");
    assert_eq!(got[0].json()["object"]["actor"], bob.as_str());
    assert!(rows(&cli.ok(&["followers", "pending"]).await).is_empty());

    // Remove alice: a Reject ends the established follow on her server.
    cli.ok(&["followers", "remove", &alice]).await;
    let got = peer.wait_for("/users/alice/inbox", 2, WAIT).await;
    assert_eq!(got[1].json()["type"], "Reject");
    assert_eq!(w.follower_count().await, 0);

    // Unknown actors are refused with a message and a failing exit code.
    let out = cli
        .run(&["followers", "approve", "https://nowhere.example/users/x"])
        .await;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("nowhere.example"), "{}", out.stderr);
    let out = cli
        .run(&["followers", "remove", "@nobody@nowhere.example"])
        .await;
    assert_eq!(out.code, Some(1));
}

async fn blocks_from_the_cli(backend: Backend) {
    // The peer off this server's own domain (localhost), which no block may cover.
    let peer = Peer::start_named("peer.localhost", &["alice", "bob"]).await;
    let w = World::with_peer(backend, "", peer).await;
    let (peer, cli) = (&w.peer, &w.cli);

    let res = w.send("alice", &w.follow(peer, "alice", 1)).await;
    assert_eq!(res.status(), 202);
    assert_eq!(w.follower_count().await, 1);

    // Blocking bob's actor: bob gets 403, alice does not.
    let bob = peer.actor_id("bob");
    cli.ok(&["block", "actor", "add", &bob]).await;
    assert_eq!(
        rows(&cli.ok(&["block", "actor", "list"]).await),
        [bob.as_str()]
    );
    let res = w.send("bob", &w.follow(peer, "bob", 1)).await;
    assert_json_error(res, 403).await;

    // Blocking the domain removes its followers and refuses what it sends.
    let out = cli.ok(&["block", "domain", "add", "PEER.LOCALHOST"]).await;
    assert!(out.contains("removed 1 follower(s)"), "{out}");
    assert_eq!(
        rows(&cli.ok(&["block", "domain", "list"]).await),
        ["peer.localhost"]
    );
    assert_eq!(w.follower_count().await, 0);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM remote_actors").await, 0);
    let again = w.follow(peer, "alice", 2);
    let res = w.send("alice", &again).await;
    assert_json_error(res, 403).await;

    // Unblocking lets it in again.
    cli.ok(&["block", "domain", "remove", "peer.localhost"])
        .await;
    let res = w.send("alice", &again).await;
    assert_eq!(res.status(), 202);
    let out = cli
        .run(&["block", "domain", "remove", "peer.localhost"])
        .await;
    assert_eq!(
        out.code,
        Some(1),
        "removing a block that is not there fails"
    );
    let out = cli
        .run(&["block", "domain", "add", "https://x.example/"])
        .await;
    assert_eq!(out.code, Some(1));
}

async fn the_doctor_checks_the_loop_back(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db, "").await;
    let out = Cli::for_app(&db, &app).run(&["doctor"]).await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("ok    WebFinger loop-back: @coalition@localhost:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("ok    actor: served as application/activity+json"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with("nothing to fix\n"), "{}", out.stdout);

    // Pointed at an address where nothing answers: it says what to fix, and fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cli = Cli {
        db_url: db.url.clone(),
        public_url: format!("http://localhost:{closed}"),
        env: Vec::new(),
    };
    let out = cli.run(&["doctor"]).await;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout.contains("FIX   WebFinger loop-back"),
        "{}",
        out.stdout
    );
}
