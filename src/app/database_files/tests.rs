#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::time::Duration;

use super::FileWatch;

/// Whether `changed` is signalled within `within`.
async fn told(changed: &tokio::sync::Notify, within: Duration) -> bool {
    tokio::time::timeout(within, changed.notified())
        .await
        .is_ok()
}

/// Told soon: the system passes the event on at once, but a loaded machine may run the
/// watcher's thread late.
const SOON: Duration = Duration::from_secs(5);
/// Long enough for an event that was coming to have come.
const QUIET: Duration = Duration::from_millis(500);

fn files(dir: &tempfile::TempDir) -> [std::path::PathBuf; 2] {
    let db = dir.path().join("tribune.db");
    [db, dir.path().join("tribune.db-wal")]
}

#[tokio::test]
async fn writes_to_the_database_files_are_told_and_reads_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let files = files(&dir);
    std::fs::write(&files[0], b"one").unwrap();
    let watch = FileWatch::start(&files).unwrap();
    let changed = &watch.changed;
    assert!(!told(changed, QUIET).await, "nothing changed yet");

    // Another process appends to the WAL file, which did not exist: told.
    std::fs::write(&files[1], b"frames").unwrap();
    assert!(told(changed, SOON).await, "the WAL file written");
    while told(changed, QUIET).await {}

    // Reads and other files in the directory: not told.
    let _ = std::fs::read(&files[0]).unwrap();
    let _ = std::fs::read(&files[1]).unwrap();
    std::fs::write(dir.path().join("other.db"), b"x").unwrap();
    assert!(!told(changed, QUIET).await, "a read or another file");

    // The database file itself written (a checkpoint): told.
    std::fs::write(&files[0], b"two").unwrap();
    assert!(told(changed, SOON).await, "the database file written");
}

#[tokio::test]
async fn a_paused_watch_tells_nothing_and_its_resume_tells_what_changed_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let files = files(&dir);
    std::fs::write(&files[0], b"one").unwrap();
    let mut watch = FileWatch::start(&files).unwrap();

    // Paused, a write is not an event; resuming tells of it.
    let before = watch.pause();
    std::fs::write(&files[1], b"frames written while paused").unwrap();
    assert!(!told(&watch.changed, QUIET).await, "paused");
    assert!(
        watch.resume(&before).unwrap(),
        "the WAL file appeared while paused"
    );

    // Watching again: a write is an event.
    std::fs::write(&files[0], b"two, longer").unwrap();
    assert!(told(&watch.changed, SOON).await, "watching again");
    while told(&watch.changed, QUIET).await {}

    // Paused with only reads meanwhile: nothing to tell.
    let before = watch.pause();
    let _ = std::fs::read(&files[0]).unwrap();
    let _ = std::fs::read(&files[1]).unwrap();
    assert!(
        !watch.resume(&before).unwrap(),
        "nothing changed while paused"
    );

    // The WAL file removed while paused (a checkpoint that truncates it, a clean close).
    let before = watch.pause();
    std::fs::remove_file(&files[1]).unwrap();
    assert!(
        watch.resume(&before).unwrap(),
        "the WAL file removed while paused"
    );
}
