//! The only place with SQL. One pool, SQLite or PostgreSQL; queries are written once in
//! portable SQL (`$1` parameters work on both) and run on whichever pool is configured.
//! Where the two dialects differ, both variants sit side by side in the aggregate's file.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    ConnectOptions, Connection, PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::config::DatabaseSettings;

pub mod accounts;
pub mod api_tokens;
pub mod archive;
pub mod audit;
pub mod blocks;
pub mod breakers;
pub mod bulk;
pub mod cosign;
pub mod deliveries;
pub mod delivery_leases;
pub mod delivery_outcomes;
pub mod delivery_reports;
pub mod delivery_retries;
mod files;
pub mod followers;
pub mod following;
mod idle;
pub mod ledger_heads;
pub mod local_actor;
pub mod moderation;
pub mod rate_windows;
pub mod read;
pub mod received;
pub mod relays;
pub mod remote_actors;
pub mod signatories;
pub mod statements;
pub mod states;
mod writer;

pub use writer::Writer;

/// Run the same query code on either backend: the body is type-checked once per backend, so
/// a type that one driver cannot decode is a compile error, not a run-time surprise.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The same for a transaction: `$conn` is the transaction's connection on either backend.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// A transaction on either backend. Repository functions take `&mut Tx<'_>` so that a local
/// change and the deliveries it causes commit together. `'c` is the connection's borrow:
/// `'static` for a transaction on a pooled connection (`Db::begin`), shorter for one on a
/// connection its owner keeps (the inbox's `Writer`).
#[derive(Debug)]
pub enum Tx<'c> {
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

impl Tx<'_> {
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Mark a point this transaction can come back to (several inbox activities applied
    /// in one transaction, each inside its own savepoint: docs/architecture.md).
    pub async fn savepoint(&mut self) -> Result<(), DbError> {
        self.run("SAVEPOINT one_activity").await
    }

    /// Keep what was done since the savepoint.
    pub async fn release(&mut self) -> Result<(), DbError> {
        self.run("RELEASE SAVEPOINT one_activity").await
    }

    /// Undo what was done since the savepoint, and forget it; the transaction goes on.
    pub async fn rollback_to(&mut self) -> Result<(), DbError> {
        self.run("ROLLBACK TO SAVEPOINT one_activity").await?;
        self.run("RELEASE SAVEPOINT one_activity").await
    }

    async fn run(&mut self, sql: &'static str) -> Result<(), DbError> {
        on_tx!(self, conn => {
            sqlx::query(sql).execute(conn).await?;
        });
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database: {0}")]
    Setup(String),
}

/// A pooled connection unused this long is closed, with its page and statement caches. On
/// SQLite, whose connections cost the server's own memory, `idle` also closes them when
/// the pool idles (BENCHMARKS.md, B6 memory).
pub(crate) const POOL_IDLE: Duration = Duration::from_secs(30);

/// Pages the SQLite log may hold before a commit copies it into the database itself (the
/// default is 1,000): reached only if `Db::checkpoint` does not run or cannot keep up.
const WAL_BACKSTOP_PAGES: u32 = 10_000;

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// How long closing the database waits for connections in use to come back: a transaction
/// still running then is rolled back when the process ends.
const CLOSE_WITHIN: Duration = Duration::from_secs(5);

impl Db {
    /// Open the database named by the settings, creating a SQLite file (and its folder) on
    /// first start, and apply pending migrations.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Db, DbError> {
        Db::connect_within(settings, Duration::from_secs(10)).await
    }

    /// `connect`, giving up on a connection after `wait` (a command says sooner than a
    /// server that the database is out of reach).
    pub async fn connect_within(
        settings: &DatabaseSettings,
        wait: Duration,
    ) -> Result<Db, DbError> {
        let db = if settings.url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(&settings.url)?
                .create_if_missing(true)
                // WAL lets readers run beside the writer; FULL makes each commit durable on
                // power loss too, not only on a process crash.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                // The log is copied into the database file by a task of its own after each
                // burst of writes (`checkpoint`), not by whichever commit finds it past 1,000
                // pages: that commit would wait for the copy and its fsync, and so would
                // every inbox activity in its batch (BENCHMARKS.md, B4). This is a backstop.
                .pragma("wal_autocheckpoint", WAL_BACKSTOP_PAGES.to_string())
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let file = options.get_filename();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                files::create_dir(dir)?;
            }
            if file != Path::new(":memory:") {
                files::private_files(file)?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections)
                // No ping before each use: a file's connection has no network to break, and
                // the ping is a round trip to the connection's thread on every query
                // (BENCHMARKS.md, B4).
                .test_before_acquire(false)
                .idle_timeout(POOL_IDLE)
                .acquire_timeout(wait)
                .connect_with(options)
                .await?;
            idle::shrink_when_idle(&pool);
            Db::Sqlite(pool)
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .idle_timeout(POOL_IDLE)
                .acquire_timeout(wait)
                .connect(&settings.url)
                .await?;
            Db::Postgres(pool)
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), DbError> {
        // On PostgreSQL sqlx holds an advisory lock while migrating, so several processes
        // starting together apply each migration once.
        match self {
            Db::Sqlite(pool) => {
                // On a connection of its own with foreign keys off: a migration that rebuilds
                // a table (SQLite's only way to change a constraint) drops it, and with
                // foreign keys on that drop would delete the rows that refer to it
                // (`ON DELETE CASCADE`). Every reference is checked once all have run.
                let options = (*pool.connect_options()).clone().foreign_keys(false);
                let mut conn = options.connect().await?;
                sqlx::migrate!("migrations/sqlite").run(&mut conn).await?;
                let broken: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
                    .fetch_all(&mut conn)
                    .await?;
                conn.close().await?;
                if let Some((table,)) = broken.first() {
                    return Err(DbError::Setup(format!(
                        "after the migrations, {} row(s) of {table} refer to missing rows",
                        broken.len()
                    )));
                }
            }
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub async fn begin(&self) -> Result<Tx<'static>, DbError> {
        Ok(match self {
            // IMMEDIATE takes the write lock at once: a deferred transaction that later writes
            // can fail with SQLITE_BUSY instead of waiting for the busy timeout.
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// SQLite: copy the write-ahead log into the database file as far as readers allow,
    /// without holding up the writer (a PASSIVE checkpoint). Returns the log's frames and
    /// those copied; `None` on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<Option<(i64, i64)>, DbError> {
        let Db::Sqlite(pool) = self else {
            return Ok(None);
        };
        let (_busy, log, copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(pool)
                .await?;
        Ok(Some((log, copied)))
    }

    /// The SQLite database's file, or `None` on PostgreSQL.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match self {
            Db::Sqlite(pool) => Some(pool.connect_options().get_filename().to_owned()),
            Db::Postgres(_) => None,
        }
    }

    /// Close every connection, waiting (at most `CLOSE_WITHIN`) for those in use to come
    /// back. sqlx 0.8's `Pool::close` may return while a connection in use is still on its
    /// way back, and that one then waits in the closed pool, open, until the pool is dropped
    /// (sqlx issue 3217): the server would return with its SQLite files open, and the log
    /// left behind. So the pool is closed again, which closes what has come back, until it
    /// holds nothing.
    pub async fn close(&self) {
        let until = tokio::time::Instant::now() + CLOSE_WITHIN;
        on_pool!(self, pool => loop {
            let _ = tokio::time::timeout_at(until, pool.close()).await;
            if pool.size() == 0 || tokio::time::Instant::now() >= until {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        })
    }
}

/// A fresh SQLite database in `dir`, migrated: for the tests of this crate's modules.
#[cfg(test)]
pub(crate) async fn sqlite_in(dir: &Path) -> Db {
    let settings = DatabaseSettings {
        url: format!("sqlite:{}", dir.join("t.db").display()),
        max_connections: 2,
    };
    Db::connect(&settings).await.unwrap()
}

/// When an error (as a chain of causes) comes from a database that cannot be reached, opened
/// or written, one sentence saying so and naming where the database is (`url`): a problem of
/// the environment, not of the command.
pub fn environment_problem<'a>(
    mut chain: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>,
    url: &str,
) -> Option<String> {
    let e = chain.find_map(|c| c.downcast_ref::<sqlx::Error>())?;
    if url.starts_with("sqlite:") {
        let file = SqliteConnectOptions::from_str(url)
            .ok()?
            .get_filename()
            .display()
            .to_string();
        let code = match e {
            sqlx::Error::Database(d) => d.code().and_then(|c| c.parse::<i32>().ok()),
            _ => None,
        };
        // SQLite's primary result codes: READONLY, IOERR, CANTOPEN, AUTH.
        match (e, code.map(|c| c & 0xff)) {
            (_, Some(8)) => Some(format!(
                "the SQLite database {file} is read-only: give this user write access to it and its folder"
            )),
            (_, Some(10 | 14 | 23)) | (sqlx::Error::Io(_), _) => Some(format!(
                "cannot open the SQLite database {file}: {}",
                e.as_database_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_owned())
            )),
            _ => None,
        }
    } else {
        let options = sqlx::postgres::PgConnectOptions::from_str(url).ok()?;
        let at = format!("{}:{}", options.get_host(), options.get_port());
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => Some(format!(
                "cannot reach PostgreSQL at {at}: is it running there, and is database.url right?"
            )),
            // Class 08 is a connection failure, 28 a refused authorisation, 3D000 a missing
            // database (PostgreSQL's error codes appendix).
            sqlx::Error::Database(d)
                if d.code().is_some_and(|c| {
                    c.starts_with("08") || c.starts_with("28") || c == "3D000"
                }) =>
            {
                Some(format!(
                    "PostgreSQL at {at} refuses the connection: {}",
                    d.message()
                ))
            }
            _ => None,
        }
    }
}

/// The database server's clock (read-only): PostgreSQL's `now()`; on SQLite, which runs in
/// this process, this machine's.
pub async fn server_clock(db: &Db) -> Result<chrono::DateTime<chrono::Utc>, DbError> {
    match db {
        Db::Sqlite(_) => Ok(chrono::Utc::now()),
        Db::Postgres(pool) => Ok(sqlx::query_scalar("SELECT now()").fetch_one(pool).await?),
    }
}

/// The database answers and every embedded migration is applied.
pub async fn ready(db: &Db) -> Result<(), DbError> {
    let (applied, expected): (i64, usize) = match db {
        Db::Sqlite(pool) => (
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?,
            sqlx::migrate!("migrations/sqlite").iter().count(),
        ),
        Db::Postgres(pool) => (
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?,
            sqlx::migrate!("migrations/postgres").iter().count(),
        ),
    };
    if usize::try_from(applied).unwrap_or(0) < expected {
        return Err(DbError::Setup(format!(
            "{applied} of {expected} migrations applied"
        )));
    }
    Ok(())
}

/// On PostgreSQL, LISTEN on the deliveries' channel and call `on_notify` for each NOTIFY,
/// reconnecting when the connection drops, until `stop` changes. Returns at once on SQLite.
pub async fn listen_for_notifications(
    db: &Db,
    mut stop: tokio::sync::watch::Receiver<bool>,
    on_notify: impl Fn(),
) {
    let Db::Postgres(pool) = db else { return };
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for deliveries; polling instead");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(deliveries::WAKEUP_CHANNEL).await {
            tracing::warn!(error = %e, "cannot LISTEN for deliveries; polling instead");
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        }
        loop {
            tokio::select! {
                n = listener.recv() => match n {
                    Ok(_) => on_notify(),
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN connection lost");
                        break;
                    }
                },
                _ = stop.changed() => return,
            }
        }
    }
}
