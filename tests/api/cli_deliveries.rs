//! The operator's CLI is honest about deliveries: `tribune deliveries` says why a host's
//! deliveries failed (last status and error), `--failed` lists them inbox by inbox, an
//! unknown `--activity` is an error; `statement publish --wait` fails (exit 1) when a
//! delivery is refused or given up, and says so when no server takes the deliveries, ending
//! at `--timeout` with exit 75.

use std::time::{Duration, Instant};

use crate::{
    deliveries::the_activity,
    helpers::{Backend, World, on_both_backends},
};

on_both_backends!(
    a_refusal_is_named_by_publish_wait_and_the_deliveries_reports,
    publish_wait_without_a_server_says_so_and_times_out,
);

const STATEMENT: &str = "+++\nslug = \"s\"\n[title]\nfr = \"Titre\"\n+++\n::: fr\nTexte.\n";

/// The line of `table` that starts with `first` (a host, an inbox), as its cells.
fn line_of(table: &str, first: &str) -> Option<Vec<String>> {
    table
        .lines()
        .find(|l| l.starts_with(&format!("{first}\t")))
        .map(|l| l.split('\t').map(str::to_owned).collect())
}

async fn a_refusal_is_named_by_publish_wait_and_the_deliveries_reports(backend: Backend) {
    let w = World::start(
        backend,
        "[delivery]\nmax_attempts = 2\nbackoff_unit_ms = 1\n",
        &["bob"],
    )
    .await;
    w.followed_by(&w.peer, "bob").await;
    let host = w.peer.base.trim_start_matches("http://").to_owned();

    // The follower's server refuses: the wait ends in failure, naming the host and status,
    // though the statement is published (its id is still printed).
    w.peer.set_inbox_status(403);
    let out = w
        .cli
        .run(&["statement", "publish", "--wait", &w.file("s.md", STATEMENT)])
        .await;
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("1 of 1 deliveries were refused or given up"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&host), "{}", out.stderr);
    assert!(out.stderr.contains("HTTP 403"), "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().last(),
        Some(format!("{}/statements/s", w.app.base).as_str()),
        "{}",
        out.stdout
    );
    let create = the_activity(&w, "Create").await;

    // The host's line has the last status in its own column, and the error.
    let table = w.cli.ok(&["deliveries"]).await;
    assert!(
        table.contains("host\tdelivered\tpending\tfailed\tnext attempt\tlast status\tlast error"),
        "{table}"
    );
    let line = line_of(&table, &host).expect("the peer's host line");
    assert_eq!(line[3], "1", "failed: {table}");
    assert_eq!(line[5], "403", "last status: {table}");
    assert_ne!(line[6], "-", "last error: {table}");

    // A delivery given up (the server errs until the last attempt) is listed too.
    w.peer.set_inbox_status(503);
    w.cli.ok(&["statement", "pin", "s"]).await;
    w.deliveries_drained().await;
    let add = the_activity(&w, "Add").await;

    let failed = w.cli.ok(&["deliveries", "--failed"]).await;
    assert!(
        failed.starts_with("inbox\tactivity\tstate\tattempts\tlast status\tlast error\n"),
        "{failed}"
    );
    let rows: Vec<Vec<&str>> = failed
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{failed}");
    let row = |activity: &str| {
        rows.iter()
            .find(|r| r[1] == activity)
            .unwrap_or_else(|| panic!("{activity} in {failed}"))
            .clone()
    };
    let refused = row(&create);
    assert!(refused[0].contains(&host), "{failed}");
    assert_eq!(refused[2..5], ["failed", "1", "403"], "{failed}");
    assert_ne!(refused[5], "-", "{failed}");
    let given_up = row(&add);
    assert_eq!(given_up[2..5], ["given up", "2", "503"], "{failed}");

    // Of one activity alone.
    let of_create = w
        .cli
        .ok(&["deliveries", "--failed", "--activity", &create])
        .await;
    assert_eq!(of_create.lines().count(), 2, "{of_create}");
    assert!(of_create.contains(&create), "{of_create}");

    // An unknown activity is refused, with or without --failed: one sentence naming it.
    let unknown = format!("{create}-unknown");
    for args in [
        &["deliveries", "--activity", &unknown][..],
        &["deliveries", "--failed", "--activity", &unknown],
    ] {
        let out = w.cli.run(args).await;
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stdout);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains(&unknown), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    }
}

async fn publish_wait_without_a_server_says_so_and_times_out(backend: Backend) {
    let mut w = World::start(backend, "", &["bob"]).await;
    w.followed_by(&w.peer, "bob").await;
    // No server runs on the database any more: nothing claims the deliveries.
    w.app.stop().await;

    let started = Instant::now();
    let out = w
        .cli
        .run(&[
            "statement",
            "publish",
            "--wait",
            "--timeout",
            "3",
            &w.file("s.md", STATEMENT),
        ])
        .await;
    let took = started.elapsed();
    assert_eq!(out.code, Some(75), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("no `tribune serve` has picked up the deliveries yet"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("1 of 1 deliveries still pending after 3 s"),
        "{}",
        out.stderr
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert!(took >= Duration::from_secs(3), "took {took:?}");
    // Published all the same, its delivery still queued.
    assert_eq!(
        out.stdout.lines().last(),
        Some(format!("{}/statements/s", w.app.base).as_str()),
        "{}",
        out.stdout
    );
    assert_eq!(
        w.db.count("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'")
            .await,
        1
    );
}
