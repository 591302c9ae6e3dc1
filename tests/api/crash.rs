//! `kill -9` of a real `tribune serve` process: what was answered 202 is not lost, and what
//! was queued is delivered after the restart, signed afresh.

use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::{
    cli::{Running, serve, tribune},
    helpers::{Backend, TestDb, WAIT, eventually, on_both_backends},
    peer::{Peer, verify_as_mastodon},
};

on_both_backends!(
    an_accept_due_during_a_crash_arrives_after_the_restart,
    what_was_answered_202_survives_a_kill_during_inbox_processing,
);

fn start(dir: &std::path::Path, db: &TestDb, port: u16) -> Running {
    let (child, got) = serve(
        tribune(dir)
            .arg("serve")
            .env("TRIBUNE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "TRIBUNE__SERVER__PUBLIC_URL",
                format!("http://localhost:{port}"),
            )
            .env("TRIBUNE__DATABASE__URL", &db.url)
            .env("TRIBUNE__DELIVERY__BACKOFF_UNIT_MS", "20")
            .env("TRIBUNE__DELIVERY__TIMEOUT_SECONDS", "1")
            .env("TRIBUNE__DELIVERY__LEASE_SECONDS", "2"),
    );
    assert_eq!(got, port);
    child
}

async fn an_accept_due_during_a_crash_arrives_after_the_restart(backend: Backend) {
    tribune::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = start(dir.path(), &db, port);
    let peer = Peer::start(&["alice"]).await;
    let client = peer.client(&[("localhost", addr)]);
    let coalition = format!("http://localhost:{port}/ap/coalition");

    // The peer's inbox is failing when the Accept is first due.
    peer.set_inbox_status(503);
    let follow = json!({"id": format!("{}/follows/1", peer.base), "type": "Follow",
                        "actor": peer.actor_id("alice"), "object": coalition});
    let res = peer
        .post(
            &client,
            "alice",
            &format!("{coalition}/inbox"),
            follow.to_string().as_bytes(),
        )
        .await;
    assert_eq!(res.status(), 202);
    peer.wait_for("/users/alice/inbox", 1, Duration::from_secs(20))
        .await;

    // kill -9, then start again on the same database.
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let killed_at = SystemTime::now();
    peer.set_inbox_status(202);
    let _server = start(dir.path(), &db, port);

    // A second POST arrives: from the restarted process (the first one's next retry was
    // still hundreds of milliseconds away when it was killed).
    let got = peer
        .wait_for("/users/alice/inbox", 2, Duration::from_secs(30))
        .await;
    let (first, accept) = (got[0].clone(), got.last().unwrap().clone());
    let date = |r: &crate::peer::Recorded| {
        httpdate::parse_http_date(r.headers["date"].to_str().unwrap()).unwrap()
    };
    assert!(date(&accept) >= date(&first), "signed afresh");
    assert!(date(&accept) + Duration::from_secs(1) >= killed_at);
    eventually("recorded as delivered", WAIT, async || {
        db.text("SELECT state FROM deliveries").await.as_deref() == Some("delivered")
    })
    .await;
    assert_eq!(accept.json()["object"], follow);
    let actor: serde_json::Value = client
        .get(&coalition)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    verify_as_mastodon(
        &accept,
        actor["publicKey"]["publicKeyPem"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(
        db.count("SELECT COUNT(*) FROM followers").await,
        1,
        "the follow answered 202 is kept"
    );
}

async fn what_was_answered_202_survives_a_kill_during_inbox_processing(backend: Backend) {
    tribune::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = start(dir.path(), &db, port);
    let names: Vec<String> = (0..60).map(|i| format!("f{i}")).collect();
    let peer = Peer::start_sharing_a_key(&names).await;
    let client = peer.client(&[("localhost", addr)]);
    let coalition = format!("http://localhost:{port}/ap/coalition");

    // Sixty Follows at once; the server is killed while they are being processed, once the
    // first has been answered 202.
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut sends = tokio::task::JoinSet::new();
    for name in names.clone() {
        let (peer_actor, client, coalition) =
            (peer.actor_id(&name), client.clone(), coalition.clone());
        let body = json!({"id": format!("{peer_actor}/follow"), "type": "Follow", "actor": peer_actor, "object": coalition}).to_string();
        let signed = peer.prepare_post(&name, &format!("{coalition}/inbox"), body.as_bytes());
        let answered = answered.clone();
        sends.spawn(async move {
            let ok = signed
                .send_with(&client)
                .await
                .map(|r| r.status().as_u16() == 202)
                .unwrap_or(false);
            if ok {
                answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            (name, ok)
        });
    }
    eventually("a first Follow is answered 202", WAIT, async || {
        answered.load(std::sync::atomic::Ordering::SeqCst) > 0
    })
    .await;
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let mut acknowledged = Vec::new();
    while let Some(r) = sends.join_next().await {
        let (name, ok) = r.unwrap();
        if ok {
            acknowledged.push(name);
        }
    }
    println!(
        "kill -9 during inbox processing: {} of 60 Follows acknowledged",
        acknowledged.len()
    );
    assert!(!acknowledged.is_empty(), "the kill came after a 202");

    // After a restart, every acknowledged Follow is a follower and gets its Accept.
    let _server = start(dir.path(), &db, port);
    for name in &acknowledged {
        let sql = format!(
            "SELECT COUNT(*) FROM followers WHERE actor_id = '{}'",
            peer.actor_id(name)
        );
        assert_eq!(db.count(&sql).await, 1, "{name} was answered 202");
    }
    for name in &acknowledged {
        peer.wait_for(&format!("/users/{name}/inbox"), 1, Duration::from_secs(30))
            .await;
    }
}
