//! A pooled keep-alive connection the peer closed (docs/interop.md §7): the delivery that
//! finds it closed before any answer is sent again at once on a new connection, not after the
//! backoff.

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
/// accepted), when it was read, and its activity's id.
#[derive(Clone, Debug)]
struct Post {
    connection: usize,
    at: Instant,
    id: String,
}

#[derive(Default)]
struct Seen {
    connections: usize,
    /// Answered 202.
    answered: Vec<Post>,
    /// Read, then the connection closed without an answer.
    dropped: Vec<Post>,
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
    while let Some(body) = read_request(&mut stream, &mut buf).await {
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let post = Post {
            connection,
            at: Instant::now(),
            id: json["id"].as_str().unwrap_or_default().to_owned(),
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
}

/// Read one request (head and `content-length` body) from `stream`, `buf` holding what was
/// read past the previous one; `None` at the end of the stream.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
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
                return Some(body);
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
    // anything delivered within this test was not retried through the backoff.
    let app = TestApp::spawn(
        &db,
        "[delivery]\nbackoff_unit_ms = 60000\n[metrics]\nenabled = true\n",
    )
    .await;
    let sink = Sink::start().await;
    db.seed_followers(&sink.base, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::for_app(&db, &app);
    let all_delivered = async || {
        let rows = db.count("SELECT COUNT(*) FROM deliveries").await;
        rows > 0
            && db
                .count("SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'")
                .await
                == rows
    };

    let first = dir.path().join("first.md");
    std::fs::write(&first, statement("premier")).unwrap();
    cli.ok(&["statement", "publish", first.to_str().unwrap()])
        .await;
    eventually(
        "the first statement is delivered",
        Duration::from_secs(10),
        async || all_delivered().await,
    )
    .await;
    let rows_first = db.count("SELECT COUNT(*) FROM deliveries").await;
    assert_eq!(sink.answered().len() as i64, rows_first);

    // At once, while the first delivery's connection waits in the client's pool.
    let second = dir.path().join("second.md");
    std::fs::write(&second, statement("second")).unwrap();
    let published = Instant::now();
    cli.ok(&["statement", "publish", second.to_str().unwrap()])
        .await;
    eventually(
        "the second statement is delivered",
        Duration::from_secs(10),
        async || {
            db.count("SELECT COUNT(*) FROM deliveries").await > rows_first && all_delivered().await
        },
    )
    .await;
    let delivered_in = published.elapsed();

    let seen = std::mem::take(&mut *sink.seen.lock().unwrap());
    // The second delivery went out on the pooled connection, which the sink closed.
    let [dropped] = seen.dropped.as_slice() else {
        panic!(
            "one POST dropped on a reused connection expected; dropped {:?}, answered {:?} \
             (second publish took {delivered_in:?})",
            seen.dropped, seen.answered
        );
    };
    assert!(!dropped.id.is_empty());
    // Exactly one new connection after the close, and it carried the same activity.
    let later: Vec<&Post> = seen
        .answered
        .iter()
        .filter(|p| p.connection > dropped.connection)
        .collect();
    assert_eq!(
        seen.connections,
        dropped.connection + 2,
        "{:?}",
        seen.answered
    );
    let [again] = later.as_slice() else {
        panic!("one POST after the close expected: {later:?}");
    };
    assert_eq!(again.id, dropped.id);
    assert!(
        again.at.duration_since(dropped.at) < Duration::from_secs(2),
        "sent again {:?} after the close",
        again.at.duration_since(dropped.at)
    );
    // Each activity arrived once answered; every row delivered at its first attempt.
    let rows = db.count("SELECT COUNT(*) FROM deliveries").await;
    assert_eq!(seen.answered.len() as i64, rows);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM deliveries WHERE state = 'delivered' AND attempts = 1")
            .await,
        rows
    );
    // The operator sees the second try in the metrics.
    let metrics = app
        .get("/metrics", "text/plain")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        crate::discovery::parse_prometheus(&metrics).get("tribune_deliveries_resent_at_once_total"),
        Some(&1.0),
        "{metrics}"
    );
}
