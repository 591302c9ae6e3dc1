//! The applier's choice of connection and its runtime's end.

use super::*;

/// While the inbox's own connection can be opened, batches write through it; once it
/// cannot (here its database's directory is gone), through the shared pool.
#[tokio::test]
async fn a_batch_writes_through_the_shared_pool_when_its_own_connection_cannot_open() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("data");
    let settings = crate::config::DatabaseSettings {
        url: format!("sqlite:{}", sub.join("t.db").display()),
        max_connections: 2,
    };
    let shared = Db::connect(&settings).await.unwrap();
    let own = shared.own_writer().unwrap();
    assert!(std::ptr::eq(writer(Some(&own), &shared).await, &own));
    assert!(std::ptr::eq(writer(None, &shared).await, &shared));
    own.close().await;

    let own = shared.own_writer().unwrap();
    std::fs::remove_dir_all(&sub).unwrap();
    assert!(std::ptr::eq(writer(Some(&own), &shared).await, &shared));
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
