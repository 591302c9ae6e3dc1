//! B8: towards a large coalition. Three `serve` processes on one PostgreSQL database
//! (docs/deploy/README.md, "Several processes on one PostgreSQL"), 1,000,000 followers on
//! 50,000 instances (`--quick`: 100,000 on 5,000), 20 followers an instance sharing its inbox.
//! Instances are names under `.localhost` on one sink port, as in B3, each answer after
//! 100 ms. One statement is published through the first process's admin API.
//!
//! Figures: the enqueue time (the admin API's round trip: the fan-out is queued in the
//! request's transaction), the time until the sink has seen 99% and all of the instances,
//! the three processes' CPU per delivery (utime + stime from `/proc`), with PostgreSQL's and
//! the sink's beside it, and each process's peak RSS (`VmHWM`). The floor is one signature
//! per instance at B1's sign rate on every core.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{extract::State, http::HeaderMap, http::StatusCode};
use serde_json::json;
use tokio::net::TcpListener;

use crate::{
    Run, cpu_ticks,
    delivery::{b3_run, publish, secs, statement_source},
    postgres::{
        PgDb, admin_url, delivery_counters, postgres_ticks, postgres_used, scraped, seed_followers,
        start,
    },
    proc_field,
};

const FOLLOWERS_PER_INSTANCE: u32 = 20;
const PROCESSES: usize = 3;
/// The sink's answer delay, as B3's.
const DELAY: Duration = Duration::from_millis(100);

/// What the sink saw: when each instance (`i{n}.localhost`) was first reached, in
/// nanoseconds since `start` plus one (0: not yet).
struct Sink {
    start: Instant,
    first: Vec<AtomicU64>,
    reached: AtomicU64,
    posts: AtomicU64,
}

async fn sink_post(State(sink): State<Arc<Sink>>, headers: HeaderMap) -> StatusCode {
    sink.posts.fetch_add(1, Ordering::Relaxed);
    let n: Option<usize> = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix('i'))
        .and_then(|h| h.split('.').next())
        .and_then(|n| n.parse().ok());
    if let Some(slot) = n.and_then(|n| sink.first.get(n)) {
        let at = sink.start.elapsed().as_nanos() as u64 + 1;
        if slot
            .compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            sink.reached.fetch_add(1, Ordering::Relaxed);
        }
    }
    tokio::time::sleep(DELAY).await;
    StatusCode::ACCEPTED
}

async fn start_sink(instances: u32) -> (u16, Arc<Sink>) {
    let sink = Arc::new(Sink {
        start: Instant::now(),
        first: (0..instances).map(|_| AtomicU64::new(0)).collect(),
        reached: AtomicU64::new(0),
        posts: AtomicU64::new(0),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .fallback(axum::routing::post(sink_post))
        .with_state(sink.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, sink)
}

pub async fn b8_large(run: &mut Run, sign_rate: f64, b3_cpu_us: Option<f64>) {
    let (followers, instances) = if run.quick {
        (100_000, 5_000)
    } else {
        (1_000_000, 50_000)
    };
    assert_eq!(followers, instances * FOLLOWERS_PER_INSTANCE);
    let admin = admin_url();
    let db = match PgDb::create(&admin).await {
        Ok(db) => db,
        Err(e) => {
            run.record(
                "B8 large coalition on PostgreSQL",
                "skipped".into(),
                format!("PostgreSQL not reachable at {admin}: {e}"),
                json!({"skipped": e.to_string()}),
            );
            return;
        }
    };
    // B3's CPU per delivery, from this run, or measured now on B3's clean run alone.
    let b3_cpu_us = match b3_cpu_us {
        Some(c) => c,
        None => {
            let (f, h) = if run.quick {
                (5_000, 250)
            } else {
                (100_000, 5_000)
            };
            let c = b3_run(f, h, 0.0).await.cpu_us;
            run.record(
                "B8 reference: B3's clean fan-out CPU",
                format!("{c:.0} µs per delivery ({h} inboxes)"),
                "one SQLite process".into(),
                json!({"cpu_us_per_delivery": c, "inboxes": h}),
            );
            c
        }
    };

    let (sink_port, sink) = start_sink(instances).await;
    let dir = tempfile::tempdir().unwrap();
    let seeding = Instant::now();
    let (servers, ports) = start(&db, dir.path(), PROCESSES, |pool| async move {
        seed_followers(&pool, followers, instances, sink_port).await;
        println!(
            "  (B8: {followers} followers on {instances} instances migrated and seeded in {:.1} s)",
            seeding.elapsed().as_secs_f64()
        );
    })
    .await;
    let pids: Vec<u32> = servers.iter().map(|s| s.0.id()).collect();
    let me = std::process::id();
    let ticks_before: Vec<u64> = pids.iter().map(|p| cpu_ticks(*p).unwrap()).collect();
    let my_ticks = cpu_ticks(me).unwrap();
    let pg_before = postgres_ticks(&db.name);
    let counters_before = delivery_counters(&db.url).await;

    let t = Instant::now();
    let t_sink = t.duration_since(sink.start);
    let base = format!("http://localhost:{}", ports[0]);
    let (enqueue, queued) = publish(&base, statement_source("b8", 2048)).await;
    assert_eq!(queued, u64::from(instances));
    let target = u64::from(instances);
    let deadline = t + Duration::from_secs(if run.quick { 180 } else { 900 });
    let mut pg_last = postgres_ticks(&db.name);
    let mut timeline = Vec::new();
    let mut next_second = t + Duration::from_secs(1);
    loop {
        let reached = sink.reached.load(Ordering::Relaxed);
        if Instant::now() >= next_second {
            timeline.push(reached);
            next_second += Duration::from_secs(1);
            for (pid, v) in postgres_ticks(&db.name) {
                pg_last.insert(pid, v);
            }
        }
        if reached >= target || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = t.elapsed();
    let ticks: Vec<u64> = pids
        .iter()
        .zip(&ticks_before)
        .map(|(p, b)| cpu_ticks(*p).unwrap_or(*b) - b)
        .collect();
    let my_ticks = cpu_ticks(me).unwrap() - my_ticks;
    for (pid, v) in postgres_ticks(&db.name) {
        pg_last.insert(pid, v);
    }
    let (pg_ours, pg_all) = postgres_used(&pg_before, &pg_last);
    // A copy sent twice by two processes would come within the answer delay.
    tokio::time::sleep(DELAY * 5).await;
    let posts = sink.posts.load(Ordering::Relaxed);
    // Requests sent again at once after a reused connection closed before any answer: the
    // sink may have counted the first (one candidate for POSTs beyond one an instance).
    let resent = scraped(&ports, "tribune_deliveries_resent_at_once_total ").await;
    let rss_kib: Vec<u64> = pids
        .iter()
        .map(|p| proc_field(*p, "status", "VmHWM:").unwrap_or(0))
        .collect();
    drop(servers);
    // The servers' backends have reported their counters on leaving.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counters = delivery_counters(&db.url).await;
    let [idx_scans, idx_rows, updated, due_scans, due_rows] =
        std::array::from_fn(|i| counters[i] - counters_before[i]);
    drop(db);

    let mut times: Vec<Duration> = sink
        .first
        .iter()
        .map(|a| a.load(Ordering::Relaxed))
        .filter(|n| *n > 0)
        .map(|n| Duration::from_nanos(n - 1).saturating_sub(t_sink))
        .collect();
    times.sort();
    let n = instances as usize;
    let p99 = times.get((n * 99).div_ceil(100) - 1).copied();
    let all = (times.len() >= n).then(|| times[n - 1]);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let floor = f64::from(instances) / (cores as f64 * sign_rate);
    let goal_all = (3.0 * floor).max(60.0);
    let per = |ticks: u64| ticks as f64 * 10_000.0 / f64::from(instances);
    let cpu_us = per(ticks.iter().sum());
    let cpu_s: Vec<String> = ticks
        .iter()
        .map(|t| format!("{:.1}", *t as f64 / 100.0))
        .collect();

    run.record(
        "B8 enqueue (admin API round trip)",
        format!(
            "{:.2} s ({followers} followers, {instances} inboxes)",
            enqueue.as_secs_f64()
        ),
        "goal ≤ 10 s".into(),
        json!({"s": enqueue.as_secs_f64(), "followers": followers, "inboxes": instances}),
    );
    run.record(
        "B8 instances reached, three processes",
        format!(
            "99% {}, all {} ({} of {instances})",
            secs(p99),
            secs(all),
            times.len()
        ),
        format!(
            "floor {floor:.1} s ({instances} signatures at {sign_rate:.0}/s on {cores} cores), \
             goal all ≤ {goal_all:.0} s{}",
            all.map_or(String::new(), |a| format!(
                ": {:.2}× the floor",
                a.as_secs_f64() / floor
            ))
        ),
        json!({"p99_s": p99.map(|d| d.as_secs_f64()), "all_s": all.map(|d| d.as_secs_f64()),
               "reached": times.len(), "instances": instances, "floor_s": floor,
               "goal_s": goal_all, "reached_each_second": timeline}),
    );
    run.record(
        "B8 POSTs",
        format!(
            "{posts}; {} sent again at once after a closed connection ({})",
            resent.iter().sum::<u64>(),
            resent
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        format!("goal exactly {instances}"),
        json!({"posts": posts, "resent_at_once": resent}),
    );
    run.record(
        "B8 CPU per delivery, three processes",
        format!(
            "{cpu_us:.0} µs ({} s each); PostgreSQL {:.0} µs ({:.0} µs cluster), sink {:.0} µs",
            cpu_s.join(" / "),
            per(pg_ours),
            per(pg_all),
            per(my_ticks)
        ),
        format!(
            "{:.2}× B3's ({b3_cpu_us:.0} µs), goal ≤ 2; over {:.1} s",
            cpu_us / b3_cpu_us,
            elapsed.as_secs_f64()
        ),
        json!({"cpu_us_per_delivery": cpu_us, "cpu_s_each": ticks.iter().map(|t| *t as f64 / 100.0).collect::<Vec<_>>(),
               "postgres_us": per(pg_ours), "postgres_cluster_us": per(pg_all),
               "bench_process_us": per(my_ticks), "b3_us": b3_cpu_us,
               "ratio_to_b3": cpu_us / b3_cpu_us, "window_s": elapsed.as_secs_f64()}),
    );
    let each = |n: i64| n as f64 / f64::from(instances);
    run.record(
        "B8 PostgreSQL's work on deliveries",
        format!(
            "due index: {due_scans} scans, {due_rows} entries read; \
             {idx_scans} index scans, {idx_rows} rows fetched, {updated} updated"
        ),
        format!(
            "per delivery: {:.1} due scans, {:.0} entries read, {:.1} updates",
            each(due_scans),
            each(due_rows),
            each(updated)
        ),
        json!({"due_index_scans": due_scans, "due_index_entries_read": due_rows,
               "index_scans": idx_scans, "index_rows_fetched": idx_rows, "rows_updated": updated}),
    );
    let mb: Vec<String> = rss_kib
        .iter()
        .map(|k| format!("{:.1}", *k as f64 / 1024.0))
        .collect();
    run.record(
        "B8 peak RSS per process",
        format!("{} MB", mb.join(" / ")),
        "goal ≤ 200 MB each".into(),
        json!({"kib": rss_kib}),
    );
}
