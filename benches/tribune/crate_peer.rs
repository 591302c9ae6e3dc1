//! The peer baseline: the `activitypub_federation` crate's own receive and send paths, run
//! under the same loads as tribune's benchmarks so that tribune's figures can be stated as
//! ratios to them.
//!
//! What the crate (0.7.0-beta.14) does on each path, read from its source:
//!
//! - Receiving (`axum::inbox::receive_activity`): the `ActivityData` extractor reads the whole
//!   body into memory (capped at 1 MB). The crate then checks the body against the `Digest`
//!   header (SHA-256, required), parses the JSON into the activity type, checks that the
//!   activity id and the actor share a host and that the id is not local, looks the actor up
//!   through `Object::read_from_id` (here an in-memory map, so no fetch), and verifies the
//!   draft-cavage signature with the pure-Rust `rsa` crate. It parses the actor's public key
//!   PEM again on every request and verifies on the async worker thread, not on a blocking
//!   pool. Only then does it call the activity's `verify` and `receive`.
//! - Sending (`SendActivityTask::prepare` then `sign_and_send`): `prepare` serialises the
//!   activity, takes the sender's private key from the crate's key cache (parsed once, on a
//!   blocking thread), and drops inboxes it considers local or invalid. `sign_and_send`
//!   computes the SHA-256 `Digest` and the RSA-SHA256 signature with the `rsa` crate, both on
//!   tokio's blocking pool, with a fresh `Date` (with `http_signature_compat`: headers
//!   `(request-target) content-type date digest host`, `algorithm="hs2019"`, no `(created)`),
//!   then POSTs with the configured reqwest client.
//!   It treats 2xx as delivered and also 4xx other than 408 and 429 (as "rejected, do not
//!   retry"); only other statuses and transport errors are errors.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use activitypub_federation::{
    activity_sending::SendActivityTask,
    axum::inbox::{ActivityData, receive_activity},
    config::{Data, FederationConfig, FederationMiddleware},
    error::Error as CrateError,
    kinds::activity::{AnnounceType, CreateType},
    protocol::context::WithContext,
    traits::{Activity, Actor, Object},
};
use axum::{Router, http::StatusCode, routing::post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use url::Url;

/// Errors on either path; the inbox handler turns them into a status.
#[derive(Debug)]
enum PeerError {
    Crate(CrateError),
    Db(sqlx::Error),
    /// The crate wanted to fetch an actor over the network: every actor should be known.
    NoFetch,
}

impl From<CrateError> for PeerError {
    fn from(e: CrateError) -> Self {
        PeerError::Crate(e)
    }
}

impl From<sqlx::Error> for PeerError {
    fn from(e: sqlx::Error) -> Self {
        PeerError::Db(e)
    }
}

impl PeerError {
    fn status(&self) -> StatusCode {
        match self {
            PeerError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
            PeerError::Crate(
                CrateError::ParseReceivedActivity { .. } | CrateError::UrlVerificationError(_),
            ) => StatusCode::BAD_REQUEST,
            PeerError::Crate(_) | PeerError::NoFetch => StatusCode::UNAUTHORIZED,
        }
    }

    fn message(&self) -> String {
        match self {
            PeerError::Crate(e) => e.to_string(),
            PeerError::Db(e) => e.to_string(),
            PeerError::NoFetch => "unknown actor: fetching is off".to_owned(),
        }
    }
}

/// The receiver's application data: the database and the known remote actors.
#[derive(Clone)]
struct Receiver {
    pool: SqlitePool,
    actors: Arc<HashMap<Url, Arc<str>>>,
}

/// An actor as the crate sees it: a remote actor on the receiving side (public key only), the
/// local sending actor on the sending side (with its private key).
#[derive(Debug, Clone)]
struct PeerActor {
    id: Url,
    inbox: Url,
    public_key_pem: Arc<str>,
    private_key_pem: Option<String>,
}

impl PeerActor {
    fn new(id: Url, public_key_pem: Arc<str>, private_key_pem: Option<String>) -> Self {
        let inbox = Url::parse(&format!("{id}/inbox")).unwrap_or_else(|_| id.clone());
        PeerActor {
            id,
            inbox,
            public_key_pem,
            private_key_pem,
        }
    }
}

#[async_trait::async_trait]
impl Object for PeerActor {
    type DataType = Receiver;
    type Kind = Value;
    type Error = PeerError;

    fn id(&self) -> &Url {
        &self.id
    }

    /// Always fresh, so the crate never refetches a known actor.
    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(Utc::now())
    }

    async fn read_from_id(id: Url, data: &Data<Receiver>) -> Result<Option<Self>, PeerError> {
        Ok(data
            .actors
            .get(&id)
            .map(|pem| PeerActor::new(id, pem.clone(), None)))
    }

    async fn into_json(self, _data: &Data<Receiver>) -> Result<Value, PeerError> {
        Ok(json!({
            "id": self.id,
            "type": "Person",
            "inbox": self.inbox,
            "publicKey": self.public_key(),
        }))
    }

    async fn verify(
        _json: &Value,
        _expected_domain: &Url,
        _data: &Data<Receiver>,
    ) -> Result<(), PeerError> {
        Err(PeerError::NoFetch)
    }

    async fn from_json(_json: Value, _data: &Data<Receiver>) -> Result<Self, PeerError> {
        Err(PeerError::NoFetch)
    }
}

impl Actor for PeerActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        self.private_key_pem.clone()
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
}

/// A received `Announce`: the fields the table needs, and the rest of the document kept so
/// that it can be stored whole.
#[derive(Debug, Serialize, Deserialize)]
struct Announce {
    id: Url,
    #[serde(rename = "type")]
    kind: AnnounceType,
    actor: Url,
    /// Kept as a plain URL: never dereferenced.
    object: Url,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[async_trait::async_trait]
impl Activity for Announce {
    type DataType = Receiver;
    type Error = PeerError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<Receiver>) -> Result<(), PeerError> {
        Ok(())
    }

    /// One durable INSERT (WAL, synchronous=FULL) before the inbox answers; a repeated id is
    /// ignored. The crate hands over the parsed activity, not the body, so the JSON stored is
    /// the activity serialised again (all its fields, `@context` included).
    async fn receive(self, data: &Data<Receiver>) -> Result<(), PeerError> {
        let raw = serde_json::to_string(&self).map_err(|e| CrateError::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO received_announces (id, actor, object, raw) VALUES (?, ?, ?, ?) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(self.id.as_str())
        .bind(self.actor.as_str())
        .bind(self.object.as_str())
        .bind(raw)
        .execute(&data.pool)
        .await?;
        Ok(())
    }
}

/// The activity sent: a `Create` of a `Note`, about 2 KB once serialised.
#[derive(Debug, Serialize)]
struct Create {
    id: Url,
    #[serde(rename = "type")]
    kind: CreateType,
    actor: Url,
    published: &'static str,
    to: [&'static str; 1],
    object: Value,
}

#[async_trait::async_trait]
impl Activity for Create {
    type DataType = ();
    type Error = PeerError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<()>) -> Result<(), PeerError> {
        Ok(())
    }

    /// Only sent, never received here.
    async fn receive(self, _data: &Data<()>) -> Result<(), PeerError> {
        Ok(())
    }
}

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn create(actor: &Url, i: usize, content: &str) -> WithContext<Create> {
    let id = actor.join(&format!("activities/create-{i}")).unwrap();
    let note = json!({
        "id": actor.join(&format!("notes/{i}")).unwrap(),
        "type": "Note",
        "attributedTo": actor,
        "published": "2026-11-29T10:00:00Z",
        "to": [PUBLIC],
        "content": content,
    });
    WithContext::new_default(Create {
        id,
        kind: CreateType::Create,
        actor: actor.clone(),
        published: "2026-11-29T10:00:00Z",
        to: [PUBLIC],
        object: note,
    })
}

/// The crate's inbox: `receive_activity` for `Announce`, 202 once stored.
async fn inbox(data: Data<Receiver>, activity: ActivityData) -> (StatusCode, String) {
    match receive_activity::<Announce, PeerActor, Receiver>(activity, &data).await {
        Ok(()) => (StatusCode::ACCEPTED, String::new()),
        Err(e) => (e.status(), e.message()),
    }
}

/// A loopback receiver built on the crate: POST /inbox handled by
/// activitypub_federation::axum::inbox::receive_activity for `Announce` activities.
/// `actors` are (actor id, public key PEM) of remote actors already known (kept in memory,
/// returned by the actor type's read_from_id with a fresh last_refreshed_at so the crate never
/// fetches them over the network). Each accepted Announce is stored durably before the handler
/// returns (so 202 means stored): one INSERT of (id, actor, object, raw JSON) into the table
/// `received_announces` of the SQLite file `crate_peer.sqlite` in `dir` (WAL,
/// synchronous=FULL, 8 connections, as tribune's defaults); a repeated id is ignored.
/// The crate runs in debug mode (http URLs and ports allowed). A failed digest or signature
/// answers 401, unparsable JSON 400, a database error 500. Returns the address it listens on
/// (127.0.0.1, a free port).
pub async fn start_receiver(dir: &Path, actors: Vec<(Url, String)>) -> SocketAddr {
    let options = SqliteConnectOptions::new()
        .filename(dir.join("crate_peer.sqlite"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .unwrap();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS received_announces (\
         id TEXT PRIMARY KEY, actor TEXT NOT NULL, object TEXT NOT NULL, raw TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let actors = actors
        .into_iter()
        .map(|(id, pem)| (id, Arc::from(pem)))
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = FederationConfig::builder()
        .domain(addr.to_string())
        .app_data(Receiver {
            pool,
            actors: Arc::new(actors),
        })
        .debug(true)
        .build()
        .await
        .unwrap();
    let app = Router::new()
        .route("/inbox", post(inbox))
        .layer(FederationMiddleware::new(config));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The crate refuses inbox URLs without a domain name ("Url must have a domain"), and its
/// header code panics on them, so an IP literal becomes `localhost`, pinned to that address
/// in the client's resolver (no DNS lookup, no address filter).
fn loopback_name(mut inbox: Url) -> (Url, Option<SocketAddr>) {
    let ip = match inbox.host() {
        Some(url::Host::Ipv4(ip)) => std::net::IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => std::net::IpAddr::V6(ip),
        _ => return (inbox, None),
    };
    let port = inbox.port_or_known_default().unwrap();
    inbox.set_host(Some("localhost")).unwrap();
    (inbox, Some(SocketAddr::new(ip, port)))
}

/// The crate's send path: `n` deliveries of a ~2 KB `Create` of a `Note`, each built with
/// `SendActivityTask::prepare` (the activity serialised, the cached private key) and then
/// signed afresh and posted with `SendActivityTask::sign_and_send` (SHA-256 digest and
/// RSA-SHA256 with the `rsa` crate on tokio's blocking pool, Mastodon-compatible headers via
/// `http_signature_compat`), to `inbox` with `concurrency` tasks in flight, signed with
/// `private_key_pem` for the local actor `actor_id` (public key `public_key_pem`). The key is
/// parsed into the crate's cache once before the clock starts. The crate runs in debug mode
/// with a plain reqwest client (redirects off, 10 s timeouts, no private-address filter), so
/// loopback inboxes are allowed; an IP-literal inbox host is sent as `localhost` pinned to
/// that address. Returns deliveries per second (wall time), and panics if any delivery fails
/// (the crate reports 4xx other than 408/429 as success, so those would not be noticed).
pub async fn send(
    inbox: Url,
    n: usize,
    concurrency: usize,
    actor_id: Url,
    private_key_pem: String,
    public_key_pem: String,
) -> f64 {
    let (inbox, pinned) = loopback_name(inbox);
    let mut client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(10));
    if let (Some(addr), Some(host)) = (pinned, inbox.host_str()) {
        client = client.resolve(host, addr);
    }
    let config = FederationConfig::builder()
        // Only used to tell local inboxes from remote ones: a name no inbox will have.
        .domain("crate-peer-sender.invalid")
        .app_data(())
        .debug(true)
        .http_signature_compat(true)
        .client(reqwest_middleware::ClientWithMiddleware::from(
            client.build().unwrap(),
        ))
        .build()
        .await
        .unwrap();
    let data = config.to_request_data();
    let actor = Arc::new(PeerActor::new(
        actor_id,
        Arc::from(public_key_pem),
        Some(private_key_pem),
    ));

    // Pad the note's content so that the activity is about 2,048 bytes.
    let bare = serde_json::to_vec(&create(&actor.id, 0, "")).unwrap().len();
    let content: Arc<str> = Arc::from("x".repeat(2048usize.saturating_sub(bare)));

    // Warm the crate's private-key cache, as a running server would have.
    let warm = SendActivityTask::prepare(
        &create(&actor.id, 0, &content),
        &*actor,
        vec![inbox.clone()],
        &data,
    )
    .await
    .unwrap();
    assert_eq!(warm.len(), 1, "the crate dropped the inbox {inbox}");

    let inbox = Arc::new(inbox);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (data, actor, inbox, next, content) = (
                data.clone(),
                actor.clone(),
                inbox.clone(),
                next.clone(),
                content.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let activity = create(&actor.id, i, &content);
                    let tasks = SendActivityTask::prepare(
                        &activity,
                        &*actor,
                        vec![(*inbox).clone()],
                        &data,
                    )
                    .await
                    .unwrap();
                    assert_eq!(tasks.len(), 1, "the crate dropped the inbox {inbox}");
                    for task in tasks {
                        if let Err(e) = task.sign_and_send(&data).await {
                            panic!("delivery {i} to {inbox} failed: {e}");
                        }
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}
