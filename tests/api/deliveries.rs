//! Delivery states as an operator reads them: a refusal is `failed`, a delivery that keeps
//! failing until `delivery.max_attempts` is `given_up`, each counted in its own column, and
//! each host with its last error; `deliveries retry HOST` sends a host's deliveries now.

use crate::helpers::{Backend, WAIT, World, eventually, on_both_backends};

on_both_backends!(
    a_delivery_that_keeps_failing_is_given_up_and_a_refusal_failed,
    a_retry_sends_a_host_its_pending_and_given_up_deliveries_now,
);

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

/// The `tribune deliveries` host line of `host`: `[delivered, pending, failed, next attempt,
/// last status, last error]`.
fn host_of(table: &str, host: &str) -> Option<Vec<String>> {
    table
        .lines()
        .find(|l| l.starts_with(&format!("{host}\t")))
        .map(|l| l.split('\t').skip(1).map(str::to_owned).collect())
}

/// The id of the one outgoing activity of `kind`.
pub(crate) async fn the_activity(w: &World, kind: &str) -> String {
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
    // Its host says why, though nothing to it is pending any more.
    let host = w.peer.base.trim_start_matches("http://").to_owned();
    let line = host_of(&table, &host).expect("the peer's host line");
    assert!(line[4] == "503" && line[5].contains("HTTP 503"), "{table}");

    // A refusal (a 4xx other than 401, 408 and 429) is final at once: failed, not given up.
    w.peer.set_inbox_status(403);
    w.cli.ok(&["statement", "pin", "s"]).await;
    w.deliveries_drained().await;
    let add = the_activity(&w, "Add").await;
    let table = w.cli.ok(&["deliveries"]).await;
    assert_eq!(counts_of(&table, &add), Some(vec![0, 0, 1, 0]), "{table}");
    // The host's last failure is now the refusal; it counts both as failed.
    let line = host_of(&table, &host).expect("the peer's host line");
    assert_eq!(line[1..3], ["0", "2"], "{table}");
    assert!(line[4] == "403" && line[5].contains("HTTP 403"), "{table}");

    // One activity's report: its hosts alone, each with that activity's failure.
    let of_create = w.cli.ok(&["deliveries", "--activity", &create]).await;
    assert_eq!(counts_of(&of_create, &add), None, "{of_create}");
    let line = host_of(&of_create, &host).expect("the peer's host line");
    assert!(
        line[4] == "503" && line[5].contains("HTTP 503"),
        "{of_create}"
    );

    // An activity that is not recorded is an error, not empty tables.
    let unknown = format!("{create}-unknown");
    let out = w.cli.run(&["deliveries", "--activity", &unknown]).await;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(out.stderr.contains(&unknown), "{}", out.stderr);
    assert!(!out.stdout.contains("host\t"), "{}", out.stdout);
}

async fn a_retry_sends_a_host_its_pending_and_given_up_deliveries_now(backend: Backend) {
    // A failed attempt is tried again only after 16 units of 10 minutes: whatever arrives
    // within the test's wait was sent by a retry.
    let w = World::start(
        backend,
        "[delivery]\nmax_attempts = 2\nbackoff_unit_ms = 600000\n",
        &["bob"],
    )
    .await;
    w.followed_by(&w.peer, "bob").await;
    let host = w.peer.base.trim_start_matches("http://").to_owned();
    let state = async || {
        w.db.text(
            "SELECT state FROM deliveries WHERE activity_id IN \
                   (SELECT id FROM outgoing_activities WHERE kind = 'Create')",
        )
        .await
    };

    // The host errs: the Create's second attempt is hours away.
    w.peer.set_inbox_status(503);
    w.cli
        .ok(&["statement", "publish", &w.file("s.md", STATEMENT)])
        .await;
    w.peer.wait_for("/inbox", 1, WAIT).await;
    eventually("the first attempt is recorded", WAIT, async || {
        w.db.count("SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND last_status = 503")
            .await
            == 1
    })
    .await;
    let table = w.cli.ok(&["deliveries"]).await;
    let line = host_of(&table, &host).expect("the peer's host line");
    assert_eq!(line[1], "1", "pending: {table}");
    assert!(line[4] == "503" && line[5].contains("HTTP 503"), "{table}");

    // Retried now, it is attempted at once: refused again, the last attempt, so given up.
    let out = w.cli.ok(&["deliveries", "retry", &host]).await;
    assert_eq!(out.trim(), format!("retrying 1 delivery to {host} now"));
    w.peer.wait_for("/inbox", 2, WAIT).await;
    eventually("the Create is given up", WAIT, async || {
        state().await.as_deref() == Some("given_up")
    })
    .await;

    // The host answers again: a retry sends what was given up, and it arrives.
    w.peer.set_inbox_status(202);
    let out = w.cli.ok(&["deliveries", "retry", &host]).await;
    assert_eq!(out.trim(), format!("retrying 1 delivery to {host} now"));
    let got = w.peer.wait_for("/inbox", 3, WAIT).await;
    assert_eq!(got[2].json()["type"], "Create");
    eventually("the Create is delivered", WAIT, async || {
        state().await.as_deref() == Some("delivered")
    })
    .await;

    // Nothing left to retry is said, and is no error.
    let out = w.cli.ok(&["deliveries", "retry", &host]).await;
    assert!(out.starts_with("nothing to retry"), "{out}");

    // A host with no delivery recorded is refused.
    let out = w.cli.run(&["deliveries", "retry", "nowhere.example"]).await;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(out.stderr.contains("nowhere.example"), "{}", out.stderr);
}
