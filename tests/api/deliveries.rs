//! Delivery states as an operator reads them: a refusal is `failed`, a delivery that keeps
//! failing until `delivery.max_attempts` is `given_up`, each counted in its own column.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{
    helpers::{Backend, Cli, TestApp, TestDb, on_both_backends},
    peer::Peer,
};

on_both_backends!(a_delivery_that_keeps_failing_is_given_up_and_a_refusal_failed);

const WAIT: Duration = Duration::from_secs(20);
const STATEMENT: &str = "+++\nslug = \"s\"\n[title]\nfr = \"Titre\"\n+++\n::: fr\nTexte.\n";

/// The `deliveries` table's row for one activity: `[delivered, pending, failed, given up]`.
fn counts_of(table: &str, activity: &str) -> Option<Vec<u64>> {
    table.lines().find(|l| l.starts_with(activity)).map(|l| {
        l.split('\t')
            .skip(2)
            .take(4)
            .map(|n| n.parse().unwrap())
            .collect()
    })
}

async fn a_delivery_that_keeps_failing_is_given_up_and_a_refusal_failed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db, "[delivery]\nmax_attempts = 2\nbackoff_unit_ms = 1\n").await;
    let cli = Cli::for_app(&db, &app);
    let peer = Peer::start(&["bob"]).await;
    let client = peer.client(&[("localhost", app.addr)]);
    let follow = json!({"id": format!("{}/f/bob", peer.base), "type": "Follow",
                        "actor": peer.actor_id("bob"), "object": format!("{}/ap/coalition", app.base)});
    let res = peer
        .post(
            &client,
            "bob",
            &format!("{}/inbox", app.base),
            follow.to_string().as_bytes(),
        )
        .await;
    assert_eq!(res.status(), 202);
    peer.wait_for("/users/bob/inbox", 1, WAIT).await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.md");
    std::fs::write(&file, STATEMENT).unwrap();

    // The follower's server errs every time: tried twice, then given up.
    peer.set_inbox_status(503);
    cli.ok(&["statement", "publish", file.to_str().unwrap()])
        .await;
    let create = db
        .text("SELECT id FROM outgoing_activities WHERE kind = 'Create'")
        .await
        .unwrap();
    let started = Instant::now();
    while db
        .count("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'")
        .await
        > 0
    {
        assert!(started.elapsed() < WAIT, "deliveries still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        db.text(&format!(
            "SELECT state FROM deliveries WHERE activity_id = '{create}'"
        ))
        .await
        .as_deref(),
        Some("given_up")
    );
    assert_eq!(
        peer.counts().get("/inbox").copied().unwrap_or(0),
        2,
        "two attempts"
    );
    let table = cli.ok(&["deliveries"]).await;
    assert!(table.contains("failed\tgiven up"), "{table}");
    assert_eq!(
        counts_of(&table, &create),
        Some(vec![0, 0, 0, 1]),
        "{table}"
    );

    // A refusal (a 4xx other than 401, 408 and 429) is final at once: failed, not given up.
    peer.set_inbox_status(403);
    cli.ok(&["statement", "pin", "s"]).await;
    let add = db
        .text("SELECT id FROM outgoing_activities WHERE kind = 'Add'")
        .await
        .unwrap();
    let started = Instant::now();
    while db
        .count("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'")
        .await
        > 0
    {
        assert!(started.elapsed() < WAIT, "deliveries still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let table = cli.ok(&["deliveries"]).await;
    assert_eq!(counts_of(&table, &add), Some(vec![0, 0, 1, 0]), "{table}");
}
