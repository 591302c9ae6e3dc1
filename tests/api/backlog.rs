//! A host's backlog is claimed a share at a time: a process holds a few times
//! `delivery.per_host_concurrency` rows of one host, not every row due to it, so that a slow
//! host's rows do not take every place in hand nor wait out their leases; and the backlog
//! still drains, each row delivered once.

use std::time::Duration;

use crate::{
    helpers::{Backend, Cli, TestApp, TestDb, eventually, on_both_backends},
    peer::Peer,
};

on_both_backends!(
    a_hosts_backlog_is_claimed_a_share_at_a_time_and_drains_once,
    a_fast_hosts_backlog_is_not_held_back_by_slow_hosts_shares,
);

const FOLLOWERS: usize = 200;
const PER_HOST: usize = 2;

async fn a_hosts_backlog_is_claimed_a_share_at_a_time_and_drains_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    // The default `delivery.concurrency` (2,048): room for 8,192 rows in hand, so that
    // nothing but the host's share keeps the whole backlog from being claimed at once.
    let app = TestApp::spawn(
        &db,
        &format!("[delivery]\nper_host_concurrency = {PER_HOST}\n"),
    )
    .await;
    // One host, 200 followers each with an inbox of its own: 200 rows for one host, sent two
    // at a time, each answered after 50 ms. The followers' actors are named on another host
    // than their inboxes, as nothing forbids: a delivery row's `host` is its follower's,
    // and the share is counted by it, as the claim reads it.
    let sink = Peer::start(&[]).await;
    sink.set_delay(Duration::from_millis(50));
    db.seed_followers(&sink.base, FOLLOWERS).await;
    let host = "actors.example";
    db.execute(&format!("UPDATE remote_actors SET host = '{host}'"))
        .await;
    publish(&db, &app).await;

    // While the backlog drains, the rows under a lease (claimed, not yet finished) stay
    // within the share: under twice 4 × 2 waiting, and 2 in flight (a row holds its host's
    // permit until its outcome is committed): 17 at most, with room for a row let go
    // unsent, whose lease stays until it runs out.
    let leased = format!(
        "SELECT COUNT(*) FROM deliveries WHERE host = '{host}' AND state = 'pending' \
         AND leased_until IS NOT NULL"
    );
    let mut most = 0;
    let mut samples = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while sink.received().len() < FOLLOWERS / 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "half the backlog in 60 s"
        );
        most = most.max(db.count(&leased).await);
        samples += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("at most {most} rows of the host leased, over {samples} samples");
    assert!(samples >= 5, "sampled while the backlog drained: {samples}");
    assert!(most >= PER_HOST as i64, "rows were claimed: {most}");
    assert!(
        most <= 12 * PER_HOST as i64,
        "{most} rows of one host leased at once"
    );

    eventually(
        "every row is delivered",
        Duration::from_secs(60),
        async || {
            db.count("SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'")
                .await
                == FOLLOWERS as i64
        },
    )
    .await;
    let counts = sink.counts();
    assert_eq!(counts.len(), FOLLOWERS, "every inbox reached");
    assert!(counts.values().all(|n| *n == 1), "each inbox once");
}

async fn publish(db: &TestDb, app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.md");
    std::fs::write(
        &file,
        "+++\nslug = \"appel\"\n[title]\nfr = \"Appel\"\n+++\n::: fr\nTexte.\n",
    )
    .unwrap();
    Cli::for_app(db, app)
        .ok(&["statement", "publish", file.to_str().unwrap()])
        .await;
}

/// Two slow hosts hold their shares for seconds; a fast host's backlog is claimed again as
/// soon as its own share runs low, not when half of everything in hand has ended.
async fn a_fast_hosts_backlog_is_not_held_back_by_slow_hosts_shares(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(
        &db,
        &format!("[delivery]\nper_host_concurrency = {PER_HOST}\n"),
    )
    .await;
    // Each slow host takes a second an answer, two at a time: 40 rows, 20 s.
    let slow = [Peer::start(&[]).await, Peer::start(&[]).await];
    for sink in &slow {
        sink.set_delay(Duration::from_secs(1));
        db.seed_followers(&sink.base, 40).await;
    }
    let fast = Peer::start(&[]).await;
    db.seed_followers(&fast.base, FOLLOWERS).await;
    publish(&db, &app).await;

    eventually(
        "the fast host has every row",
        Duration::from_secs(60),
        async || fast.counts().len() == FOLLOWERS,
    )
    .await;
    // Claimed a share at a time, the fast host's 200 rows take a few claims; had they
    // waited for the slow hosts' rows to end, each slow host would have answered a dozen
    // or more by then.
    let answered: Vec<usize> = slow.iter().map(|s| s.received().len()).collect();
    println!("the slow hosts had received {answered:?} when the fast one had all");
    assert!(
        answered.iter().all(|n| *n <= 8),
        "the fast host waited on the slow ones: they had {answered:?}"
    );
    assert!(fast.counts().values().all(|n| *n == 1), "each inbox once");
}
