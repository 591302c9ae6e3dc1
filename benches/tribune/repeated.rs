//! B3b: B3's fan-out four times from one server process, with pauses between the
//! publishes, to a sink that closes keep-alive connections left idle a few seconds, as common
//! servers do (docs/interop.md §7). Each publish must meet B3's goals, with exactly one POST
//! per inbox: none lost on a connection the sink closed, none sent twice.
//!
//! B6 memory: the peak RSS across the four fan-outs, then the RSS while the server stays
//! idle for two minutes: memory used by a fan-out must come back.

use std::{
    collections::HashMap,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    Run,
    delivery::{
        publish, secs, seed_followers, start_sink_closing_idle, start_tribune, statement_source,
    },
    proc_field, rss_split, threads_named,
};

const PUBLISHES: usize = 4;
/// The RSS an idle server should come back under after its fan-outs.
const IDLE_GOAL_KIB: u64 = 40 * 1024;

pub async fn b3b_repeated(run: &mut Run) {
    let (followers, hosts, pause, idle, rest) = if run.quick {
        (
            5_000,
            250,
            Duration::from_secs(4),
            Duration::from_secs(3),
            Duration::from_secs(5),
        )
    } else {
        (
            100_000,
            5_000,
            Duration::from_secs(8),
            Duration::from_secs(3),
            Duration::from_secs(120),
        )
    };
    let (sink_addr, sink) = start_sink_closing_idle(Duration::from_millis(100), idle).await;
    let port = sink_addr.port();
    let server = start_tribune("", |pool| async move {
        seed_followers(&pool, followers, hosts, port, true).await
    })
    .await;
    let live = hosts as usize;
    let p99_target = (live * 99).div_ceil(100);
    // When each publish started, and the sink's count of connections then.
    let mut starts: Vec<(Instant, u64)> = Vec::new();
    for k in 0..PUBLISHES {
        if k > 0 {
            tokio::time::sleep(pause).await;
        }
        let t = Instant::now();
        starts.push((t, sink.connections.load(Ordering::Relaxed)));
        let (_, queued) = publish(&server.base(), statement_source(&format!("b3b{k}"), 2048)).await;
        assert_eq!(queued, u64::from(hosts));
        let deadline = t + Duration::from_secs(60);
        loop {
            let reached = sink.arrivals().iter().filter(|(_, at)| *at >= t).count();
            if reached >= live || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // A straggler (a second copy, a retry) of the last publish would come now.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let peak_kib = proc_field(server.pid(), "status", "VmHWM:").unwrap_or(0);
    // Then idle: when (if) the RSS comes back under the goal, and where it ends.
    let idle_from = Instant::now();
    let mut back_under: Option<Duration> = None;
    let mut rss_kib = proc_field(server.pid(), "status", "VmRSS:").unwrap_or(0);
    while idle_from.elapsed() < rest {
        rss_kib = proc_field(server.pid(), "status", "VmRSS:").unwrap_or(0);
        if rss_kib < IDLE_GOAL_KIB && back_under.is_none() {
            back_under = Some(idle_from.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (anon_kib, file_kib) = rss_split(server.pid());
    let sqlite_connections = threads_named(server.pid(), "sqlx-sqlite-wor");
    let arrivals = sink.arrivals();
    let connections_at_end = sink.connections.load(Ordering::Relaxed);
    for (k, (t, connections_before)) in starts.iter().enumerate() {
        let (next, connections_after) = starts
            .get(k + 1)
            .map_or((None, connections_at_end), |(n, c)| (Some(*n), *c));
        let window: Vec<(u32, Instant)> = arrivals
            .iter()
            .filter(|(_, at)| *at >= *t && next.is_none_or(|n| *at < n))
            .copied()
            .collect();
        let mut first: HashMap<u32, Instant> = HashMap::new();
        for (h, at) in &window {
            first.entry(*h).or_insert(*at);
        }
        let mut times: Vec<Duration> = first.values().map(|at| at.duration_since(*t)).collect();
        times.sort();
        let p99 = times
            .get(p99_target.saturating_sub(1))
            .copied()
            .filter(|_| times.len() >= p99_target);
        let all = (times.len() >= live).then(|| times[live - 1]);
        let posts = window.len();
        let connections = connections_after - connections_before;
        run.record(
            &format!("B3b repeated fan-out, publish {}", k + 1),
            format!(
                "99% {}, all {}; {posts} POSTs, {connections} connections",
                secs(p99),
                secs(all)
            ),
            format!("goal 99% ≤ 5 s, all ≤ 8 s, exactly {hosts} POSTs"),
            json!({"p99_s": p99.map(|d| d.as_secs_f64()), "all_s": all.map(|d| d.as_secs_f64()),
                   "posts": posts, "inboxes": hosts, "reached": times.len(),
                   "connections": connections, "pause_s": pause.as_secs(),
                   "sink_idle_s": idle.as_secs()}),
        );
    }
    run.record(
        "B6 peak RSS across four fan-outs (B3b)",
        format!("{:.1} MB", peak_kib as f64 / 1024.0),
        "goal ≤ 150 MB".into(),
        json!({"kib": peak_kib}),
    );
    run.record(
        "B6 RSS idle after the fan-outs",
        format!(
            "{:.1} MB after {} s idle ({:.1} anonymous, {:.1} file, {} SQLite connections open); under 40 MB {} ({} allocator)",
            rss_kib as f64 / 1024.0,
            rest.as_secs(),
            anon_kib as f64 / 1024.0,
            file_kib as f64 / 1024.0,
            sqlite_connections,
            back_under.map_or("never".into(), |d| format!(
                "after {:.1} s",
                d.as_secs_f64()
            )),
            tribune::ALLOCATOR
        ),
        format!("goal < 40 MB within {} s", rest.as_secs()),
        json!({"kib": rss_kib, "anon_kib": anon_kib, "file_kib": file_kib, "sqlite_connections": sqlite_connections, "under_goal_after_s": back_under.map(|d| d.as_secs_f64()),
               "idle_s": rest.as_secs(), "allocator": tribune::ALLOCATOR}),
    );
}
