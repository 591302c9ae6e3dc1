//! The PostgreSQL variant of `delivery::start_tribune`: a database of its own on a local
//! server, migrated by `open_state`, seeded set-based, then several `serve` processes on it,
//! each on its own port with the same configuration otherwise (docs/deploy/README.md,
//! "Several processes on one PostgreSQL"). The server is `DATABASE_URL` when it names a
//! PostgreSQL database (as for the tests), else `postgres://postgres@127.0.0.1:5432/postgres`.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use sqlx::Connection;

use crate::{
    cpu_ticks,
    delivery::{ADMIN_TOKEN, free_port},
};

pub fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of its own, dropped (with its connections) with this value.
pub struct PgDb {
    admin: String,
    pub name: String,
    pub url: String,
}

impl PgDb {
    /// An error when the server cannot be reached within 3 s.
    pub async fn create(admin: &str) -> Result<PgDb, sqlx::Error> {
        let wait = Duration::from_secs(3);
        let mut conn = tokio::time::timeout(wait, sqlx::PgConnection::connect(admin))
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        let name = format!(
            "tribune_bench_{}_{}",
            std::process::id(),
            rand::random::<u32>()
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        let mut url = url::Url::parse(admin).unwrap();
        url.set_path(&format!("/{name}"));
        Ok(PgDb {
            admin: admin.to_owned(),
            name,
            url: url.to_string(),
        })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Dropped inside the benchmark's runtime: on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
            })
        })
        .join();
    }
}

/// A `serve` process, killed when dropped.
pub struct Serve(pub std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Migrate `db` and make the key pair (`open_state`), let `seed` fill it, then start
/// `processes` servers on it and wait until each is ready. Their public URL is the first
/// one's. Returns the servers and their ports; `dir` holds the configuration.
pub async fn start<F, Fut>(
    db: &PgDb,
    dir: &std::path::Path,
    processes: usize,
    seed: F,
) -> (Vec<Serve>, Vec<u16>)
where
    F: FnOnce(sqlx::PgPool) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let ports: Vec<u16> = (0..processes).map(|_| free_port()).collect();
    let file = dir.join("tribune.toml");
    // `server.listen` is given to each process in its environment.
    let toml = format!(
        "[server]\npublic_url = \"http://localhost:{}\"\n[database]\nurl = \"{}\"\n\
         [federation]\nallow_private_addresses = true\n[admin]\ntoken = \"{ADMIN_TOKEN}\"\n\
         [metrics]\nenabled = true\n",
        ports[0], db.url
    );
    std::fs::write(&file, &toml).unwrap();
    let state = tribune::startup::open_state(crate::settings(&toml))
        .await
        .unwrap();
    let tribune::db::Db::Postgres(pool) = state.db.clone() else {
        unreachable!("a PostgreSQL URL opens PostgreSQL")
    };
    seed(pool.clone()).await;
    pool.close().await;
    drop(state);
    let servers: Vec<Serve> = ports
        .iter()
        .map(|port| {
            Serve(
                std::process::Command::new(env!("CARGO_BIN_EXE_tribune"))
                    .args(["--config", file.to_str().unwrap(), "serve"])
                    .current_dir(dir)
                    .env("TRIBUNE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
                    // Errors, and a process's delivery heartbeat lapsing: the rows it was
                    // sending may then be claimed and sent by another (B8's extra POSTs).
                    .env("RUST_LOG", "error,tribune::transport::delivery::owner=warn")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::inherit())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    for port in &ports {
        let ready = format!("http://127.0.0.1:{port}/readyz");
        while !client
            .get(&ready)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "tribune did not become ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    (servers, ports)
}

/// Remote actors and accepted followers, set-based: follower `i` on `i{i % instances}
/// .localhost:{port}`, whose shared inbox is its instance's `/inbox`. Triggers are off for
/// the session: migration 0007's copy of the delivery inbox is written here directly.
pub async fn seed_followers(pool: &sqlx::PgPool, followers: u32, instances: u32, port: u16) {
    let mut conn = pool.acquire().await.unwrap();
    let now = chrono::Utc::now();
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO remote_actors (id, kind, preferred_username, name, host, inbox, \
           shared_inbox, icon_url, public_key_id, public_key_pem, document, fetched_at) \
         SELECT 'http://' || h || '/users/u' || i, 'Person', 'u' || i, NULL, h, \
           'http://' || h || '/users/u' || i || '/inbox', 'http://' || h || '/inbox', NULL, \
           'http://' || h || '/users/u' || i || '#main-key', '-', '{}', $3 \
         FROM (SELECT i, 'i' || (i % $2) || '.localhost:' || $4 AS h \
               FROM generate_series(0, $1 - 1) AS i) a",
    )
    .bind(i64::from(followers))
    .bind(i64::from(instances))
    .bind(now)
    .bind(port.to_string())
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO followers (actor_id, follow_id, follow_json, state, created_at, \
           updated_at, delivery_inbox, delivery_host) \
         SELECT id, id || '/follow', '{}', 'accepted', $1, $1, shared_inbox, host \
         FROM remote_actors",
    )
    .bind(now)
    .execute(&mut *conn)
    .await
    .unwrap();
    // Then, as tables that have lived a while: statistics, and a visibility map for the
    // fan-out's index-only scan.
    for sql in [
        "RESET session_replication_role",
        "VACUUM (ANALYZE) remote_actors, followers",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.unwrap();
    }
}

/// CPU ticks of PostgreSQL's processes, by pid: whether each serves `db`, and its ticks.
pub fn postgres_ticks(db: &str) -> HashMap<u32, (bool, u64)> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse().ok()) else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() != "postgres" {
            continue;
        }
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if let Some(t) = cpu_ticks(pid) {
            out.insert(pid, (cmdline.contains(db), t));
        }
    }
    out
}

/// Ticks used since `before` by PostgreSQL's processes as last seen in `last` (one that
/// started meanwhile counts from 0): (those serving the database, the whole server).
pub fn postgres_used(
    before: &HashMap<u32, (bool, u64)>,
    last: &HashMap<u32, (bool, u64)>,
) -> (u64, u64) {
    let (mut ours, mut all) = (0, 0);
    for (pid, (mine, t)) in last {
        let used = t.saturating_sub(before.get(pid).map_or(0, |b| b.1));
        all += used;
        if *mine {
            ours += used;
        }
    }
    (ours, all)
}

/// A counter of each process's `/metrics` (0 where it cannot be read).
pub async fn scraped(ports: &[u16], name: &str) -> Vec<u64> {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut out = Vec::new();
    for port in ports {
        let text = match client
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
        {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        out.push(value as u64);
    }
    out
}

/// PostgreSQL's counters for the `deliveries` table: index scans, index entries read, rows
/// updated, and the due index's scans and entries read (each backend reports them at the
/// latest when it exits).
pub async fn delivery_counters(url: &str) -> [i64; 5] {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let sql = "SELECT COALESCE(t.idx_scan, 0), COALESCE(t.idx_tup_fetch, 0), t.n_tup_upd, \
               COALESCE(i.idx_scan, 0), COALESCE(i.idx_tup_read, 0) \
               FROM pg_stat_user_tables t JOIN pg_stat_user_indexes i ON i.relid = t.relid \
               WHERE t.relname = 'deliveries' AND i.indexrelname = 'deliveries_due'";
    let row: (i64, i64, i64, i64, i64) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
    [row.0, row.1, row.2, row.3, row.4]
}
