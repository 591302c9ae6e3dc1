//! A SQLite pool that shrinks when the server idles. Each SQLite connection holds its own
//! page cache, prepared statements and worker thread, about 1.7 MB in all once a fan-out has
//! warmed it (BENCHMARKS.md, B6 memory). The pool's idle timeout alone does not close them:
//! the pool hands its idle connections out in turn, so the delivery worker's query every few
//! seconds keeps every one of them younger than the timeout.

use std::time::Duration;

use sqlx::SqlitePool;

/// How often the pool is looked at. After a burst of work its connections are closed, all
/// but `KEEP`, between one and two periods after the last query that overlapped with another.
const EVERY: Duration = Duration::from_secs(5);
/// The connections an idle server keeps: its periodic work (the delivery worker's turn with
/// the housekeeping beside it) often needs two at once; keeping one only, the pool opened a
/// second every few seconds, a thread and a file each time.
const KEEP: u32 = 2;

/// Watch `pool` until it is closed: when every connection it holds was idle at two looks in
/// a row, close all but `KEEP`. A connection in use is never taken; the pool opens new ones as
/// work needs them (for SQLite, a file opened on a new thread: well under a millisecond).
pub(super) fn shrink_when_idle(pool: &SqlitePool) {
    shrink_every(pool, EVERY, KEEP);
}

fn shrink_every(pool: &SqlitePool, every: Duration, keep: u32) {
    let pool = pool.clone();
    tokio::spawn(async move {
        let mut idle_before = false;
        loop {
            tokio::time::sleep(every).await;
            if pool.is_closed() {
                return;
            }
            let idle = pool.num_idle() == usize::try_from(pool.size()).unwrap_or(usize::MAX);
            if idle && idle_before {
                while pool.size() > keep {
                    // None: another task took the connection meanwhile, the pool is in use.
                    let Some(conn) = pool.try_acquire() else {
                        break;
                    };
                    if conn.close().await.is_err() {
                        break;
                    }
                }
            }
            idle_before = idle;
        }
    });
}

#[cfg(test)]
mod tests {
    use std::{str::FromStr, time::Instant};

    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    use super::*;

    async fn pool(dir: &tempfile::TempDir) -> SqlitePool {
        let options = SqliteConnectOptions::from_str("sqlite:t.db")
            .unwrap()
            .filename(dir.path().join("t.db"))
            .create_if_missing(true);
        SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .unwrap()
    }

    /// Four connections at work together, then none: the pool comes back to one, and opens
    /// more again when work needs them.
    #[tokio::test]
    async fn an_idle_pool_keeps_one_connection_and_a_busy_one_all() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&dir).await;
        shrink_every(&pool, Duration::from_millis(50), 1);
        // Held: the pool is in use, and stays at four however long the shrinker looks.
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(pool.acquire().await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(pool.size(), 4);
        drop(held);
        let since = Instant::now();
        while pool.size() > 1 && since.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(pool.size(), 1, "an idle pool keeps one connection");
        let mut again = Vec::new();
        for _ in 0..3 {
            again.push(pool.acquire().await.unwrap());
        }
        assert_eq!(pool.size(), 3);
        drop(again);
        pool.close().await;
    }
}
