//! Several `serve` processes on one PostgreSQL act as one: a host that none of them can
//! reach is put off by all once the failures they count together reach the threshold, and a
//! peer gets one allowance from all of them, not one from each.

use std::time::Duration;

use crate::{
    fanout::{follow_through, free_port, start_with},
    helpers::{Backend, TestDb, eventually, postgres_available},
    peer::Peer,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_share_a_circuit_breaker() {
    if !postgres_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Postgres).await;
    let dead = Peer::start(&[]).await;
    dead.set_black_hole(true);
    let ports = [free_port(), free_port(), free_port()];
    // One delivery at a time per process, each claiming a few rows: every process holds
    // rows for the dead host. Three failures in a row open its breaker for a minute. With a
    // breaker per process, each would try the host three times (nine requests at least).
    let env = [
        ("TRIBUNE__DELIVERY__CONCURRENCY", "1"),
        ("TRIBUNE__DELIVERY__PER_HOST_CONCURRENCY", "1"),
        ("TRIBUNE__DELIVERY__TIMEOUT_SECONDS", "1"),
        ("TRIBUNE__DELIVERY__BREAKER_FAILURES", "3"),
        ("TRIBUNE__DELIVERY__BREAKER_OPEN_SECONDS", "60"),
        ("TRIBUNE__DELIVERY__BACKOFF_UNIT_MS", "60000"),
    ];
    let _servers: Vec<_> = ports
        .iter()
        .map(|p| start_with(dir.path(), &db, *p, ports[0], &env))
        .collect();
    db.seed_followers(&dead.base, 30).await;
    let cli = crate::helpers::Cli {
        db_url: db.url.clone(),
        public_url: format!("http://localhost:{}", ports[0]),
        env: Vec::new(),
    };
    let file = dir.path().join("s.md");
    std::fs::write(
        &file,
        "+++\nslug = \"appel\"\n[title]\nfr = \"Appel\"\n+++\n::: fr\nTexte.\n",
    )
    .unwrap();
    cli.ok(&["statement", "publish", file.to_str().unwrap()])
        .await;

    eventually(
        "the dead host's deliveries are put off by the open breaker",
        Duration::from_secs(30),
        async || {
            db.count("SELECT COUNT(*) FROM deliveries WHERE last_error LIKE '%circuit breaker%'")
                .await
                >= 20
        },
    )
    .await;
    let tried = dead.received().len();
    println!("{tried} requests reached the dead host");
    assert!(
        (3..=6).contains(&tried),
        "{tried} requests reached the dead host while the shared breaker opened"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM host_breakers WHERE open_until IS NOT NULL")
            .await,
        1,
        "the open breaker is recorded once, for every process"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_give_a_flooding_host_one_allowance() {
    if !postgres_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Postgres).await;
    let ports = [free_port(), free_port(), free_port()];
    let env = [("TRIBUNE__INBOX__MAX_PER_HOST_PER_MINUTE", "6")];
    let _servers: Vec<_> = ports
        .iter()
        .map(|p| start_with(dir.path(), &db, *p, ports[0], &env))
        .collect();
    let names: Vec<String> = (0..30).map(|i| format!("a{i}")).collect();
    let peer = Peer::start_sharing_a_key(&names).await;

    // 30 Follows from one host, a tenth of a second apart, to the three processes in turn.
    // Each process alone would let 6 through (18 in all); together they let 6 through, and
    // what the others counted in the last quarter second or so.
    let mut accepted = 0;
    let mut refused = 0;
    for (i, name) in names.iter().enumerate() {
        let port = ports[i % 3];
        let res = follow_through(&peer, name, port, ports[0]).await;
        match res.status().as_u16() {
            202 => accepted += 1,
            429 => {
                refused += 1;
                assert!(res.headers().contains_key("retry-after"));
            }
            other => panic!("{name} via {port}: {other}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("{accepted} accepted, {refused} refused");
    assert!(
        (6..=10).contains(&accepted),
        "{accepted} of 30 accepted: one allowance of 6 for the three processes"
    );
    eventually(
        "the accepted follows are recorded",
        Duration::from_secs(10),
        async || db.count("SELECT COUNT(*) FROM followers").await == accepted,
    )
    .await;
}
