//! The operator's CLI as a user runs it (the real binary, its exit code and output): a
//! closed pipe, what a change says it did, which coalition it acts on, quiet and consistent
//! output, help for every command.

use std::{io::Read, process::Stdio};

use crate::helpers::{Backend, World, on_both_backends};

on_both_backends!(a_closed_pipe_ends_a_command_quietly);

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
