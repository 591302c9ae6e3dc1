//! The applier's own connection and its runtime's end.

use super::*;

/// The applier keeps its own connection from one batch to the next, and closes it once the
/// inbox has idled; a batch after that opens it again.
#[tokio::test]
async fn the_inbox_closes_its_own_connection_once_idle() {
    let dir = tempfile::tempdir().unwrap();
    let shared = crate::db::sqlite_in(dir.path()).await;
    let mut writer = shared.writer();
    writer.begin().await.unwrap().commit().await.unwrap();
    assert!(writer.holds_own());

    let (jobs, mut queue) = mpsc::channel::<Job>(4);
    let mut batch = Vec::new();
    let idle = std::time::Duration::from_millis(100);
    // A handle still alive, nothing sent: the wait goes on past `idle`, and the connection
    // is closed meanwhile.
    let waited = tokio::time::timeout(
        idle * 3,
        next_jobs(&mut queue, &mut writer, &mut batch, idle),
    )
    .await;
    assert!(waited.is_err(), "no job came, so none is returned");
    assert!(!writer.holds_own(), "closed after {idle:?} idle");

    writer.begin().await.unwrap().commit().await.unwrap();
    assert!(writer.holds_own(), "opened again by the next batch");
    // Every handle gone: the applier's loop ends, its connection still open for `run` to close.
    drop(jobs);
    assert_eq!(
        next_jobs(&mut queue, &mut writer, &mut batch, idle).await,
        0
    );
    writer.close_own().await;
    shared.close().await;
}

/// The applier's runtime ends only once the tasks it started (a connection going back
/// to its pool) have finished, or after `SETTLE_WITHIN`.
#[tokio::test]
async fn the_applier_runtime_lets_its_last_tasks_finish() {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        flag.store(true, Ordering::SeqCst);
    });
    settle().await;
    assert!(done.load(Ordering::SeqCst));
    // A task that outlives the bound does not hold the runtime longer.
    tokio::spawn(std::future::pending::<()>());
    let started = std::time::Instant::now();
    settle().await;
    assert!(started.elapsed() < SETTLE_WITHIN * 3);
}
