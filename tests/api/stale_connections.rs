//! Delivery connections (docs/interop.md §7): a pooled keep-alive connection the peer closed
//! makes the delivery that finds it closed before any answer go again at once on a new
//! connection, not after the backoff; and the last delivery in hand for a host asks for the
//! connection to be closed, so that none stays idle once a fan-out is done.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::helpers::{Backend, Cli, TestApp, TestDb, eventually, on_both_backends};

on_both_backends!(a_delivery_on_a_connection_the_peer_closed_is_sent_again_at_once);

/// One POST the sink read: the connection it came on (numbered from 0 in the order they were
/// accepted), when it was read, its inbox and activity's id, and whether it asked for the
/// connection to be closed after the answer.
#[derive(Clone, Debug)]
struct Post {
    connection: usize,
    at: Instant,
    inbox: String,
    id: String,
    close: bool,
}

#[derive(Default)]
struct Seen {
    connections: usize,
    /// Answered 202.
    answered: Vec<Post>,
    /// Read, then the connection closed without an answer.
    dropped: Vec<Post>,
    /// Connections the client closed, and when.
    closed_by_client: Vec<(usize, Instant)>,
}

/// An inbox on loopback, raw HTTP/1.1 over TCP: it answers the first POST of a connection
/// 202 and keeps the connection open; a later POST on that connection is read whole, then the
/// connection is closed without an answer, as a server does that closed an idle keep-alive
/// connection just as the client reused it.
struct Sink {
    base: String,
    seen: Arc<Mutex<Seen>>,
}

impl Sink {
    async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let n = {
                    let mut seen = shared.lock().unwrap();
                    seen.connections += 1;
                    seen.connections - 1
                };
                tokio::spawn(serve(stream, n, shared.clone()));
            }
        });
        Sink {
            base: format!("http://localhost:{}", addr.port()),
            seen,
        }
    }

    fn answered(&self) -> Vec<Post> {
        self.seen.lock().unwrap().answered.clone()
    }
}

async fn serve(mut stream: TcpStream, connection: usize, seen: Arc<Mutex<Seen>>) {
    let mut buf = Vec::new();
    let mut answered_one = false;
    while let Some((head, body)) = read_request(&mut stream, &mut buf).await {
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let post = Post {
            connection,
            at: Instant::now(),
            inbox: head.split(' ').nth(1).unwrap_or_default().to_owned(),
            id: json["id"].as_str().unwrap_or_default().to_owned(),
            close: head.lines().any(|l| l == "connection: close"),
        };
        if answered_one {
            // Everything was read: dropping the socket sends a FIN, not a reset.
            seen.lock().unwrap().dropped.push(post);
            return;
        }
        seen.lock().unwrap().answered.push(post);
        if stream
            .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
        answered_one = true;
    }
    seen.lock()
        .unwrap()
        .closed_by_client
        .push((connection, Instant::now()));
}

/// Read one request (head, lowercased, and `content-length` body) from `stream`, `buf` holding
/// what was read past the previous one; `None` at the end of the stream.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let total = end + 4 + length;
            if buf.len() >= total {
                let body = buf[end + 4..total].to_vec();
                buf.drain(..total);
                return Some((head, body));
            }
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn statement(slug: &str) -> String {
    format!("+++\nslug = \"{slug}\"\n[title]\nfr = \"Appel {slug}\"\n+++\n::: fr\nTexte.\n")
}

async fn a_delivery_on_a_connection_the_peer_closed_is_sent_again_at_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    // A backoff retry would come a quarter of an hour later at the earliest (15 units):
    // anything delivered within this test was not retried through the backoff. One delivery
    // at a time to the host, so that a connection is reused rather than opened beside another.
    let app = TestApp::spawn(
        &db,
        "[delivery]\nbackoff_unit_ms = 60000\nper_host_concurrency = 1\n[metrics]\nenabled = true\n",
    )
    .await;
    let sink = Sink::start().await;
    // Three followers on the sink's host, each with an inbox of its own: three rows for one
    // host in hand at once.
    db.seed_followers(&sink.base, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::for_app(&db, &app);
    let file = dir.path().join("appel.md");
    std::fs::write(&file, statement("appel")).unwrap();
    cli.ok(&["statement", "publish", file.to_str().unwrap()])
        .await;
    eventually(
        "the statement is delivered",
        Duration::from_secs(10),
        async || {
            let rows = db.count("SELECT COUNT(*) FROM deliveries").await;
            rows >= 3
                && db
                    .count("SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'")
                    .await
                    == rows
        },
    )
    .await;
    // The last POST asked for its connection to be closed: the client closes it after the
    // answer, rather than keeping it idle in its pool for `POOL_IDLE` (4 s).
    let last = sink.answered().into_iter().max_by_key(|p| p.at).unwrap();
    let closed_at = async || {
        let seen = sink.seen.lock().unwrap();
        seen.closed_by_client
            .iter()
            .find(|(c, _)| *c == last.connection)
            .map(|(_, at)| *at)
    };
    eventually(
        "the connection of the last POST is closed",
        Duration::from_secs(5),
        async || closed_at().await.is_some(),
    )
    .await;
    let idle = closed_at().await.unwrap().duration_since(last.at);
    assert!(
        idle < Duration::from_secs(2),
        "the client closed the last connection {idle:?} after its POST"
    );

    let seen = std::mem::take(&mut *sink.seen.lock().unwrap());
    // A connection was reused, and the sink closed it on its second POST (at least once:
    // whether a connection is back in the pool by the next POST is up to the client).
    assert!(
        !seen.dropped.is_empty(),
        "no POST went out on a reused connection: {:?}",
        seen.answered
    );
    for dropped in &seen.dropped {
        // Sent again at once, on a newer connection, the same activity to the same inbox.
        let again: Vec<&Post> = seen
            .answered
            .iter()
            .filter(|p| p.inbox == dropped.inbox && p.connection > dropped.connection)
            .collect();
        let [again] = again.as_slice() else {
            panic!("one POST after the close expected: {again:?}");
        };
        assert_eq!(again.id, dropped.id);
        assert!(
            again.at.duration_since(dropped.at) < Duration::from_secs(2),
            "sent again {:?} after the close",
            again.at.duration_since(dropped.at)
        );
    }
    // Rows waiting for the host kept the connection open; the last one closed it.
    assert!(
        seen.answered.iter().any(|p| !p.close),
        "{:?}",
        seen.answered
    );
    assert!(last.close, "{:?}", seen.answered);
    // Each row arrived once answered, delivered at its first attempt.
    let rows = db.count("SELECT COUNT(*) FROM deliveries").await;
    assert_eq!(seen.answered.len() as i64, rows);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM deliveries WHERE state = 'delivered' AND attempts = 1")
            .await,
        rows
    );
    // The operator sees each second try in the metrics.
    let metrics = app
        .get("/metrics", "text/plain")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        crate::discovery::parse_prometheus(&metrics).get("tribune_deliveries_resent_at_once_total"),
        Some(&(seen.dropped.len() as f64)),
        "{metrics}"
    );
}
