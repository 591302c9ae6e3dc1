//! The inbox's writer: on SQLite, a connection of its own that its owner (the inbox's
//! applier) keeps from one transaction to the next.
//!
//! Its page cache stays valid from one transaction to the next as long as nobody else writes,
//! and it never waits for the shared pool's connections, taken by reads (BENCHMARKS.md, B4:
//! the inbox's own connection). Kept outside any pool: a pooled connection going back to its
//! pool is pinged on the way (sqlx 0.8 does so whatever the pool's settings), one more round
//! trip to SQLite's thread for every batch (BENCHMARKS.md, B4: a batch's time, step by step).
//!
//! Opened by the first transaction, not at start; closed by its owner once the inbox has
//! idled for `POOL_IDLE` (`close_own`), as the pools close theirs. On PostgreSQL, where a
//! connection costs a server process, the writer is the shared pool.

use sqlx::{ConnectOptions, Connection, SqliteConnection, sqlite::SqliteConnectOptions};

use super::{Db, DbError, Tx};

pub struct Writer {
    shared: Db,
    own: Option<Own>,
}

struct Own {
    options: SqliteConnectOptions,
    conn: Option<SqliteConnection>,
    /// A transaction could not begin on `conn`: it is closed before the next one, which
    /// opens a new connection.
    broken: bool,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("backend", &self.shared.backend())
            .field("holds_own", &self.holds_own())
            .finish()
    }
}

impl Db {
    /// The writer of a component that has the database to itself most of the time (the
    /// inbox's applier): a connection of its own on SQLite, this pool on PostgreSQL.
    pub fn writer(&self) -> Writer {
        let own = match self {
            Db::Sqlite(pool) => Some(Own {
                options: (*pool.connect_options()).clone(),
                conn: None,
                broken: false,
            }),
            Db::Postgres(_) => None,
        };
        Writer {
            shared: self.clone(),
            own,
        }
    }
}

impl Writer {
    /// Begin a transaction on the writer's own connection, opening it if it is closed. While
    /// it cannot be opened (no file descriptor left, say), on the shared pool, so that the
    /// inbox goes on.
    pub async fn begin(&mut self) -> Result<Tx<'_>, DbError> {
        let Some(own) = self.own.as_mut() else {
            return self.shared.begin().await;
        };
        if own.broken {
            own.broken = false;
            if let Some(conn) = own.conn.take() {
                let _ = conn.close().await;
            }
        }
        if own.conn.is_none() {
            match own.options.connect().await {
                Ok(conn) => own.conn = Some(conn),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open the inbox's own connection; using the shared pool");
                    return self.shared.begin().await;
                }
            }
        }
        let Some(conn) = own.conn.as_mut() else {
            return self.shared.begin().await;
        };
        // IMMEDIATE, as `Db::begin` does: the write lock at once.
        match conn.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => Ok(Tx::Sqlite(tx)),
            Err(e) => {
                own.broken = true;
                Err(e.into())
            }
        }
    }

    /// `Db::checkpoint`, on the writer's own connection when it is open.
    pub async fn checkpoint(&mut self) -> Result<Option<(i64, i64)>, DbError> {
        let Some(conn) = self.own.as_mut().and_then(|own| own.conn.as_mut()) else {
            return self.shared.checkpoint().await;
        };
        let (_busy, log, copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(conn)
                .await?;
        Ok(Some((log, copied)))
    }

    /// The writer's own connection is open.
    pub fn holds_own(&self) -> bool {
        self.own.as_ref().is_some_and(|own| own.conn.is_some())
    }

    /// Close the writer's own connection, with its page cache and thread; the next
    /// transaction opens it again.
    pub async fn close_own(&mut self) {
        if let Some(conn) = self.own.as_mut().and_then(|own| own.conn.take())
            && let Err(e) = conn.close().await
        {
            tracing::warn!(error = %e, "closing the inbox's own connection");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn count(tx: &mut Tx<'_>) -> i64 {
        super::super::on_tx!(tx, conn => sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(conn)
            .await
            .unwrap())
    }

    /// While its own connection can be opened, the writer's transactions run on it, and it
    /// stays open between them; while it cannot, on the shared pool.
    #[tokio::test]
    async fn a_writer_keeps_its_connection_and_falls_back_on_the_shared_pool() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("data");
        let shared = super::super::sqlite_in(&sub).await;
        let mut writer = shared.writer();
        assert!(
            !writer.holds_own(),
            "opened by the first transaction, not before"
        );
        for _ in 0..2 {
            let mut tx = writer.begin().await.unwrap();
            assert!(count(&mut tx).await > 0);
            tx.commit().await.unwrap();
            assert!(writer.holds_own());
        }
        assert!(writer.checkpoint().await.unwrap().is_some());
        writer.close_own().await;
        assert!(!writer.holds_own());

        // A connection that cannot open: its file is in a folder that does not exist.
        if let Some(own) = writer.own.as_mut() {
            own.options = own
                .options
                .clone()
                .filename(dir.path().join("gone").join("t.db"));
        }
        let mut tx = writer.begin().await.unwrap();
        assert!(count(&mut tx).await > 0, "the shared pool answers");
        drop(tx);
        assert!(!writer.holds_own());
        shared.close().await;
    }

    /// The page cache's size set on the writer's own connection.
    async fn cache_size(writer: &mut Writer) -> i64 {
        let conn = writer
            .own
            .as_mut()
            .and_then(|own| own.conn.as_mut())
            .unwrap();
        sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    /// A connection on which a transaction cannot begin (here the write lock is held
    /// elsewhere, and it waits for nothing) is closed, and the next transaction opens a new
    /// one: a setting of the first connection is gone.
    #[tokio::test]
    async fn a_writer_opens_a_new_connection_after_one_could_not_begin() {
        let dir = tempfile::tempdir().unwrap();
        let shared = super::super::sqlite_in(dir.path()).await;
        let mut writer = shared.writer();
        if let Some(own) = writer.own.as_mut() {
            own.options = own.options.clone().busy_timeout(std::time::Duration::ZERO);
        }
        let tx = writer.begin().await.unwrap();
        tx.commit().await.unwrap();
        sqlx::query("PRAGMA cache_size = 1234")
            .execute(
                writer
                    .own
                    .as_mut()
                    .and_then(|own| own.conn.as_mut())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(cache_size(&mut writer).await, 1234);

        let elsewhere = shared.begin().await.unwrap();
        assert!(
            writer.begin().await.is_err(),
            "the write lock is held elsewhere"
        );
        elsewhere.commit().await.unwrap();
        let tx = writer.begin().await.unwrap();
        tx.commit().await.unwrap();
        assert_ne!(cache_size(&mut writer).await, 1234, "a new connection");
        writer.close_own().await;
        shared.close().await;
    }
}
