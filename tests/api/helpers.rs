//! Start the real server on a loopback port with a fresh database, and talk to it over HTTP.

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU32, Ordering},
};

use figment::{
    Figment,
    providers::{Format, Toml},
};
use reqwest::{Response, header};
use serde_json::Value;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tribune::{
    config::{DEFAULT_TOML, Settings},
    startup::Application,
};

pub const AP_ACCEPT: &str = "application/activity+json, application/ld+json";
pub const LD_ACCEPT: &str =
    r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;
pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

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
    pub async fn restart(mut self, db: &TestDb, extra: &str) -> TestApp {
        self.stop().await;
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("rebind the same port");
        Self::spawn_on(db, extra, listener).await
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
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("run tribune"))
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
