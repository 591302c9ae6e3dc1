//! Delivery states as an operator reads them: a refusal is `failed`, a delivery that keeps
//! failing until `delivery.max_attempts` is `given_up`, each counted in its own column.

use crate::helpers::{Backend, World, on_both_backends};

on_both_backends!(a_delivery_that_keeps_failing_is_given_up_and_a_refusal_failed);

const STATEMENT: &str = "+++\nslug = \"s\"\n[title]\nfr = \"Titre\"\n+++\n::: fr\nTexte.\n";

/// The `tribune deliveries` row of one activity: `[delivered, pending, failed, given up]`.
fn counts_of(table: &str, activity: &str) -> Option<Vec<u64>> {
    table.lines().find(|l| l.starts_with(activity)).map(|l| {
        l.split('\t')
            .skip(2)
            .take(4)
            .map(|n| n.parse().unwrap())
            .collect()
    })
}

async fn the_activity(w: &World, kind: &str) -> String {
    w.db.text(&format!(
        "SELECT id FROM outgoing_activities WHERE kind = '{kind}'"
    ))
    .await
    .unwrap()
}

async fn a_delivery_that_keeps_failing_is_given_up_and_a_refusal_failed(backend: Backend) {
    let w = World::start(
        backend,
        "[delivery]\nmax_attempts = 2\nbackoff_unit_ms = 1\n",
        &["bob"],
    )
    .await;
    w.followed_by(&w.peer, "bob").await;

    // The follower's server errs every time: tried twice, then given up.
    w.peer.set_inbox_status(503);
    w.cli
        .ok(&["statement", "publish", &w.file("s.md", STATEMENT)])
        .await;
    w.deliveries_drained().await;
    let create = the_activity(&w, "Create").await;
    assert_eq!(
        w.db.text(&format!(
            "SELECT state FROM deliveries WHERE activity_id = '{create}'"
        ))
        .await
        .as_deref(),
        Some("given_up")
    );
    assert_eq!(
        w.peer.counts().get("/inbox").copied(),
        Some(2),
        "two attempts"
    );
    let table = w.cli.ok(&["deliveries"]).await;
    assert!(table.contains("\tfailed\tgiven up"), "{table}");
    assert_eq!(
        counts_of(&table, &create),
        Some(vec![0, 0, 0, 1]),
        "{table}"
    );

    // A refusal (a 4xx other than 401, 408 and 429) is final at once: failed, not given up.
    w.peer.set_inbox_status(403);
    w.cli.ok(&["statement", "pin", "s"]).await;
    w.deliveries_drained().await;
    let add = the_activity(&w, "Add").await;
    let table = w.cli.ok(&["deliveries"]).await;
    assert_eq!(counts_of(&table, &add), Some(vec![0, 0, 1, 0]), "{table}");
}
