//! B2 (sustained delivery) and B3 (fan-out to 100,000 followers on 5,000 hosts), run against
//! the release binary in its own process, so that its CPU time and peak RSS are its own.
//!
//! Remote hosts are names under `.localhost` (tribune resolves them to loopback itself, RFC
//! 6761) on one sink port: the sink tells them apart by the `Host` header, can delay its
//! answers, and can be dead for chosen hosts (it accepts the connection and never answers).

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{extract::State, http::HeaderMap, http::StatusCode};
use serde_json::json;
use tokio::net::TcpListener;

use crate::{Run, cpu_ticks, proc_field};

pub const ADMIN_TOKEN: &str = "benchmark-admin-token-0123456789";

/// What the sink saw.
#[derive(Default)]
pub struct Sink {
    delay: Duration,
    /// Host numbers (`h{n}.localhost`) that never answer.
    dead: std::collections::HashSet<u32>,
    pub posts: AtomicU64,
    /// Connections accepted (counted by `start_sink_closing_idle` only).
    pub connections: AtomicU64,
    /// Each POST: the host number and when it arrived.
    arrivals: Mutex<Vec<(u32, Instant)>>,
    bytes: AtomicU64,
}

impl Sink {
    pub fn arrivals(&self) -> Vec<(u32, Instant)> {
        self.arrivals.lock().unwrap().clone()
    }
}

/// `h17.localhost:1234` → 17; any other host → u32::MAX.
fn host_number(headers: &HeaderMap) -> u32 {
    headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix('h'))
        .and_then(|h| h.split('.').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(u32::MAX)
}

async fn sink_post(
    State(sink): State<Arc<Sink>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let host = host_number(&headers);
    sink.posts.fetch_add(1, Ordering::Relaxed);
    sink.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    sink.arrivals.lock().unwrap().push((host, Instant::now()));
    if sink.dead.contains(&host) {
        std::future::pending::<()>().await;
    }
    if !sink.delay.is_zero() {
        tokio::time::sleep(sink.delay).await;
    }
    StatusCode::ACCEPTED
}

/// A sink answering 202 to every POST (after `delay`), on 127.0.0.1.
pub async fn start_sink(
    delay: Duration,
    dead: std::collections::HashSet<u32>,
) -> (SocketAddr, Arc<Sink>) {
    let sink = Arc::new(Sink {
        delay,
        dead,
        ..Default::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .fallback(axum::routing::post(sink_post))
        .with_state(sink.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, sink)
}

/// As `start_sink` (no dead hosts), over HTTP/1.1 only, closing a keep-alive connection once
/// it has waited `idle` for a next request, as common servers do on their own schedule
/// (docs/interop.md §7).
pub async fn start_sink_closing_idle(delay: Duration, idle: Duration) -> (SocketAddr, Arc<Sink>) {
    let sink = Arc::new(Sink {
        delay,
        ..Default::default()
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .fallback(axum::routing::post(sink_post))
        .with_state(sink.clone());
    let counted = sink.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.connections.fetch_add(1, Ordering::Relaxed);
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                // hyper's header read timer also runs while a kept-alive connection waits
                // for its next request: past `idle`, the connection is closed.
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(idle)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, sink)
}

/// A tribune server: the release binary, its own process, on a fresh SQLite database.
pub struct Child {
    pub child: std::process::Child,
    pub port: u16,
    pub _dir: tempfile::TempDir,
}

impl Child {
    pub fn base(&self) -> String {
        format!("http://localhost:{}", self.port)
    }
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The configuration file of a benchmark server.
fn config(dir: &Path, port: u16, extra: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://localhost:{port}\"\n\
         [database]\nurl = \"sqlite://{}/t.db\"\n\
         [federation]\nallow_private_addresses = true\n\
         [admin]\ntoken = \"{ADMIN_TOKEN}\"\n{extra}",
        dir.display()
    )
}

/// Create and migrate the database (and the key pair) in `dir`, let `seed` fill it, then
/// start the server on it and wait until it is ready.
pub async fn start_tribune<F, Fut>(extra: &str, seed: F) -> Child
where
    F: FnOnce(sqlx::SqlitePool) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = dir.path().join("tribune.toml");
    std::fs::write(&file, config(dir.path(), port, extra)).unwrap();
    let settings = crate::settings(&std::fs::read_to_string(&file).unwrap());
    let state = tribune::startup::open_state(settings).await.unwrap();
    let tribune::db::Db::Sqlite(pool) = state.db.clone() else {
        unreachable!("the benchmarks run on SQLite")
    };
    seed(pool.clone()).await;
    pool.close().await;
    drop(state);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tribune"))
        .args(["--config", file.to_str().unwrap(), "serve"])
        .current_dir(dir.path())
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let child = Child {
        child,
        port,
        _dir: dir,
    };
    let client = reqwest::Client::new();
    let ready = format!("http://127.0.0.1:{port}/readyz");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(&ready).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "tribune did not become ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child
}

/// Remote actors and accepted followers, inserted set-based: follower `i` lives on host
/// `h{i % hosts}.localhost:{port}`; with `shared`, all followers of a host share its
/// `/inbox`, otherwise each has its own inbox.
pub async fn seed_followers(pool: &sqlx::SqlitePool, n: u32, hosts: u32, port: u16, shared: bool) {
    let now = chrono::Utc::now();
    let sql = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $1), \
        a AS (SELECT i, 'h' || (i % $2) || '.localhost:' || $3 AS host FROM n) \
        INSERT INTO remote_actors (id, kind, preferred_username, name, host, inbox, shared_inbox, \
          icon_url, public_key_id, public_key_pem, document, fetched_at) \
        SELECT 'http://' || host || '/users/u' || i, 'Person', 'u' || i, NULL, host, \
          'http://' || host || '/users/u' || i || '/inbox', \
          CASE WHEN $4 THEN 'http://' || host || '/inbox' END, NULL, \
          'http://' || host || '/users/u' || i || '#main-key', '-', '{}', $5 FROM a";
    sqlx::query(sql)
        .bind(n)
        .bind(hosts)
        .bind(port)
        .bind(shared)
        .bind(now)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO followers (actor_id, follow_id, follow_json, state, created_at, updated_at) \
         SELECT id, id || '/follow', '{}', 'accepted', $1, $1 FROM remote_actors",
    )
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
}

/// A statement whose Create is about `bytes` long.
pub fn statement_source(slug: &str, bytes: usize) -> String {
    let words = "La coalition demande une loi juste et des droits pour toutes et tous. ";
    let text: String = words.chars().cycle().take(bytes / 4).collect();
    format!(
        "+++\nslug = \"{slug}\"\n[title]\nfr = \"Déclaration\"\nen = \"Statement\"\n+++\n\
         ::: fr\n{text}\n::: en\n{text}\n"
    )
}

/// Publish through the admin API; returns the round trip (the fan-out is queued in the
/// request's transaction) and the number of inboxes queued.
pub async fn publish(base: &str, source: String) -> (Duration, u64) {
    let client = reqwest::Client::new();
    let t = Instant::now();
    let res = client
        .post(format!("{base}/api/admin/statements"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/plain")
        .body(source)
        .send()
        .await
        .unwrap();
    let took = t.elapsed();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let body: serde_json::Value = res.json().await.unwrap();
    let inboxes = body["activities"][0]["inboxes"].as_u64().unwrap();
    (took, inboxes)
}

/// B2: deliveries a second to a sink that answers at once, each a ~2 KB Create signed
/// afresh, and the server's CPU time per delivery.
pub async fn b2_sustained(run: &mut Run, sign_rate: f64) -> f64 {
    let n: u32 = if run.quick { 1_000 } else { 20_000 };
    let hosts = 64;
    let (sink_addr, sink) = start_sink(Duration::ZERO, Default::default()).await;
    let port = sink_addr.port();
    let server = start_tribune(
        "[delivery]\nconcurrency = 512\nper_host_concurrency = 8\n",
        |pool| async move { seed_followers(&pool, n, hosts, port, false).await },
    )
    .await;
    let ticks_before = cpu_ticks(server.pid()).unwrap();
    let t = Instant::now();
    let (_, queued) = publish(&server.base(), statement_source("b2", 2048)).await;
    assert_eq!(queued, u64::from(n));
    let deadline = t + Duration::from_secs(300);
    while sink.posts.load(Ordering::Relaxed) < u64::from(n) {
        assert!(Instant::now() < deadline, "B2 did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = t.elapsed().as_secs_f64();
    let ticks = cpu_ticks(server.pid()).unwrap() - ticks_before;
    let rate = f64::from(n) / elapsed;
    let cpu_us = ticks as f64 * 10_000.0 / f64::from(n);
    let body_bytes = sink.bytes.load(Ordering::Relaxed) / sink.posts.load(Ordering::Relaxed);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get()) as f64;
    let ceiling = cores * sign_rate;
    run.record(
        "B2 sustained delivery",
        format!("{rate:.0}/s ({n} × {body_bytes} B), {cpu_us:.0} µs CPU each"),
        format!(
            "{:.2}× cores × sign rate ({ceiling:.0}/s), goal ≥ 0.8",
            rate / ceiling
        ),
        json!({"per_second": rate, "deliveries": n, "body_bytes": body_bytes,
               "cpu_us_per_delivery": cpu_us, "ratio_to_sign_ceiling": rate / ceiling}),
    );
    rate
}

/// The figures of one B3 run.
pub struct FanOut {
    pub enqueue: Duration,
    pub p99: Option<Duration>,
    pub all: Option<Duration>,
    pub posts: u64,
    pub live_reached: usize,
    pub live: usize,
    pub after_breaker_open: u64,
    pub peak_rss_kib: u64,
    /// The server's CPU from the publish to the last live inbox reached, per inbox reached.
    pub cpu_us: f64,
}

/// B3: one statement to `followers` followers spread over `hosts` shared inboxes, each
/// answer delayed 100 ms; `dead_share` of the hosts never answer.
pub async fn b3_run(followers: u32, hosts: u32, dead_share: f64) -> FanOut {
    // Every k-th host is dead, so that the dead are spread over the queue.
    let dead: std::collections::HashSet<u32> = if dead_share > 0.0 {
        let k = (1.0 / dead_share).round() as u32;
        (0..hosts).filter(|h| h % k == 0).collect()
    } else {
        Default::default()
    };
    let (sink_addr, sink) = start_sink(Duration::from_millis(100), dead.clone()).await;
    let port = sink_addr.port();
    let server = start_tribune("", |pool| async move {
        seed_followers(&pool, followers, hosts, port, true).await
    })
    .await;
    let ticks = cpu_ticks(server.pid()).unwrap();
    let t = Instant::now();
    let (enqueue, queued) = publish(&server.base(), statement_source("b3", 2048)).await;
    assert_eq!(queued, u64::from(hosts));
    let live = (hosts as usize) - dead.len();
    let p99_target = (live * 99).div_ceil(100);
    let deadline = t + Duration::from_secs(60);
    let mut first: HashMap<u32, Instant> = HashMap::new();
    let mut peak_rss_kib = 0;
    loop {
        for (h, at) in sink.arrivals() {
            if !dead.contains(&h) {
                first.entry(h).or_insert(at);
            }
        }
        peak_rss_kib = peak_rss_kib.max(proc_field(server.pid(), "status", "VmHWM:").unwrap_or(0));
        if first.len() >= live || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ticks = cpu_ticks(server.pid()).unwrap() - ticks;
    let mut times: Vec<Duration> = first.values().map(|at| at.duration_since(t)).collect();
    times.sort();
    let arrivals = sink.arrivals();
    let mut per_dead: HashMap<u32, u64> = HashMap::new();
    for (h, _) in &arrivals {
        if dead.contains(h) {
            *per_dead.entry(*h).or_default() += 1;
        }
    }
    // The breaker opens after `delivery.breaker_failures` (default 10) failures in a row.
    let after_breaker_open = per_dead.values().map(|n| n.saturating_sub(10)).sum();
    FanOut {
        enqueue,
        p99: times
            .get(p99_target.saturating_sub(1))
            .copied()
            .filter(|_| times.len() >= p99_target),
        all: (times.len() >= live).then(|| times[live - 1]),
        posts: sink.posts.load(Ordering::Relaxed),
        live_reached: times.len(),
        live,
        after_breaker_open,
        peak_rss_kib,
        cpu_us: ticks as f64 * 10_000.0 / first.len().max(1) as f64,
    }
}

pub fn secs(d: Option<Duration>) -> String {
    d.map_or("not reached".into(), |d| {
        format!("{:.2} s", d.as_secs_f64())
    })
}

/// Returns the clean run's CPU per delivery (B8's reference).
pub async fn b3_fan_out(run: &mut Run) -> f64 {
    let (followers, hosts) = if run.quick {
        (5_000, 250)
    } else {
        (100_000, 5_000)
    };
    let clean = b3_run(followers, hosts, 0.0).await;
    run.record(
        "B3 fan-out, enqueue",
        format!(
            "{:.1} ms ({followers} followers, {hosts} inboxes)",
            clean.enqueue.as_secs_f64() * 1e3
        ),
        "goal ≤ 50 ms".into(),
        json!({"ms": clean.enqueue.as_secs_f64() * 1e3, "followers": followers, "inboxes": hosts}),
    );
    run.record(
        "B3 fan-out, live inboxes reached",
        format!("99% {}, all {}", secs(clean.p99), secs(clean.all)),
        "goal 99% ≤ 5 s, all ≤ 8 s".into(),
        json!({"p99_s": clean.p99.map(|d| d.as_secs_f64()), "all_s": clean.all.map(|d| d.as_secs_f64()),
               "reached": clean.live_reached, "live": clean.live}),
    );
    run.record(
        "B3 fan-out, server CPU per delivery",
        format!("{:.0} µs", clean.cpu_us),
        "B8's reference".into(),
        json!({"cpu_us_per_delivery": clean.cpu_us}),
    );
    run.record(
        "B3 fan-out, POSTs",
        format!("{}", clean.posts),
        format!("goal exactly {hosts}"),
        json!({"posts": clean.posts}),
    );
    let dead = b3_run(followers, hosts, 0.25).await;
    let ratio = match (dead.all, clean.all) {
        (Some(d), Some(c)) => Some(d.as_secs_f64() / c.as_secs_f64()),
        _ => None,
    };
    run.record(
        "B3 fan-out, 25% of hosts dead",
        format!(
            "live: 99% {}, all {} ({} of {}); {} POSTs, {} after a breaker opened",
            secs(dead.p99),
            secs(dead.all),
            dead.live_reached,
            dead.live,
            dead.posts,
            dead.after_breaker_open
        ),
        format!(
            "{}× the clean run, goal ≤ 1.25",
            ratio.map_or("—".into(), |r| format!("{r:.2}"))
        ),
        json!({"p99_s": dead.p99.map(|d| d.as_secs_f64()), "all_s": dead.all.map(|d| d.as_secs_f64()),
               "posts": dead.posts, "after_breaker_open": dead.after_breaker_open,
               "ratio_to_clean": ratio, "enqueue_ms": dead.enqueue.as_secs_f64() * 1e3}),
    );
    let peak = clean.peak_rss_kib.max(dead.peak_rss_kib);
    run.record(
        "B6 peak RSS during B3",
        format!("{:.1} MB", peak as f64 / 1024.0),
        "goal ≤ 150 MB".into(),
        json!({"kib": peak}),
    );
    clean.cpu_us
}
