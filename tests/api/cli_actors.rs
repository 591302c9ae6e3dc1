//! The CLI's commands that take an actor, its blocks and its errors, as an operator runs
//! them (the real binary, its exit code and output): a handle wherever an actor is asked,
//! our own domain never blocked, members blocked only with --yes, and every failure said
//! once, in one sentence, with the exit code of its kind.

use std::time::{Duration, Instant};

use crate::{
    cosign::Cosign,
    helpers::{Backend, Cli, Output, TestDb, World, on_both_backends},
    peer::Peer,
};

on_both_backends!(
    a_handle_names_an_actor_wherever_one_is_asked,
    blocks_refuse_our_domain_and_ask_before_covering_members,
);

/// `@name@host:port` of the peer's actor `name`.
fn handle(peer: &Peer, name: &str) -> String {
    let host = peer.base.split_once("://").map_or("", |(_, h)| h);
    format!("@{name}@{host}")
}

/// The lines on standard error, so that an error said twice is seen.
/// Standard error without the line a change opens with (which coalition and database).
fn error_lines(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("acting on @"))
        .collect()
}

async fn a_handle_names_an_actor_wherever_one_is_asked(backend: Backend) {
    let w = Cosign::new(backend, "", &["alice", "bob"]).await;
    let announce = w.announce(&w.peer, "alice", 1);
    assert_eq!(w.send_shared("alice", &announce).await.status(), 202);
    w.followed_by(&w.peer, "bob").await;

    // The co-signer by handle, with and without its leading @.
    let alice = handle(&w.peer, "alice");
    let hide = [
        "cosigners",
        "hide",
        "manifeste-2026",
        &alice,
        "--reason",
        "spam",
    ];
    let out = w.cli.run(&hide).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("hidden"), "{}", out.stdout);
    let unhide = ["cosigners", "unhide", "manifeste-2026", &alice[1..]];
    let out = w.cli.run(&unhide).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("no longer hidden"), "{}", out.stdout);

    // A follower by handle.
    let bob = handle(&w.peer, "bob");
    let out = w.cli.run(&["followers", "remove", &bob]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains(&format!("removed {}", w.peer.actor_id("bob"))),
        "{}",
        out.stdout
    );

    // A handle nobody has: one sentence naming it, instead of the WebFinger document.
    let nobody = handle(&w.peer, "nobody");
    let out = w.cli.run(&["members", "add", &nobody]).await;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        error_lines(&out),
        [format!(
            "error: cannot find {nobody}: its server knows no such account"
        )],
    );
    let out = w
        .cli
        .run(&[
            "cosigners",
            "hide",
            "manifeste-2026",
            &nobody,
            "--reason",
            "x",
        ])
        .await;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(error_lines(&out).len(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("cannot find {nobody}")),
        "{}",
        out.stderr
    );
}

async fn blocks_refuse_our_domain_and_ask_before_covering_members(backend: Backend) {
    let peer = Peer::start_named("peer.localhost", &["asso", "bob"]).await;
    let w = World::with_peer(backend, "", peer).await;
    w.followed_by(&w.peer, "bob").await;
    let asso = handle(&w.peer, "asso");
    w.cli.ok(&["members", "add", &asso]).await;
    let bob = w.peer.actor_id("bob");

    // Our own domain, or our own actor: refused, nothing changed.
    for args in [
        &["block", "domain", "add", "localhost"][..],
        &["block", "domain", "add", "LOCALHOST.", "--yes"],
        &["block", "actor", "add", &w.coalition],
    ] {
        let out = w.cli.run(args).await;
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert_eq!(error_lines(&out).len(), 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("own domain"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert_eq!(w.db.count("SELECT COUNT(*) FROM blocks").await, 0);

    // A domain that holds a member: named, and nothing done without --yes.
    let out = w
        .cli
        .run(&["block", "domain", "add", "peer.localhost"])
        .await;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(error_lines(&out).len(), 1, "{}", out.stderr);
    assert!(out.stderr.contains(&asso), "{}", out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM blocks").await, 0);
    assert_eq!(w.follower_count().await, 1);

    // With --yes: blocked, and what it removed is said.
    let out = w
        .cli
        .run(&["block", "domain", "add", "peer.localhost", "--yes"])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("blocked domain peer.localhost"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("removed 1 follower(s)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 member(s) covered"), "{}", out.stdout);
    assert!(
        out.stdout.contains("0 co-signature(s) kept"),
        "{}",
        out.stdout
    );
    assert_eq!(w.follower_count().await, 0);
    assert_eq!(w.db.count("SELECT COUNT(*) FROM members").await, 1);

    // An actor by URL that is no member: no --yes needed.
    let out = w.cli.run(&["block", "actor", "add", &bob]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("0 member(s) covered"), "{}", out.stdout);
}

/// A command's CLI on a database named by `url`, with no server.
fn cli_on(url: &str) -> Cli {
    Cli {
        db_url: url.to_owned(),
        public_url: "http://localhost:1".into(),
        env: Vec::new(),
    }
}

#[tokio::test]
async fn an_unreachable_postgresql_is_said_once_quickly() {
    let cli = cli_on("postgres://postgres@127.0.0.1:1/x");
    let started = Instant::now();
    let out = cli.run(&["followers", "list"]).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].contains("127.0.0.1:1"), "{}", out.stderr);
}

/// Whether this process may write where permissions say it may not (root may).
fn permissions_are_ignored(dir: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    std::fs::create_dir(&probe).unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o555)).unwrap();
    let ignored = std::fs::write(probe.join("f"), "x").is_ok();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o755)).unwrap();
    ignored
}

/// A read-only SQLite database: said once with its path, exit 78. Opened read-only by its
/// URL (`mode=ro`), which holds as root too; made read-only by its permissions as well when
/// this process is not root (root writes through them, so that part is skipped there).
#[tokio::test]
async fn a_read_only_sqlite_database_is_said_once_with_its_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data").join("tribune.db");
    let url = format!("sqlite://{}", file.display());
    cli_on(&url).ok(&["followers", "list"]).await;

    let mut urls = vec![format!("{url}?mode=ro")];
    if !permissions_are_ignored(dir.path()) {
        for f in std::fs::read_dir(file.parent().unwrap()).unwrap() {
            let f = f.unwrap().path();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
        let folder = file.parent().unwrap();
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o555)).unwrap();
        urls.push(url.clone());
    } else {
        eprintln!("running as root: the permissions part is skipped (root writes through them)");
    }
    for url in urls {
        let out = cli_on(&url)
            .run(&["block", "domain", "add", "spam.example"])
            .await;
        assert_eq!(out.code, Some(78), "{url}: {}", out.stderr);
        let lines = error_lines(&out);
        assert_eq!(lines.len(), 1, "{url}: {}", out.stderr);
        assert!(
            lines[0].contains(&file.display().to_string()),
            "{url}: {}",
            out.stderr
        );
    }
    let folder = file.parent().unwrap();
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// An avatar that cannot be read is the configuration's problem: one FIX, under that label,
/// and no verdict claiming the configuration is fine.
#[tokio::test]
async fn doctor_says_a_missing_avatar_under_configuration_only() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut cli = cli_on(&db.url);
    cli.env.push((
        "TRIBUNE__COALITION__AVATAR".into(),
        "/nonexistent/avatar.png".into(),
    ));
    let out = cli.run(&["doctor"]).await;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let verdicts: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("ok") || l.starts_with("FIX") || l.starts_with("warn"))
        .collect();
    let fixes: Vec<&&str> = verdicts.iter().filter(|l| l.starts_with("FIX")).collect();
    assert_eq!(fixes.len(), 1, "{}", out.stdout);
    assert!(
        fixes[0].starts_with("FIX   configuration: "),
        "{}",
        out.stdout
    );
    assert!(
        fixes[0].contains("/nonexistent/avatar.png"),
        "{}",
        out.stdout
    );
    assert!(
        !fixes[0].contains("configuration: configuration"),
        "{}",
        out.stdout
    );
    assert!(
        !verdicts
            .iter()
            .any(|l| l.contains("configuration") && l.starts_with("ok")),
        "{}",
        out.stdout
    );
}
