//! B5: reads (WebFinger, the actor, a statement as JSON and as HTML) against a trivial axum
//! handler under the same load generator; and that handler behind tribune's server loop and
//! each of the layers every request crosses (`tribune::http::FRONT_LAYERS`), added one at a
//! time, so that each one's share of a read is measured, not guessed.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::TcpListener;

use super::{Run, settings};

/// GET `url` with `connections` concurrent clients for `d`: how many requests were answered,
/// in how many seconds, and each one's latency.
async fn load(url: &str, accept: &str, connections: usize, d: Duration) -> Measured {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(connections)
        .build()
        .unwrap();
    let stop = Instant::now() + d;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, url, accept) = (client.clone(), url.to_owned(), accept.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < stop {
                let t = Instant::now();
                let res = client
                    .get(&url)
                    .header("accept", &accept)
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "{url}: {}", res.status());
                let _ = res.bytes().await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let start = Instant::now();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    Measured {
        secs: start.elapsed().as_secs_f64(),
        latencies,
    }
}

/// Answers measured under a load, possibly over several slices of time.
#[derive(Default)]
struct Measured {
    secs: f64,
    latencies: Vec<Duration>,
}

impl Measured {
    fn add(&mut self, other: Measured) {
        self.secs += other.secs;
        self.latencies.extend(other.latencies);
    }

    /// Requests a second and the p99 latency.
    fn rate_p99(&mut self) -> (f64, Duration) {
        self.latencies.sort();
        let p99 = self
            .latencies
            .get(self.latencies.len() * 99 / 100)
            .copied()
            .unwrap_or_default();
        (self.latencies.len() as f64 / self.secs, p99)
    }
}

pub async fn b5_reads(run: &mut Run) {
    let d = Duration::from_millis(if run.quick { 500 } else { 5000 });
    let connections = 64;
    // A trivial axum handler: the ceiling of this load generator on this machine.
    let trivial = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trivial_addr = trivial.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        axum::serve(trivial, app).await.unwrap();
    });

    // tribune itself, on a fresh SQLite database, with a published statement.
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://localhost:{}", addr.port());
    let toml = format!(
        "[server]\npublic_url = \"{base}\"\n[database]\nurl = \"sqlite://{}/b.db\"\n",
        dir.path().display()
    );
    let app = tribune::startup::Application::build_with_listener(settings(&toml), listener)
        .await
        .unwrap();
    let state = app.state().clone();
    let federation = app.federation().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let ladder = ladder(&state, &federation).await;
    let draft = tribune::domain::statement::parse(
        "+++\nslug = \"s\"\n[title]\nfr = \"Titre\"\nen = \"Title\"\n+++\n::: fr\nTexte.\n::: en\nText.\n",
        &state.coalition.languages,
    )
    .unwrap();
    tribune::app::statements::publish(&state, &draft, None, &[])
        .await
        .unwrap();
    let local = format!("http://127.0.0.1:{}", addr.port());

    // What the page's size costs by itself: a trivial handler answering with the page's own
    // headers and body, as bytes in hand.
    let page = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{local}/statements/s"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let mut headers = page.headers().clone();
    for name in ["date", "content-length", "connection"] {
        headers.remove(name);
    }
    let body = page.bytes().await.unwrap();
    let header_bytes: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    let body_bytes = body.len();
    let same_bytes = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let same_bytes_addr = same_bytes.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || async move { (headers.clone(), body.clone()) }),
        );
        axum::serve(same_bytes, app).await.unwrap();
    });

    let handle = format!("acct:coalition@localhost:{}", addr.port());
    let mut targets = vec![(
        "B5 trivial axum handler (ceiling)",
        format!("http://{trivial_addr}/"),
        "*/*",
    )];
    targets.extend(
        ladder
            .iter()
            .map(|(name, addr)| (*name, format!("http://{addr}/"), "*/*")),
    );
    targets.extend([
        (
            "B5 WebFinger",
            format!("{local}/.well-known/webfinger?resource={handle}"),
            "application/jrd+json",
        ),
        (
            "B5 actor (JSON)",
            format!("{local}/ap/coalition"),
            "application/activity+json",
        ),
        (
            "B5 statement (JSON)",
            format!("{local}/statements/s"),
            "application/activity+json",
        ),
        (
            "B5 statement (HTML)",
            format!("{local}/statements/s"),
            "text/html",
        ),
        (
            "B5 trivial handler, the page's bytes",
            format!("http://{same_bytes_addr}/"),
            "text/html",
        ),
    ]);
    // Each target in turn for a second, five rounds: a machine whose speed drifts from one
    // second to the next (a shared one does) slows every target alike, instead of the one
    // measured at that moment.
    let rounds = if run.quick { 1 } else { 5 };
    let mut measured: Vec<Measured> = targets.iter().map(|_| Measured::default()).collect();
    for _ in 0..rounds {
        for ((_, url, accept), m) in targets.iter().zip(&mut measured) {
            m.add(load(url, accept, connections, d / rounds).await);
        }
    }
    let figures: Vec<(f64, Duration)> = measured.iter_mut().map(Measured::rate_p99).collect();
    let ceiling = figures[0].0;
    let same = figures[figures.len() - 1].0;
    let mut previous = ceiling;
    for ((name, _, _), &(rps, p99)) in targets.iter().zip(&figures) {
        // A layer's share: what it adds to the time a request costs, one over the rate.
        let added_us = 1e6 / rps - 1e6 / previous;
        let goal = match *name {
            "B5 trivial axum handler (ceiling)" => String::new(),
            _ if name.starts_with("B5 trivial, ") => {
                previous = rps;
                format!(
                    "{:.2}× the trivial handler; {added_us:+.2} µs a request",
                    rps / ceiling
                )
            }
            "B5 trivial handler, the page's bytes" => format!(
                "{:.2}× the trivial handler: {body_bytes} bytes of body, {header_bytes} of headers",
                rps / ceiling
            ),
            "B5 statement (HTML)" => format!(
                "{:.2}× the trivial handler, goal ≥ 0.85; {:.2}× the page's bytes",
                rps / ceiling,
                rps / same
            ),
            _ => format!("{:.2}× the trivial handler, goal ≥ 0.85", rps / ceiling),
        };
        run.record(
            name,
            format!("{rps:.0} req/s, p99 {p99:.1?}"),
            goal,
            json!({"per_second": rps, "p99_ms": p99.as_secs_f64() * 1000.0,
                   "ratio": rps / ceiling, "ratio_to_same_bytes": rps / same,
                   "added_us": added_us,
                   "body_bytes": body_bytes, "header_bytes": header_bytes}),
        );
    }
}

/// The trivial handler behind tribune's own server loop, then behind each of the layers in
/// front of every route as well, one more at a time: a name and an address each.
async fn ladder(
    state: &tribune::state::AppState,
    federation: &activitypub_federation::config::FederationConfig<tribune::state::AppState>,
) -> Vec<(&'static str, std::net::SocketAddr)> {
    const NAMES: [&str; 5] = [
        "B5 trivial, tribune's server loop",
        "B5 trivial, + trace",
        "B5 trivial, + panic catcher",
        "B5 trivial, + body limit",
        "B5 trivial, + authorized fetch and cache",
    ];
    assert_eq!(NAMES.len(), tribune::http::FRONT_LAYERS.len() + 1);
    let limits = tribune::http::server::Limits {
        header_timeout: Duration::from_secs(state.settings.server.header_timeout_seconds),
        per_address: state.settings.server.max_connections_per_address,
    };
    let mut served = Vec::new();
    for (layers, name) in NAMES.into_iter().enumerate() {
        let routes = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let verifier =
            tribune::http::authorized_fetch::Verifier::new(state.clone(), federation.clone());
        let router = tribune::http::behind_front(routes, layers, state.clone(), verifier);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        served.push((name, listener.local_addr().unwrap()));
        tokio::spawn(tribune::http::server::serve(
            listener,
            router,
            std::future::pending(),
            limits,
        ));
    }
    served
}
