//! A test peer that behaves as a Mastodon server on loopback: it serves its actors and keys,
//! signs its POSTs exactly as Mastodon does (headers `host date content-type digest
//! (request-target)` in that order, a base64 `SHA-256=` digest, `#main-key` key ids), and
//! records what reaches its inboxes. Its signing and verifying code is its own (ring and the
//! rsa crate directly), so that it checks tribune rather than agreeing with it.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use rsa::{
    RsaPrivateKey, RsaPublicKey,
    pkcs1::EncodeRsaPublicKey,
    pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey},
};
use serde_json::{Value, json};
use tokio::{net::TcpListener, sync::Notify};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Clone)]
struct PeerActor {
    doc: Value,
    key: Arc<RsaKeyPair>,
}

struct Shared {
    actors: Mutex<HashMap<String, Arc<PeerActor>>>,
    received: Mutex<Vec<Recorded>>,
    arrived: Notify,
    inbox_status: Mutex<u16>,
    /// Record inbox POSTs but never answer them (a host that hangs).
    black_hole: std::sync::atomic::AtomicBool,
    /// Wait this long before answering an inbox POST.
    delay_ms: std::sync::atomic::AtomicU64,
    /// Record inbox POSTs at once but answer them only after this long.
    answer_delay_ms: std::sync::atomic::AtomicU64,
    actor_status: Mutex<HashMap<String, u16>>,
    /// What its NodeInfo says it runs.
    software: Mutex<String>,
    /// When set, inbox POSTs must carry an RFC 9421 signature verifying with this PEM;
    /// draft-cavage gets 401 (a server that only takes RFC 9421).
    require_rfc9421: Mutex<Option<String>>,
    /// GETs of each actor's document.
    actor_fetches: Mutex<HashMap<String, usize>>,
    /// WebFinger queries, by the name asked for.
    webfinger_lookups: Mutex<HashMap<String, usize>>,
    /// The remote-interaction template WebFinger answers, when not the peer's own.
    interaction_template: Mutex<Option<String>>,
    /// Wait this long before serving an actor's document.
    actor_delay_ms: std::sync::atomic::AtomicU64,
}

pub struct Peer {
    pub addr: SocketAddr,
    /// `http://localhost:PORT` (or the host it was started with)
    pub base: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

fn new_key() -> (RsaKeyPair, String) {
    let pair = tribune::transport::keyring::generate_rsa_2048().expect("a key");
    let der = RsaPrivateKey::from_pkcs8_pem(&pair.private_key_pem)
        .unwrap()
        .to_pkcs8_der()
        .unwrap();
    (
        RsaKeyPair::from_pkcs8(der.as_bytes()).unwrap(),
        pair.public_key_pem,
    )
}

impl Peer {
    /// Start a peer with the given actors (`/users/NAME`).
    pub async fn start(names: &[&str]) -> Peer {
        Peer::start_named("localhost", names).await
    }

    /// Start a peer whose URLs name `host` (a name tribune resolves to loopback: `localhost`
    /// or under `.localhost`, a trailing dot allowed).
    pub async fn start_named(host: &str, names: &[&str]) -> Peer {
        tribune::install_crypto_provider();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{host}:{}", addr.port());
        let shared = Arc::new(Shared {
            actors: Mutex::new(HashMap::new()),
            received: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            inbox_status: Mutex::new(202),
            black_hole: Default::default(),
            delay_ms: Default::default(),
            answer_delay_ms: Default::default(),
            actor_status: Mutex::new(HashMap::new()),
            software: Mutex::new("mastodon".into()),
            require_rfc9421: Mutex::new(None),
            actor_fetches: Mutex::new(HashMap::new()),
            webfinger_lookups: Mutex::new(HashMap::new()),
            interaction_template: Mutex::new(None),
            actor_delay_ms: Default::default(),
        });
        let mut peer = Peer {
            addr,
            base,
            shared,
            stop: None,
            server: None,
        };
        for name in names {
            peer.add_actor(name);
        }
        peer.serve(listener);
        peer
    }

    /// Start a peer whose many actors share one key (generating keys is slow; tests of many
    /// actors need many ids, not many keys).
    pub async fn start_sharing_a_key(names: &[String]) -> Peer {
        let mut peer = Peer::start(&[]).await;
        let (key, public_pem) = new_key();
        let key = Arc::new(key);
        for name in names {
            peer.add_actor_with(name, key.clone(), &public_pem);
        }
        peer
    }

    fn add_actor(&mut self, name: &str) {
        let (key, public_pem) = new_key();
        self.add_actor_with(name, Arc::new(key), &public_pem);
    }

    fn add_actor_with(&mut self, name: &str, key: Arc<RsaKeyPair>, public_pem: &str) {
        let id = self.actor_id(name);
        let doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": name,
            "name": format!("{name} (peer)"),
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "followers": format!("{id}/followers"),
            "endpoints": {"sharedInbox": format!("{}/inbox", self.base)},
            "icon": {"type": "Image", "mediaType": "image/png", "url": format!("{}/avatars/{name}.png", self.base)},
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": public_pem},
        });
        self.shared
            .actors
            .lock()
            .unwrap()
            .insert(name.to_owned(), Arc::new(PeerActor { doc, key }));
    }

    fn serve(&mut self, listener: TcpListener) {
        let app = Router::new()
            .route("/users/{name}", get(actor))
            .route("/users/{name}/inbox", post(inbox))
            .route("/inbox", post(inbox))
            .route("/moved", post(moved))
            .route("/.well-known/nodeinfo", get(nodeinfo_links))
            .route("/.well-known/webfinger", get(webfinger))
            .route("/nodeinfo/2.0", get(nodeinfo))
            .with_state(self.shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(tx);
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        }));
    }

    /// Take the peer off the network: connections are refused until `come_back`.
    pub async fn go_down(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    pub async fn come_back(&mut self) {
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("rebind the peer's port");
        self.serve(listener);
    }

    pub fn actor_id(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    /// Change a field of an actor's document (`Null` removes it).
    pub fn set_actor_field(&self, name: &str, field: &str, value: Value) {
        let mut actors = self.shared.actors.lock().unwrap();
        let a = actors.get_mut(name).unwrap();
        let mut changed = (**a).clone();
        if value.is_null() {
            changed.doc.as_object_mut().unwrap().shift_remove(field);
        } else {
            changed.doc[field] = value;
        }
        *a = Arc::new(changed);
    }

    /// Give an actor a new key under the same key id, as a server rotating keys does.
    pub fn rotate_key(&self, name: &str) {
        let (key, public_pem) = new_key();
        let mut actors = self.shared.actors.lock().unwrap();
        let a = actors.get_mut(name).unwrap();
        let mut rotated = (**a).clone();
        rotated.doc["publicKey"]["publicKeyPem"] = Value::String(public_pem);
        rotated.key = Arc::new(key);
        *a = Arc::new(rotated);
    }

    /// RSA-SHA256 (PKCS#1 v1.5) of `message` with `name`'s key, in base64.
    fn sign_as(&self, name: &str, message: &[u8]) -> String {
        let actors = self.shared.actors.lock().unwrap();
        let key = &actors[name].key;
        let mut out = vec![0u8; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            message,
            &mut out,
        )
        .unwrap();
        BASE64.encode(out)
    }

    /// Take only RFC 9421 signatures by the holder of `public_pem` (401 otherwise).
    pub fn require_rfc9421(&self, public_pem: &str) {
        *self.shared.require_rfc9421.lock().unwrap() = Some(public_pem.to_owned());
    }

    /// Say in NodeInfo that this server runs `software`.
    pub fn set_software(&self, software: &str) {
        *self.shared.software.lock().unwrap() = software.to_owned();
    }

    /// Take inbox POSTs and never answer them (or answer again, with `false`).
    pub fn set_black_hole(&self, on: bool) {
        self.shared
            .black_hole
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Wait before answering each inbox POST.
    pub fn set_delay(&self, delay: Duration) {
        self.shared.delay_ms.store(
            delay.as_millis() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// How many POSTs reached each path.
    pub fn counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for r in self.shared.received.lock().unwrap().iter() {
            *counts.entry(r.path.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// Record each inbox POST as it arrives, but answer it only after `delay`.
    pub fn set_answer_delay(&self, delay: Duration) {
        self.shared.answer_delay_ms.store(
            u64::try_from(delay.as_millis()).unwrap(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Serve actor documents only after `delay` (a slow or hostile server).
    pub fn set_actor_delay(&self, delay: Duration) {
        self.shared.actor_delay_ms.store(
            u64::try_from(delay.as_millis()).unwrap(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Answer WebFinger with this remote-interaction template (a hostile server's).
    pub fn set_interaction_template(&self, template: &str) {
        *self.shared.interaction_template.lock().unwrap() = Some(template.to_owned());
    }

    /// How many times the document of `name` was fetched.
    /// How many times WebFinger was asked for `name`.
    pub fn webfinger_lookups(&self, name: &str) -> usize {
        self.shared
            .webfinger_lookups
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    pub fn actor_fetches(&self, name: &str) -> usize {
        self.shared
            .actor_fetches
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    /// Answer inbox POSTs with this status (they are still recorded).
    pub fn set_inbox_status(&self, status: u16) {
        *self.shared.inbox_status.lock().unwrap() = status;
    }

    /// Serve this status instead of the actor (410 after an account deletion).
    pub fn set_actor_status(&self, name: &str, status: u16) {
        self.shared
            .actor_status
            .lock()
            .unwrap()
            .insert(name.to_owned(), status);
    }

    pub fn actor_doc(&self, name: &str) -> Value {
        self.shared.actors.lock().unwrap()[name].doc.clone()
    }

    pub fn received(&self) -> Vec<Recorded> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Wait until `count` POSTs reached `path`, and return them.
    pub async fn wait_for(&self, path: &str, count: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.shared.arrived.notified();
            let got: Vec<Recorded> = self
                .received()
                .into_iter()
                .filter(|r| r.path == path)
                .collect();
            if got.len() >= count {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "{} POSTs to {path} within {timeout:?}, expected {count}",
                    got.len()
                );
            }
            let _ = tokio::time::timeout(left, notified).await;
        }
    }

    /// A client that reaches `localhost` names on loopback.
    pub fn client(&self, resolve: &[(&str, SocketAddr)]) -> reqwest::Client {
        let mut b = reqwest::Client::builder().no_proxy();
        for (name, addr) in resolve {
            b = b.resolve(name, *addr);
        }
        b.build().unwrap()
    }

    /// POST `body` to `url` signed by `name` exactly as Mastodon signs.
    pub async fn post(
        &self,
        client: &reqwest::Client,
        name: &str,
        url: &str,
        body: &[u8],
    ) -> reqwest::Response {
        self.post_with(
            client,
            url,
            body,
            Sign {
                name,
                ..Sign::default()
            },
        )
        .await
    }

    /// POST `body` signed with an RFC 9421 message signature, as Mastodon 4.5+ does after a
    /// 401: `("@method" "@target-uri" "content-digest")`, `created`, `keyid`.
    pub async fn post_rfc9421(
        &self,
        client: &reqwest::Client,
        name: &str,
        url: &str,
        body: &[u8],
        tweak: Rfc9421Tweak<'_>,
    ) -> reqwest::Response {
        let digested = if tweak.wrong_digest {
            b"other".as_slice()
        } else {
            body
        };
        let digest = format!(
            "sha-256=:{}:",
            BASE64.encode(ring::digest::digest(&ring::digest::SHA256, digested))
        );
        let created = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .saturating_sub(tweak.age_seconds);
        let components = if tweak.without_digest {
            "(\"@method\" \"@target-uri\")"
        } else {
            "(\"@method\" \"@target-uri\" \"content-digest\")"
        };
        let params = format!(
            "{components};created={created};keyid=\"{}#main-key\"",
            self.actor_id(name)
        );
        let mut base = format!("\"@method\": POST\n\"@target-uri\": {url}\n");
        if !tweak.without_digest {
            base.push_str(&format!("\"content-digest\": {digest}\n"));
        }
        base.push_str(&format!("\"@signature-params\": {params}"));
        let signer = tweak.key_of.unwrap_or(name);
        let signature = self.sign_as(signer, base.as_bytes());
        client
            .post(url)
            .header("content-type", "application/activity+json")
            .header("content-digest", digest)
            .header("signature-input", format!("sig1={params}"))
            .header("signature", format!("sig1=:{signature}:"))
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// A POST signed now by `name`, to send later (from another task).
    pub fn prepare_post(&self, name: &str, url: &str, body: &[u8]) -> Prepared {
        let parsed = url::Url::parse(url).unwrap();
        let host = match parsed.port() {
            Some(p) => format!("{}:{p}", parsed.host_str().unwrap()),
            None => parsed.host_str().unwrap().to_owned(),
        };
        let date = httpdate::fmt_http_date(SystemTime::now());
        let digest = format!(
            "SHA-256={}",
            BASE64.encode(ring::digest::digest(&ring::digest::SHA256, body))
        );
        let signing_string = format!(
            "host: {host}\ndate: {date}\ncontent-type: application/activity+json\ndigest: {digest}\n(request-target): post {}",
            parsed.path()
        );
        let signature = self.sign_as(name, signing_string.as_bytes());
        Prepared {
            url: url.to_owned(),
            headers: vec![
                ("host".into(), host),
                ("date".into(), date),
                ("content-type".into(), "application/activity+json".into()),
                ("digest".into(), digest),
                (
                    "signature".into(),
                    format!(
                        "keyId=\"{}#main-key\",algorithm=\"rsa-sha256\",headers=\"host date content-type digest (request-target)\",signature=\"{signature}\"",
                        self.actor_id(name)
                    ),
                ),
            ],
            body: body.to_vec(),
        }
    }

    /// GET `url` signed by `name` as Mastodon signs fetches: `host date (request-target)`.
    pub async fn get_signed(
        &self,
        client: &reqwest::Client,
        name: &str,
        url: &str,
    ) -> reqwest::Response {
        let parsed = url::Url::parse(url).unwrap();
        let host = match parsed.port() {
            Some(p) => format!("{}:{p}", parsed.host_str().unwrap()),
            None => parsed.host_str().unwrap().to_owned(),
        };
        let date = httpdate::fmt_http_date(SystemTime::now());
        let target = match parsed.query() {
            Some(q) => format!("{}?{q}", parsed.path()),
            None => parsed.path().to_owned(),
        };
        let signing_string = format!("host: {host}\ndate: {date}\n(request-target): get {target}");
        let signature = self.sign_as(name, signing_string.as_bytes());
        client
            .get(url)
            .header("host", &host)
            .header("date", &date)
            .header("accept", "application/activity+json, application/ld+json")
            .header(
                "signature",
                format!(
                    "keyId=\"{}#main-key\",algorithm=\"rsa-sha256\",headers=\"host date (request-target)\",signature=\"{signature}\"",
                    self.actor_id(name)
                ),
            )
            .send()
            .await
            .unwrap()
    }

    pub async fn post_with(
        &self,
        client: &reqwest::Client,
        url: &str,
        body: &[u8],
        how: Sign<'_>,
    ) -> reqwest::Response {
        let parsed = url::Url::parse(url).unwrap();
        let host = match (how.host, parsed.port()) {
            (Some(h), _) => h.to_owned(),
            (None, Some(p)) => format!("{}:{p}", parsed.host_str().unwrap()),
            (None, None) => parsed.host_str().unwrap().to_owned(),
        };
        let date = httpdate::fmt_http_date(how.date.unwrap_or_else(SystemTime::now));
        let digested = how.digest_of.unwrap_or(body);
        let digest = format!(
            "SHA-256={}",
            BASE64.encode(ring::digest::digest(&ring::digest::SHA256, digested))
        );
        let content_type = "application/activity+json";
        let mut req = client
            .post(url)
            .header("host", &host)
            .header("date", &date)
            .header("content-type", content_type)
            .header("digest", &digest)
            .body(body.to_vec());
        if how.unsigned {
            return req.send().await.unwrap();
        }
        let signing_string = format!(
            "host: {host}\ndate: {date}\ncontent-type: {content_type}\ndigest: {digest}\n(request-target): post {}",
            parsed.path()
        );
        let key_owner = how.key_of.unwrap_or(how.name);
        let signature = self.sign_as(key_owner, signing_string.as_bytes());
        let key_id = how
            .key_id
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}#main-key", self.actor_id(how.name)));
        req = req.header(
            "signature",
            format!(
                "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"host date content-type digest (request-target)\",signature=\"{signature}\""
            ),
        );
        req.send().await.unwrap()
    }
}

/// How to sign a POST; the default is Mastodon's correct signature by `name`.
#[derive(Default, Clone, Copy)]
pub struct Sign<'a> {
    pub name: &'a str,
    /// Sign with this actor's key instead.
    pub key_of: Option<&'a str>,
    /// Name this key id instead.
    pub key_id: Option<&'a str>,
    pub date: Option<SystemTime>,
    /// Put the digest of these bytes instead of the body's.
    pub digest_of: Option<&'a [u8]>,
    pub unsigned: bool,
    /// Send and sign this `Host` instead of the URL's (as a proxy in front of several
    /// processes passes the public host to each).
    pub host: Option<&'a str>,
}

async fn nodeinfo_links(headers: HeaderMap) -> Response {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    axum::Json(
        json!({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                                 "href": format!("http://{host}/nodeinfo/2.0")}]}),
    )
    .into_response()
}

/// An address that answers every POST with a redirect, as any `http://` URL of an https
/// server does.
async fn moved() -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, "/elsewhere")],
    )
        .into_response()
}

/// A WebFinger answer as Mastodon serves it (RFC 7033): the subject asked for, a `self` link
/// to the actor when the peer has one of that name, and the remote-interaction template.
async fn webfinger(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let template = shared
        .interaction_template
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| {
            format!("http://{host}/authorize_interaction?uri={{uri}}&from=template")
        });
    let subject = query
        .get("resource")
        .cloned()
        .unwrap_or_else(|| "acct:someone@example".into());
    let name = subject
        .strip_prefix("acct:")
        .and_then(|a| a.split_once('@'))
        .map(|(name, _)| name.to_owned())
        .unwrap_or_default();
    *shared
        .webfinger_lookups
        .lock()
        .unwrap()
        .entry(name.clone())
        .or_default() += 1;
    let mut links =
        vec![json!({"rel": "http://ostatus.org/schema/1.0/subscribe", "template": template})];
    if shared.actors.lock().unwrap().contains_key(&name) {
        links.push(json!({
            "rel": "self",
            "type": "application/activity+json",
            "href": format!("http://{host}/users/{name}"),
        }));
    }
    axum::Json(json!({"subject": subject, "links": links})).into_response()
}

async fn nodeinfo(State(shared): State<Arc<Shared>>) -> Response {
    let name = shared.software.lock().unwrap().clone();
    axum::Json(
        json!({"version": "2.0", "software": {"name": name, "version": "1.0"},
                      "protocols": ["activitypub"]}),
    )
    .into_response()
}

async fn actor(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let delay = shared
        .actor_delay_ms
        .load(std::sync::atomic::Ordering::Relaxed);
    if delay > 0 {
        // A slow server, as set_actor_delay asked: this sleep is the peer's behaviour.
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    *shared
        .actor_fetches
        .lock()
        .unwrap()
        .entry(name.clone())
        .or_insert(0) += 1;
    if let Some(status) = shared.actor_status.lock().unwrap().get(&name) {
        return StatusCode::from_u16(*status).unwrap().into_response();
    }
    let Some(a) = shared.actors.lock().unwrap().get(&name).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [(header::CONTENT_TYPE, "application/activity+json")],
        a.doc.to_string(),
    )
        .into_response()
}

async fn inbox(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    use std::sync::atomic::Ordering;
    let delay = shared.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        // A slow host, as set_delay asked: this sleep is the peer's behaviour, not a wait.
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let required = shared.require_rfc9421.lock().unwrap().clone();
    let status = match required {
        Some(pem) if !rfc9421_ok(&headers, uri.path(), &body, &pem) => 401,
        _ => *shared.inbox_status.lock().unwrap(),
    };
    shared.received.lock().unwrap().push(Recorded {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    shared.arrived.notify_waiters();
    if shared.black_hole.load(Ordering::Relaxed) {
        std::future::pending::<()>().await;
    }
    let answer_delay = shared.answer_delay_ms.load(Ordering::Relaxed);
    if answer_delay > 0 {
        // A host slow to answer what it already took, as set_answer_delay asked.
        tokio::time::sleep(Duration::from_millis(answer_delay)).await;
    }
    StatusCode::from_u16(status).unwrap()
}

/// Verify a request tribune sent, as Mastodon would: rebuild the signing string in the order
/// of `headers=`, check the digest, and verify with the given SPKI PEM.
pub fn verify_as_mastodon(r: &Recorded, public_pem: &str) -> Result<String, String> {
    let sig = r
        .headers
        .get("signature")
        .ok_or("no Signature header")?
        .to_str()
        .unwrap();
    let mut params = HashMap::new();
    for part in sig.split("\",") {
        let (k, v) = part.split_once('=').ok_or("malformed")?;
        params.insert(k.trim().to_owned(), v.trim_matches('"').to_owned());
    }
    let headers = params.get("headers").ok_or("no headers=")?;
    if !headers.split(' ').any(|h| h == "digest") {
        return Err("digest not signed".into());
    }
    let digest = r.headers["digest"].to_str().unwrap();
    let expected = format!(
        "SHA-256={}",
        BASE64.encode(ring::digest::digest(&ring::digest::SHA256, &r.body))
    );
    if digest != expected {
        return Err(format!("digest {digest} != {expected}"));
    }
    let mut lines = Vec::new();
    for h in headers.split(' ') {
        if h == "(request-target)" {
            lines.push(format!("(request-target): post {}", r.path));
        } else {
            lines.push(format!("{h}: {}", r.headers[h].to_str().unwrap()));
        }
    }
    let der = RsaPublicKey::from_public_key_pem(public_pem)
        .unwrap()
        .to_pkcs1_der()
        .unwrap();
    let signature = BASE64
        .decode(params.get("signature").ok_or("no signature=")?)
        .unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_bytes())
        .verify(lines.join("\n").as_bytes(), &signature)
        .map_err(|_| "the signature does not verify".to_owned())?;
    Ok(params["keyId"].clone())
}

/// A signed request ready to send.
pub struct Prepared {
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Prepared {
    pub async fn send_with(
        self,
        client: &reqwest::Client,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut req = client.post(&self.url).body(self.body);
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req.send().await
    }
}

/// Ways to spoil an RFC 9421 signature.
#[derive(Default, Clone, Copy)]
pub struct Rfc9421Tweak<'a> {
    pub wrong_digest: bool,
    pub without_digest: bool,
    pub age_seconds: u64,
    pub key_of: Option<&'a str>,
}

/// The peer's own RFC 9421 check, for `("@method" "@target-uri" "content-digest")`.
fn rfc9421_ok(headers: &HeaderMap, path: &str, body: &[u8], pem: &str) -> bool {
    let (Some(input), Some(sig), Some(digest), Some(host)) = (
        headers.get("signature-input").and_then(|v| v.to_str().ok()),
        headers.get("signature").and_then(|v| v.to_str().ok()),
        headers.get("content-digest").and_then(|v| v.to_str().ok()),
        headers.get("host").and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let expected = format!(
        "sha-256=:{}:",
        BASE64.encode(ring::digest::digest(&ring::digest::SHA256, body))
    );
    let Some(params) = input.strip_prefix("sig1=") else {
        return false;
    };
    let Some(sig) = sig.strip_prefix("sig1=:").and_then(|s| s.strip_suffix(':')) else {
        return false;
    };
    if digest != expected || !params.starts_with("(\"@method\" \"@target-uri\" \"content-digest\")")
    {
        return false;
    }
    let base = format!(
        "\"@method\": POST\n\"@target-uri\": http://{host}{path}\n\"content-digest\": {digest}\n\"@signature-params\": {params}"
    );
    let der = RsaPublicKey::from_public_key_pem(pem)
        .unwrap()
        .to_pkcs1_der()
        .unwrap();
    let Ok(signature) = BASE64.decode(sig) else {
        return false;
    };
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_bytes())
        .verify(base.as_bytes(), &signature)
        .is_ok()
}
