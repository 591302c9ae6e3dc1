//! Start the real server on a loopback port with a fresh database, and talk to it over HTTP.

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

use figment::{
    Figment,
    providers::{Format, Toml},
};
use reqwest::{Response, header};
use serde_json::{Value, json};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tribune::{
    config::{DEFAULT_TOML, Settings},
    startup::Application,
};

use crate::peer::Peer;

pub const AP_ACCEPT: &str = "application/activity+json, application/ld+json";
pub const LD_ACCEPT: &str =
    r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;
pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// How long a test waits for something the server does in the background.
pub const WAIT: Duration = Duration::from_secs(20);

/// Wait until `check` holds, looking every 50 ms; fail, saying `what` was awaited, once
/// `timeout` has passed.
pub async fn eventually(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} (within {timeout:?})");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Run a test body on SQLite, and on PostgreSQL when `DATABASE_URL` names one.
/// With `CI=true`, a missing `DATABASE_URL` fails the PostgreSQL variant instead of skipping it.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_available() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        }
    )*};
}
pub(crate) use on_both_backends;

pub fn postgres_available() -> bool {
    if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but DATABASE_URL does not name a PostgreSQL database"
    );
    eprintln!("skipped on PostgreSQL: DATABASE_URL is not set");
    false
}

/// A fresh database: a SQLite file in a temporary folder, or a new PostgreSQL database that
/// is dropped when this value is.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A SQLite database at a given URL (whose folder the caller owns).
    pub fn sqlite_at(url: String) -> TestDb {
        TestDb {
            url,
            _dir: None,
            pg: None,
        }
    }

    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/tribune.db", dir.path().display());
                TestDb {
                    url,
                    _dir: Some(dir),
                    pg: None,
                }
            }
            Backend::Postgres => {
                let admin = std::env::var("DATABASE_URL").expect("DATABASE_URL");
                let name = format!(
                    "tribune_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand::random::<u32>()
                );
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .expect("connect to DATABASE_URL");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                TestDb {
                    url: url.to_string(),
                    _dir: None,
                    pg: Some((admin, name)),
                }
            }
        }
    }
}

impl TestDb {
    /// Run a query that returns one integer, straight on the database.
    pub async fn count(&self, sql: &str) -> i64 {
        use sqlx::Connection;
        if self.url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut c)
                .await
                .unwrap()
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
    }

    /// Make `n` followers whose personal inboxes are `{base}/users/f{i}/inbox`, straight in
    /// the database (a fan-out test needs many inboxes, not many Follows).
    pub async fn seed_followers(&self, base: &str, n: usize) {
        use sqlx::Connection;
        let mut actors = Vec::new();
        let mut follows = Vec::new();
        let host = base.trim_start_matches("http://");
        for i in 0..n {
            let id = format!("{base}/users/f{i}");
            actors.push(format!(
                "('{id}', 'Person', 'f{i}', 'F {i}', '{host}', '{id}/inbox', NULL, NULL, '{id}#main-key', 'none', '{{}}', '2026-01-01T00:00:00Z')"
            ));
            follows.push(format!(
                "('{id}', '{base}/follows/{i}', '{{}}', 'accepted', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
            ));
        }
        let actors = format!(
            "INSERT INTO remote_actors (id, kind, preferred_username, name, host, inbox, shared_inbox, icon_url, public_key_id, public_key_pem, document, fetched_at) VALUES {}",
            actors.join(", ")
        );
        let follows = format!(
            "INSERT INTO followers (actor_id, follow_id, follow_json, state, created_at, updated_at) VALUES {}",
            follows.join(", ")
        );
        if self.url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::query(&actors).execute(&mut c).await.unwrap();
            sqlx::query(&follows).execute(&mut c).await.unwrap();
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::query(&actors).execute(&mut c).await.unwrap();
            sqlx::query(&follows).execute(&mut c).await.unwrap();
        }
    }

    /// Run a statement straight on the database (a test that plays someone who edits it by
    /// hand).
    pub async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        if self.url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
    }

    /// Run a query that returns one text value.
    pub async fn text(&self, sql: &str) -> Option<String> {
        use sqlx::Connection;
        if self.url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::query_scalar::<_, Option<String>>(sql)
                .fetch_one(&mut c)
                .await
                .unwrap()
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::query_scalar::<_, Option<String>>(sql)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Dropped from inside a runtime: do it on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async {
                    let mut conn =
                        <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await?;
                    Ok::<_, sqlx::Error>(())
                })
                .map_err(std::io::Error::other)
            })
            .join();
        }
    }
}

/// Settings for a test: the defaults, the database and public URL of the test, then `extra`
/// (TOML) on top.
pub fn settings(db_url: &str, port: u16, extra: &str) -> Settings {
    let base = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://localhost:{port}\"\n\
         [database]\nurl = \"{db_url}\"\nmax_connections = 4\n\
         [delivery]\nbackoff_unit_ms = 20\ntimeout_seconds = 5\nlease_seconds = 10\n"
    );
    Settings::from_figment(
        &Figment::from(Toml::string(DEFAULT_TOML))
            .merge(Toml::string(&base))
            .merge(Toml::string(extra)),
    )
    .expect("test settings are valid")
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// `http://localhost:PORT`, the public URL the server was given.
    pub base: String,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// Start on a fresh port with the given database and extra settings.
    pub async fn spawn(db: &TestDb, extra: &str) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::spawn_on(db, extra, listener).await
    }

    async fn spawn_on(db: &TestDb, extra: &str, listener: TcpListener) -> TestApp {
        tribune::install_crypto_provider();
        // TRIBUNE_TEST_LOG=debug shows the servers' logs.
        if let Ok(filter) = std::env::var("TRIBUNE_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let addr = listener.local_addr().expect("local addr");
        let settings = settings(&db.url, addr.port(), extra);
        let app = Application::build_with_listener(settings, listener)
            .await
            .expect("the application builds");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            // Documents name `localhost`; reach it on the address we bound.
            .resolve("localhost", addr)
            .build()
            .expect("client");
        TestApp {
            addr,
            base: format!("http://localhost:{}", addr.port()),
            client,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stop the server, wait for it, and start it again on the same port and database.
    pub async fn restart(&mut self, db: &TestDb, extra: &str) {
        self.stop().await;
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("rebind the same port");
        *self = Self::spawn_on(db, extra, listener).await;
    }

    /// Wait until `/readyz` says the database and the workers are ready, and return what it
    /// said.
    pub async fn ready(&self) -> Value {
        let mut body = Value::Null;
        eventually("the server is ready", Duration::from_secs(10), async || {
            let res = self.get("/readyz", "*/*").await;
            let status = res.status();
            body = res.json().await.expect("JSON from /readyz");
            status == 200
        })
        .await;
        body
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server ran");
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn get(&self, path: &str, accept: &str) -> Response {
        self.client
            .get(self.url(path))
            .header(header::ACCEPT, accept)
            .send()
            .await
            .expect("request")
    }

    /// GET as an ActivityPub client; asserts 200 and the exact media type.
    pub async fn get_ap(&self, path: &str) -> Value {
        let res = self.get(path, AP_ACCEPT).await;
        assert_eq!(res.status(), 200, "GET {path}");
        assert_eq!(
            content_type(&res),
            "application/activity+json",
            "GET {path}"
        );
        res.json().await.expect("JSON")
    }

    pub async fn webfinger(&self, resource: &str) -> Response {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("resource", resource)
            .finish();
        self.client
            .get(self.url(&format!("/.well-known/webfinger?{query}")))
            .header(header::ACCEPT, "application/jrd+json, application/json")
            .send()
            .await
            .expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn content_type(res: &Response) -> String {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Assert a 4xx answer with a JSON body `{"error": "…"}`, and return the message.
pub async fn assert_json_error(res: Response, status: u16) -> String {
    assert_eq!(res.status(), status, "{}", res.url());
    assert!(
        content_type(&res).starts_with("application/json"),
        "{} answered {}",
        res.url(),
        content_type(&res)
    );
    let body: Value = res.json().await.expect("JSON error body");
    body["error"].as_str().expect("an error message").to_owned()
}

/// The `tribune` binary run as an operator runs it, on a test's database and public URL.
pub struct Cli {
    pub db_url: String,
    pub public_url: String,
    /// More `TRIBUNE__…` settings for the command.
    pub env: Vec<(String, String)>,
}

pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Cli {
    pub fn for_app(db: &TestDb, app: &TestApp) -> Cli {
        Cli {
            db_url: db.url.clone(),
            public_url: app.base.clone(),
            env: Vec::new(),
        }
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        self.run_with_input(args, None).await
    }

    /// The command, with this database and public URL and no other `TRIBUNE__` setting.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tribune"));
        for (k, _) in std::env::vars() {
            if k.starts_with("TRIBUNE__") {
                cmd.env_remove(k);
            }
        }
        cmd.args(args)
            .env("TRIBUNE__DATABASE__URL", &self.db_url)
            .env("TRIBUNE__SERVER__PUBLIC_URL", &self.public_url)
            .env("RUST_LOG", "warn");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run with `input` as standard input.
    pub async fn run_with_input(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut cmd = self.command(args);
        let input = input.map(str::to_owned);
        let out = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            cmd.stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut child = cmd.spawn().expect("run tribune");
            let mut stdin = child.stdin.take().expect("stdin");
            if let Some(input) = input {
                stdin.write_all(input.as_bytes()).expect("write stdin");
            }
            drop(stdin);
            child.wait_with_output().expect("run tribune")
        })
        .await
        .unwrap();
        Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert_eq!(out.code, Some(0), "tribune {args:?}: {}", out.stderr);
        out.stdout
    }
}

/// Where the fixtures' coalition and statements live; a test puts its own server instead.
const FIXTURE_SERVER: &str = "https://example.org";

/// A Follow as tribune's Accept or Reject embeds it: its id, type, actor and object (as ids),
/// nothing else (SECURITY.md, attack 5).
pub fn embedded_follow(follow: &Value) -> Value {
    let id = |v: &Value| match v {
        Value::Object(o) => o.get("id").cloned().unwrap_or(Value::Null),
        v => v.clone(),
    };
    json!({"id": follow["id"], "type": follow["type"], "actor": id(&follow["actor"]),
           "object": id(&follow["object"])})
}

/// An activity as a real server sends it: `tests/fixtures/SERVER/NAME.json`, which names the
/// source its shape was read from. `None` when that server sends no such activity.
pub fn fixture(server: &str, name: &str) -> Option<Value> {
    let path = format!(
        "{}/tests/fixtures/{server}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).expect("fixtures are JSON");
    assert!(
        v["source"].as_str().is_some_and(|s| !s.is_empty()),
        "{server}/{name} names its source"
    );
    Some(v["activity"].clone())
}

/// A running server on a fresh database, its command line, and a peer that signs as Mastodon
/// does, with a client of the peer's that reaches the server as `localhost`.
pub struct World {
    pub app: TestApp,
    pub db: TestDb,
    pub cli: Cli,
    pub peer: Peer,
    pub client: reqwest::Client,
    /// The coalition's actor id.
    pub coalition: String,
    /// A folder for the files a test writes (statements, images).
    pub dir: tempfile::TempDir,
}

impl World {
    /// A server with the `extra` settings, and a peer with the actors `names`.
    pub async fn start(backend: Backend, extra: &str, names: &[&str]) -> World {
        World::with_peer(backend, extra, Peer::start(names).await).await
    }

    pub async fn with_peer(backend: Backend, extra: &str, peer: Peer) -> World {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, extra).await;
        let cli = Cli::for_app(&db, &app);
        let client = peer.client(&[("localhost", app.addr)]);
        let coalition = format!("{}/ap/coalition", app.base);
        World {
            app,
            db,
            cli,
            peer,
            client,
            coalition,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Stop the server and start it again on the same port and database, with `extra`.
    pub async fn restart(&mut self, extra: &str) {
        self.app.restart(&self.db, extra).await;
    }

    /// Write `text` to the file `name` in the test's folder, and return its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a test file");
        path.display().to_string()
    }

    /// The coalition's inbox, where Mastodon sends what is for the coalition alone.
    pub fn inbox(&self) -> String {
        format!("{}/inbox", self.coalition)
    }

    /// The server's shared inbox, where Mastodon sends what it addresses to several actors.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.app.base)
    }

    /// POST `activity` to `inbox`, signed by the actor `name` of `peer` as Mastodon signs.
    pub async fn post(
        &self,
        peer: &Peer,
        name: &str,
        inbox: &str,
        activity: &Value,
    ) -> reqwest::Response {
        peer.post(&self.client, name, inbox, activity.to_string().as_bytes())
            .await
    }

    /// POST `activity` to the coalition's inbox, signed by `name` of the world's peer.
    pub async fn send(&self, name: &str, activity: &Value) -> reqwest::Response {
        self.post(&self.peer, name, &self.inbox(), activity).await
    }

    /// POST `activity` to the shared inbox, signed by `name` of the world's peer.
    pub async fn send_shared(&self, name: &str, activity: &Value) -> reqwest::Response {
        self.post(&self.peer, name, &self.shared_inbox(), activity)
            .await
    }

    /// A Follow of the coalition by `name` of `peer`, as Mastodon sends it; `n` tells apart
    /// the Follows of one actor.
    pub fn follow(&self, peer: &Peer, name: &str, n: u32) -> Value {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/{n}", peer.actor_id(name)),
            "type": "Follow",
            "actor": peer.actor_id(name),
            "object": self.coalition,
        })
    }

    /// `name` of `peer` follows the coalition, and the Accept reaches its personal inbox.
    pub async fn followed_by(&self, peer: &Peer, name: &str) {
        let follow = self.follow(peer, name, 0);
        let res = self.post(peer, name, &self.inbox(), &follow).await;
        assert_eq!(res.status(), 202, "the Follow of {name}");
        peer.wait_for(&format!("/users/{name}/inbox"), 1, WAIT)
            .await;
    }

    /// The coalition's public key, as its actor document publishes it.
    pub async fn pem(&self) -> String {
        self.app.get_ap(&self.coalition).await["publicKey"]["publicKeyPem"]
            .as_str()
            .expect("a publicKeyPem")
            .to_owned()
    }

    /// The first page of the coalition's followers, newest first.
    pub async fn followers(&self) -> Value {
        self.app
            .get_ap(&format!("{}/followers?page=1", self.coalition))
            .await["orderedItems"]
            .clone()
    }

    /// `totalItems` of the coalition's followers collection.
    pub async fn follower_count(&self) -> Value {
        self.app
            .get_ap(&format!("{}/followers", self.coalition))
            .await["totalItems"]
            .clone()
    }

    /// Wait until no delivery is left pending: whatever the server queued has reached the
    /// peers (or been given up), so that what they received is all they will receive.
    pub async fn deliveries_drained(&self) {
        eventually("every queued delivery is finished", WAIT, async || {
            self.db
                .count("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'")
                .await
                == 0
        })
        .await;
    }

    /// `server`'s fixture `name`, as the peer's actor `server` sends it to this server: the
    /// fixture's account (the actor of its Follow) becomes that actor, other URLs on the
    /// fixture's server become the peer's, and the fixtures' coalition and statements become
    /// this server's.
    pub fn fixture(&self, server: &str, name: &str) -> Option<Value> {
        let activity = fixture(server, name)?;
        let follow = fixture(server, "follow").expect("every server's fixtures have a Follow");
        let account = follow["actor"].as_str().expect("the Follow's actor");
        // The fixture's server becomes the peer: its account, then every other id on it
        // (activity and object ids are on their actor's server, docs/interop.md §9).
        let origin = url::Url::parse(account)
            .expect("the account is a URL")
            .origin()
            .ascii_serialization();
        let text = activity
            .to_string()
            .replace(account, &self.peer.actor_id(server))
            .replace(&format!("\"{origin}/"), &format!("\"{}/", self.peer.base))
            .replace(&format!("{FIXTURE_SERVER}/ap/coalition"), &self.coalition)
            .replace(
                &format!("{FIXTURE_SERVER}/statements/"),
                &format!("{}/statements/", self.app.base),
            );
        Some(serde_json::from_str(&text).expect("still JSON"))
    }
}

/// A CLI list's rows: its lines after the header, without the `none` of an empty list.
pub fn rows(listed: &str) -> Vec<&str> {
    listed.lines().skip(1).filter(|l| *l != "none").collect()
}
