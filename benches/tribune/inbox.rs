//! B4: signed `Announce` POSTs (co-signatures) from 10,000 distinct remote actors whose
//! keys are already known, against tribune (in this process, so that signature checking
//! can be switched off to measure what it costs) and against a receiver built on the
//! federation crate's `receive_activity`, under the same load generator.
//!
//! Requests are signed beforehand, as Mastodon signs (draft-cavage, rsa-sha256 over
//! `(request-target) host date digest content-type`), so that the load generator spends
//! nothing on RSA while it runs.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde_json::json;
use tokio::net::TcpListener;

use crate::Run;

/// Key pairs shared by the remote actors (each actor still has its own key id): RSA key
/// generation takes too long to give each of 10,000 actors its own.
const KEY_PAIRS: usize = 8;
const HOSTS: usize = 100;

pub struct Actors {
    /// (actor id, key pair index)
    pub ids: Vec<(url::Url, usize)>,
    pub keys: Vec<(ring::signature::RsaKeyPair, String)>,
}

fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    BASE64.decode(b64).unwrap()
}

pub fn actors(n: usize) -> Actors {
    let keys = (0..KEY_PAIRS)
        .map(|_| {
            let pair = tribune::transport::keyring::generate_rsa_2048().unwrap();
            let kp =
                ring::signature::RsaKeyPair::from_pkcs8(&pem_der(&pair.private_key_pem)).unwrap();
            (kp, pair.public_key_pem)
        })
        .collect();
    let ids = (0..n)
        .map(|i| {
            let url = format!("http://peer{}.localhost:1/users/u{i}", i % HOSTS);
            (url::Url::parse(&url).unwrap(), i % KEY_PAIRS)
        })
        .collect();
    Actors { ids, keys }
}

/// One POST, signed.
pub struct Prepared {
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// An Announce of `object` by each actor, signed for `inbox`.
pub fn prepare(actors: &Actors, inbox: &url::Url, object: &str, tag: &str) -> Vec<Prepared> {
    let host = match inbox.port() {
        Some(p) => format!("{}:{p}", inbox.host_str().unwrap()),
        None => inbox.host_str().unwrap().to_owned(),
    };
    let sign = |(actor, key): &(url::Url, usize)| -> Prepared {
        let origin = actor.origin().ascii_serialization();
        let body = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{origin}/activities/{tag}/{}", actor.path().rsplit('/').next().unwrap()),
            "type": "Announce",
            "actor": actor.as_str(),
            "published": "2026-11-29T10:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("{actor}/followers")],
            "object": object,
        })
        .to_string()
        .into_bytes();
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let digest = format!(
            "SHA-256={}",
            BASE64.encode(ring::digest::digest(&ring::digest::SHA256, &body))
        );
        let content_type = "application/activity+json".to_owned();
        let string = format!(
            "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}\ncontent-type: {content_type}",
            inbox.path()
        );
        let pair = &actors.keys[*key].0;
        let mut sig = vec![0; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            string.as_bytes(),
            &mut sig,
        )
        .unwrap();
        let signature = format!(
            "keyId=\"{actor}#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest content-type\",signature=\"{}\"",
            BASE64.encode(sig)
        );
        Prepared {
            headers: vec![
                ("host", host.clone()),
                ("date", date),
                ("digest", digest),
                ("content-type", content_type),
                ("signature", signature),
            ],
            body,
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = actors.ids.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = actors
            .ids
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(sign).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .pool_max_idle_per_host(connections)
        .build()
        .unwrap()
}

async fn post(client: &reqwest::Client, url: &url::Url, p: &Prepared) -> Duration {
    let mut req = client.post(url.clone());
    for (k, v) in &p.headers {
        req = req.header(*k, v);
    }
    let t = Instant::now();
    let res = req.body(p.body.clone()).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{url}: {status} {text}");
    t.elapsed()
}

/// Send every request with `connections` in flight; (accepted a second, p99).
pub async fn closed_loop(
    url: &url::Url,
    requests: Arc<Vec<Prepared>>,
    connections: usize,
) -> (f64, Duration) {
    let client = client(connections);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (client, url, requests, next) =
                (client.clone(), url.clone(), requests.clone(), next.clone());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = requests.get(i) else { break };
                    lat.push(post(&client, &url, p).await);
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    (all.len() as f64 / elapsed, all[all.len() * 99 / 100])
}

/// Send the requests at a fixed `rate`, whatever the answers' pace; (rate reached, p99).
pub async fn open_loop(url: &url::Url, requests: Arc<Vec<Prepared>>, rate: f64) -> (f64, Duration) {
    let client = client(256);
    let period = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(requests.len());
    for i in 0..requests.len() {
        let due = start + period.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let (client, url, requests) = (client.clone(), url.clone(), requests.clone());
        tasks.push(tokio::spawn(async move {
            post(&client, &url, &requests[i]).await
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.push(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    (all.len() as f64 / elapsed, all[all.len() * 99 / 100])
}

pub async fn b4_inbox(run: &mut Run) {
    let n = if run.quick { 500 } else { 10_000 };
    let connections = 64;
    let actors = actors(n);

    // tribune, in this process, with limits that let one client address send everything
    // (the open loop opens a connection for each request in flight: more than the 1,024 an
    // address may hold by default when the server falls behind).
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let settings = crate::settings(&format!(
        "[server]\npublic_url = \"http://localhost:{port}\"\n\
         max_connections_per_address = 8192\n\
         [database]\nurl = \"sqlite://{}/b4.db\"\n\
         [federation]\nallow_private_addresses = true\n\
         [inbox]\nmax_per_host_per_minute = 100000000\nmax_per_ip_per_minute = 100000000\n",
        dir.path().display()
    ));
    let app = tribune::startup::Application::build_with_listener(settings, listener)
        .await
        .unwrap();
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let mut objects = Vec::new();
    for slug in ["b4a", "b4b", "b4c"] {
        let draft = tribune::domain::statement::parse(
            &crate::delivery::statement_source(slug, 600),
            &state.coalition.languages,
        )
        .unwrap();
        let p = tribune::app::statements::publish(&state, &draft, None, &[])
            .await
            .unwrap();
        objects.push(p.object_id);
    }
    // The remote actors, known with their keys, as if each had been fetched once.
    let mut tx = state.db.begin().await.unwrap();
    for (id, key) in &actors.ids {
        let pem = &actors.keys[*key].1;
        let key_id = format!("{id}#main-key");
        let document = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id.as_str(), "type": "Person",
            "preferredUsername": id.path().rsplit('/').next().unwrap(),
            "inbox": format!("{id}/inbox"),
            "publicKey": {"id": key_id, "owner": id.as_str(), "publicKeyPem": pem},
        });
        let row = tribune::db::remote_actors::RemoteActorRow {
            id: id.to_string(),
            kind: "Person".into(),
            preferred_username: document["preferredUsername"].as_str().map(str::to_owned),
            name: None,
            host: id.host_str().unwrap().to_owned() + ":1",
            inbox: format!("{id}/inbox"),
            shared_inbox: None,
            icon_url: None,
            public_key_id: key_id,
            public_key_pem: pem.clone(),
            document: document.to_string(),
            fetched_at: chrono::Utc::now(),
        };
        tribune::db::remote_actors::upsert_in(&mut tx, &row)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    // The public host, as a proxy passes it: signatures cover `host`, and tribune takes only
    // its own (SECURITY.md, attack 12). The client resolves it to the listener.
    let inbox = url::Url::parse(&format!("http://localhost:{port}/inbox")).unwrap();
    let verified = Arc::new(prepare(&actors, &inbox, &objects[0], "a"));
    let scrape = || {
        state
            .metrics
            .render(&tribune::metrics::Gauges::default())
            .unwrap()
    };
    let max_before = scrape();
    let max_started = Instant::now();
    let (rate, p99) = closed_loop(&inbox, verified, connections).await;
    let max_took = max_started.elapsed().as_secs_f64();
    let max_after = scrape();

    state
        .bench_skip_signature_crypto
        .store(true, Ordering::Relaxed);
    let skipped = Arc::new(prepare(&actors, &inbox, &objects[1], "b"));
    let (rate_skipped, p99_skipped) = closed_loop(&inbox, skipped, connections).await;
    state
        .bench_skip_signature_crypto
        .store(false, Ordering::Relaxed);

    let half = Arc::new(prepare(&actors, &inbox, &objects[2], "c"));
    let before = scrape();
    let half_started = Instant::now();
    let (rate_half, p99_half) = open_loop(&inbox, half, rate / 2.0).await;
    let half_took = half_started.elapsed().as_secs_f64();
    let after = scrape();

    // Every 202 is a stored co-signature.
    let tribune::db::Db::Sqlite(pool) = &state.db else {
        unreachable!()
    };
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cosignatures")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        stored as usize,
        3 * n,
        "every accepted Announce is a co-signature"
    );

    // The federation crate's receive path, same requests (signed for its address).
    let crate_dir = tempfile::tempdir().unwrap();
    let known = actors
        .ids
        .iter()
        .map(|(id, k)| (id.clone(), actors.keys[*k].1.clone()))
        .collect();
    let addr = crate::crate_peer::start_receiver(crate_dir.path(), known).await;
    let crate_inbox = url::Url::parse(&format!("http://{addr}/inbox")).unwrap();
    let crate_requests = Arc::new(prepare(&actors, &crate_inbox, &objects[0], "d"));
    let (crate_rate, crate_p99) = closed_loop(&crate_inbox, crate_requests, connections).await;

    run.record(
        "B4 inbox, signed Announces",
        format!("{rate:.0}/s, p99 {p99:.1?} ({n} actors, {connections} connections)"),
        format!(
            "{:.2}× verification skipped, goal ≥ 0.5; {:.1}× the crate, goal ≥ 3",
            rate / rate_skipped,
            rate / crate_rate
        ),
        json!({"per_second": rate, "p99_ms": p99.as_secs_f64() * 1e3, "actors": n,
               "ratio_to_skipped": rate / rate_skipped, "ratio_to_crate": rate / crate_rate}),
    );
    run.record(
        "B4 inbox, verification skipped",
        format!("{rate_skipped:.0}/s, p99 {p99_skipped:.1?}"),
        String::new(),
        json!({"per_second": rate_skipped, "p99_ms": p99_skipped.as_secs_f64() * 1e3}),
    );
    run.record(
        "B4 inbox at half the maximum rate",
        format!("{rate_half:.0}/s, p99 {p99_half:.1?}"),
        "goal p99 ≤ 10 ms".into(),
        json!({"per_second": rate_half, "p99_ms": p99_half.as_secs_f64() * 1e3}),
    );
    // Where the requests waited: for the applier's answer (the batch before theirs, then
    // their own), and how long a batch took, from the server's histograms.
    for (name, before, after, took, client_p99) in [
        (
            "B4 maximum rate: the applier's share",
            &max_before,
            &max_after,
            max_took,
            p99,
        ),
        (
            "B4 half rate: the applier's share",
            &before,
            &after,
            half_took,
            p99_half,
        ),
    ] {
        let share = Share::between(before, after);
        run.record(
            name,
            format!(
                "p99 answer {}, p99 batch {}, longest {}; {:.1} activities a batch, {:.2} ms a batch, busy {:.0}% of the time",
                share.answer_p99,
                share.batch_p99,
                share.longest,
                share.applied / share.batches.max(1.0),
                share.seconds / share.batches.max(1.0) * 1e3,
                share.seconds / took * 100.0
            ),
            format!("of the client's p99 {client_p99:.1?} (bounds of the histograms' buckets)"),
            json!({"answer_p99": share.answer_p99, "batch_p99": share.batch_p99,
                   "batches": share.batches, "applied": share.applied,
                   "longest_batch": share.longest, "busy": share.seconds / took,
                   "batch_seconds": share.seconds}),
        );
    }
    run.record(
        "B4 the crate's receive_activity",
        format!("{crate_rate:.0}/s, p99 {crate_p99:.1?}"),
        String::new(),
        json!({"per_second": crate_rate, "p99_ms": crate_p99.as_secs_f64() * 1e3}),
    );
}

/// The applier's work between two scrapes of the server's metrics.
struct Share {
    answer_p99: String,
    batch_p99: String,
    /// Its longest batch: one slow commit holds up every activity that arrives meanwhile.
    longest: String,
    batches: f64,
    applied: f64,
    /// Time spent in batches: a queue forms as this nears the phase's whole time.
    seconds: f64,
}

impl Share {
    fn between(before: &str, after: &str) -> Share {
        let bound = |name: &str, q: f64| {
            quantile_between(&buckets(before, name), &buckets(after, name), q)
                .map_or("none".to_owned(), |s| format!("≤ {:.1} ms", s * 1e3))
        };
        let delta = |name: &str| counter(after, name) - counter(before, name);
        Share {
            answer_p99: bound("tribune_inbox_apply_seconds", 0.99),
            batch_p99: bound("tribune_inbox_batch_seconds", 0.99),
            longest: bound("tribune_inbox_batch_seconds", 1.0),
            batches: delta("tribune_inbox_transactions_total"),
            applied: delta("tribune_inbox_applied_total"),
            seconds: delta("tribune_inbox_batch_seconds_sum"),
        }
    }
}

/// A histogram's cumulative buckets in the metrics' text: (upper bound in seconds, count).
fn buckets(text: &str, name: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{le=\"");
    text.lines()
        .filter_map(|line| {
            let (le, count) = line.strip_prefix(&prefix)?.split_once("\"} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, count.trim().parse().ok()?))
        })
        .collect()
}

/// The bucket bound under which the share `q` of what was observed between two scrapes fell.
fn quantile_between(before: &[(f64, f64)], after: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = after.last()?.1 - before.last().map_or(0.0, |b| b.1);
    if total <= 0.0 {
        return None;
    }
    after.iter().enumerate().find_map(|(i, (le, n))| {
        let earlier = before.get(i).map_or(0.0, |b| b.1);
        (n - earlier >= q * total).then_some(*le)
    })
}

fn counter(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}
