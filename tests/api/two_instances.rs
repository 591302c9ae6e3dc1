//! Two tribune servers on loopback: one follows the other through the same inbox code that
//! serves Mastodon, and each verifies the other's signatures.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestDb, on_both_backends};

on_both_backends!(one_tribune_follows_another);

/// Run the CLI off the runtime's workers: the servers it talks to run on them.
async fn tribune(db: &TestDb, app: &TestApp, args: &[&str]) -> String {
    let (db_url, base) = (db.url.clone(), app.base.clone());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || run(&db_url, &base, &args))
        .await
        .unwrap()
}

fn run(db_url: &str, base: &str, args: &[String]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tribune"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TRIBUNE__") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(args)
        .env("TRIBUNE__DATABASE__URL", db_url)
        .env("TRIBUNE__SERVER__PUBLIC_URL", base)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run tribune");
    assert!(
        out.status.success(),
        "tribune {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    eventually("B records A as a follower", async || {
        items(&b, &format!("{b_actor}/followers")).await == json!([a_actor])
    })
    .await;
    eventually("A's follow is accepted", async || {
        items(&a, &format!("{a_actor}/following")).await == json!([b_actor])
    })
    .await;
    let listed = tribune(&db_a, &a, &["following", "list"]).await;
    assert!(
        listed.starts_with(&format!("{b_actor}\taccepted\t")),
        "{listed}"
    );

    // A unfollows: B drops the follower.
    tribune(&db_a, &a, &["following", "remove", &b_actor]).await;
    eventually("B drops A", async || {
        items(&b, &format!("{b_actor}/followers")).await == json!([])
    })
    .await;
    assert_eq!(items(&a, &format!("{a_actor}/following")).await, json!([]));
}
