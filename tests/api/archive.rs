//! `tribune export` then `tribune import` into an empty database of the other backend: the
//! public JSON and pages come out the same (the SQLite → PostgreSQL move, and back).

use std::time::Duration;

use serde_json::json;

use crate::{
    helpers::{AP_ACCEPT, BROWSER_ACCEPT, Backend, Cli, TestApp, TestDb, postgres_available},
    peer::Peer,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgresql() {
    let to = if postgres_available() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    moves(Backend::Sqlite, to).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_to_sqlite() {
    if postgres_available() {
        moves(Backend::Postgres, Backend::Sqlite).await;
    }
}

const STATEMENT: &str = "+++\nslug = \"appel\"\npinned = true\ntags = [\"climat\"]\nimage = \"a.png\"\nimage_alt = \"Affiche\"\n[title]\nfr = \"Appel\"\nen = \"Call\"\n+++\n::: fr\nTexte.\n::: en\nText.\n";

async fn snapshot(app: &TestApp) -> Vec<(String, String)> {
    let c = format!("{}/ap/coalition", app.base);
    let note = format!("{}/statements/appel", app.base);
    let mut out = Vec::new();
    for path in [
        c.clone(),
        format!("{c}/followers?page=1"),
        format!("{c}/outbox?page=1"),
        format!("{c}/featured"),
        format!("{c}/members"),
        note.clone(),
        format!("{note}/cosigners?page=1"),
        format!("{note}/ledger?page=1"),
    ] {
        let res = app.get(&path, AP_ACCEPT).await;
        assert_eq!(res.status(), 200, "{path}");
        out.push((path, res.text().await.unwrap()));
    }
    for path in [
        format!("{}/@coalition?lang=en", app.base),
        format!("{note}?lang=fr"),
    ] {
        let res = app.get(&path, BROWSER_ACCEPT).await;
        out.push((path, res.text().await.unwrap()));
    }
    let note_json: serde_json::Value = serde_json::from_str(&out[5].1).unwrap();
    let image = app
        .get(note_json["attachment"][0]["url"].as_str().unwrap(), "*/*")
        .await;
    out.push((
        "image".into(),
        format!("{:?}", image.bytes().await.unwrap().len()),
    ));
    out
}

async fn moves(from: Backend, to: Backend) {
    let (db_a, db_b) = (TestDb::new(from).await, TestDb::new(to).await);
    let mut app = TestApp::spawn(&db_a, "").await;
    let cli_a = Cli::for_app(&db_a, &app);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.png"),
        include_bytes!("../../assets/avatar.png"),
    )
    .unwrap();
    let file = dir.path().join("s.md");
    std::fs::write(&file, STATEMENT).unwrap();
    cli_a
        .ok(&["statement", "publish", file.to_str().unwrap()])
        .await;

    // A follower, a co-signer, a member whose post is relayed.
    let peer = Peer::start(&["alice", "bob", "asso"]).await;
    let client = peer.client(&[("localhost", app.addr)]);
    let inbox = format!("{}/inbox", app.base);
    let coalition = format!("{}/ap/coalition", app.base);
    let note = format!("{}/statements/appel", app.base);
    let send = |name: &'static str, v: serde_json::Value| {
        let (peer, client, inbox) = (&peer, &client, &inbox);
        async move {
            assert_eq!(
                peer.post(client, name, inbox, v.to_string().as_bytes())
                    .await
                    .status(),
                202
            )
        }
    };
    send("alice", json!({"id": format!("{}/f", peer.base), "type": "Follow", "actor": peer.actor_id("alice"), "object": coalition})).await;
    send("bob", json!({"id": format!("{}/b", peer.base), "type": "Announce", "actor": peer.actor_id("bob"), "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": note})).await;
    cli_a.ok(&["members", "add", &peer.actor_id("asso")]).await;
    let asso = peer.actor_id("asso");
    send(
        "asso",
        json!({"id": format!("{asso}/1/activity"), "type": "Create", "actor": asso,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [coalition],
        "object": {"id": format!("{asso}/1"), "type": "Note", "attributedTo": asso, "content": "x",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [coalition]}}),
    )
    .await;
    peer.wait_for("/users/alice/inbox", 1, Duration::from_secs(20))
        .await;
    let before = snapshot(&app).await;

    // Export with the keys, stop, import into the other backend, serve from it.
    let archive = dir.path().join("archive.json");
    cli_a
        .ok(&[
            "export",
            "--include-keys",
            "--output",
            archive.to_str().unwrap(),
        ])
        .await;
    app.stop().await;
    let cli_b = Cli {
        db_url: db_b.url.clone(),
        public_url: app.base.clone(),
        env: Vec::new(),
    };
    let out = cli_b.ok(&["import", archive.to_str().unwrap()]).await;
    assert!(
        out.contains("statements: 1")
            && out.contains("cosignatures: 1")
            && out.contains("relays: 1"),
        "{out}"
    );
    app.restart(&db_b, "").await;
    let after = snapshot(&app).await;
    for ((path, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(a, b, "{path} differs after the move");
    }
    Cli {
        db_url: db_b.url.clone(),
        public_url: app.base.clone(),
        env: Vec::new(),
    }
    .ok(&["cosigners", "verify", "appel"])
    .await;
    // Importing into a database that is not empty is refused.
    let out = cli_b.run(&["import", archive.to_str().unwrap()]).await;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("not empty"), "{}", out.stderr);

    // Without --include-keys the private key stays home.
    let secretless = dir.path().join("public.json");
    cli_b
        .ok(&["export", "--output", secretless.to_str().unwrap()])
        .await;
    let text = std::fs::read_to_string(&secretless).unwrap();
    assert!(!text.contains("PRIVATE KEY"));
}
