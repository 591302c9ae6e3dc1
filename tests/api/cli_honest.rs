//! The operator's CLI as a user runs it (the real binary, its exit code and output): a
//! closed pipe, what a change says it did, which coalition it acts on, quiet and consistent
//! output, help for every command.

use std::{io::Read, process::Stdio};

use crate::helpers::{Backend, Cli, TestDb, World, on_both_backends};

on_both_backends!(
    a_closed_pipe_ends_a_command_quietly,
    an_edit_keeps_the_pin_unless_the_file_says_otherwise,
    an_import_without_keys_needs_new_keys,
    a_change_says_where_it_acts,
    lists_share_one_convention_and_commands_are_quiet,
);

const STATEMENT: &str = "+++\nslug = \"appel\"\n[title]\nfr = \"Appel\"\nen = \"Call\"\n+++\n\n::: fr\nNous appelons.\n\n::: en\nWe call.\n";

/// Run `args` with standard output a pipe whose reader is gone before anything is written.
fn with_reader_gone(w: &World, args: &[&str]) -> (Option<i32>, String) {
    let mut child = w
        .cli
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tribune");
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap().code(), stderr)
}

/// `tribune deliveries | head -4`: no panic, the status of a tool stopped by SIGPIPE.
async fn a_closed_pipe_ends_a_command_quietly(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    w.followed_by(&w.peer, "alice").await;
    let out = w
        .cli
        .run(&["statement", "publish", &w.file("appel.md", STATEMENT)])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for args in [
        &["deliveries"][..],
        &["followers", "list"],
        &["cosigners", "list", "appel", "--format", "csv"],
        &["export"],
    ] {
        let (code, stderr) = with_reader_gone(&w, args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(code, Some(141), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}

async fn pinned(w: &World) -> i64 {
    w.db.count("SELECT COUNT(*) FROM statements WHERE slug = 'appel' AND pinned")
        .await
}

/// An edit from a file that says nothing of the pin keeps it; `pinned = false` removes it;
/// the command says what it did.
async fn an_edit_keeps_the_pin_unless_the_file_says_otherwise(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    w.followed_by(&w.peer, "alice").await;
    let pinned_file = STATEMENT.replace("slug = \"appel\"", "slug = \"appel\"\npinned = true");
    let out = w
        .cli
        .run(&["statement", "publish", &w.file("a.md", &pinned_file)])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(pinned(&w).await, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "Create: queued for 1 inbox", "{}", out.stdout);
    assert_eq!(
        lines[1], "Add (pinned): queued for 1 inbox",
        "{}",
        out.stdout
    );
    assert!(
        lines[2].ends_with("/statements/appel"),
        "the id last: {}",
        out.stdout
    );

    let silent = STATEMENT.replace("We call.", "We call again.");
    let out = w
        .cli
        .run(&["statement", "edit", "appel", &w.file("b.md", &silent)])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(pinned(&w).await, 1, "the pin is kept");
    assert!(out.stdout.contains("version 2"), "{}", out.stdout);
    assert!(out.stdout.contains("pin kept"), "{}", out.stdout);

    let unpin = silent.replace("slug = \"appel\"", "slug = \"appel\"\npinned = false");
    let out = w
        .cli
        .run(&["statement", "edit", "appel", &w.file("c.md", &unpin)])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(pinned(&w).await, 0);
    assert!(out.stdout.contains("unpinned"), "{}", out.stdout);
    assert!(
        out.stdout.contains("text unchanged"),
        "same text: no new version: {}",
        out.stdout
    );
}

/// An archive without the key pair is not imported until `--new-keys` says a new identity
/// is wanted.
async fn an_import_without_keys_needs_new_keys(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let out = w
        .cli
        .run(&["statement", "publish", &w.file("a.md", STATEMENT)])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("Create: 0 inboxes (no followers yet)\n"),
        "{}",
        out.stdout
    );
    let archive = w.file("archive.json", "");
    w.cli.ok(&["export", "--output", &archive]).await;

    let fresh = TestDb::new(backend).await;
    let cli = Cli {
        db_url: fresh.url.clone(),
        public_url: w.app.base.clone(),
        env: Vec::new(),
    };
    // The database made, as a first command does.
    cli.ok(&["statement", "list"]).await;
    let out = cli.run(&["import", &archive]).await;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("--new-keys"), "{}", out.stderr);
    assert!(
        out.stderr.contains("nothing was imported"),
        "{}",
        out.stderr
    );
    assert_eq!(fresh.count("SELECT COUNT(*) FROM statements").await, 0);

    let out = cli.run(&["import", "--new-keys", &archive]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("NEW key pair"), "{}", out.stderr);
    assert_eq!(fresh.count("SELECT COUNT(*) FROM statements").await, 1);
}

/// A change names the coalition and database it acts on; a `--config` setting overridden by
/// the environment is said, for reads too.
async fn a_change_says_where_it_acts(backend: Backend) {
    let w = World::start(backend, "", &[]).await;
    let file = w.file(
        "hiatus.toml",
        "[database]\nurl = \"sqlite:///nowhere/else.db\"\n[coalition]\nusername = \"coalition\"\n",
    );
    // The helper sets TRIBUNE__DATABASE__URL: it overrides the file's.
    let out = w
        .cli
        .run(&[
            "--config",
            &file,
            "statement",
            "publish",
            &w.file("a.md", STATEMENT),
        ])
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let port = url::Url::parse(&w.app.base).unwrap().port().unwrap();
    let acting = format!("acting on @coalition@localhost:{port} (database ");
    assert!(out.stderr.contains(&acting), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "note: TRIBUNE__DATABASE__URL in the environment overrides database.url of {file}"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.lines().count(),
        2,
        "one line each: {}",
        out.stderr
    );
    // A read names no database, but the override still shows.
    let out = w.cli.run(&["--config", &file, "statement", "list"]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!out.stderr.contains("acting on"), "{}", out.stderr);
    assert!(
        out.stderr.contains("overrides database.url"),
        "{}",
        out.stderr
    );
    // Without the file, nothing overrides anything.
    let out = w.cli.run(&["statement", "list"]).await;
    assert_eq!(out.stderr, "", "{}", out.stderr);
}

/// Every list: a header then `none` when empty, the same columns as JSON with
/// `--format json`; no log line below WARN unless `-v`.
async fn lists_share_one_convention_and_commands_are_quiet(backend: Backend) {
    let w = World::start(backend, "", &["alice"]).await;
    let lists: [&[&str]; 10] = [
        &["statement", "list"],
        &["followers", "list"],
        &["followers", "pending"],
        &["following", "list"],
        &["members", "list"],
        &["relay", "pending"],
        &["relay", "list"],
        &["block", "domain", "list"],
        &["block", "actor", "list"],
        &["admin", "list"],
    ];
    for args in lists {
        let out = w.cli.run(args).await;
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {}", out.stdout);
        assert!(!lines[0].is_empty(), "{args:?}: a header");
        assert_eq!(lines[1], "none", "{args:?}");
        let mut json = args.to_vec();
        json.extend(["--format", "json"]);
        let out = w.cli.run(&json).await;
        assert_eq!(out.code, Some(0), "{json:?}: {}", out.stderr);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
        assert_eq!(v, serde_json::json!([]), "{json:?}");
    }
    // With a row: the header's columns are the JSON's keys.
    w.followed_by(&w.peer, "alice").await;
    let out = w.cli.run(&["followers", "list", "--format", "json"]).await;
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v[0]["actor"], w.peer.actor_id("alice"), "{v}");
    assert_eq!(
        v[0]["handle"],
        format!("@alice@localhost:{}", w.peer.addr.port())
    );
    let table = w.cli.run(&["followers", "list"]).await.stdout;
    assert!(
        table.starts_with("actor\thandle\tname\ttype\tsince\n"),
        "{table}"
    );
    assert!(!table.contains("none"), "{table}");

    // Quiet by default: a command on a new database (a key pair made, migrations run)
    // logs nothing below WARN; -v shows INFO.
    for (verbose, args) in [
        (false, &["statement", "list"][..]),
        (true, &["-v", "statement", "list"]),
    ] {
        let fresh = TestDb::new(backend).await;
        let cli = Cli {
            db_url: fresh.url.clone(),
            public_url: w.app.base.clone(),
            env: Vec::new(),
        };
        let out = cli.command(args).env_remove("RUST_LOG").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(stderr.contains("INFO"), verbose, "{args:?}: {stderr}");
    }
}
