//! Build the application: database, migrations, the coalition's keys, the router; bind the
//! listener first so that tests can start the real server on port 0.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;

use activitypub_federation::config::FederationConfig;

use crate::{
    config::Settings,
    db::{self, Db},
    federation::{
        delivery::{DeliveryWorker, Wakeup, delivery_client},
        inbox::KeyCache,
        keys::{self, Keyring},
        objects::coalition::{Coalition, CoalitionParts, LocalActor},
    },
    media::{self, ImageRole},
};

/// `tribune/VERSION (+PUBLIC_URL)`, sent with every request we make.
pub fn user_agent(settings: &Settings) -> String {
    format!(
        "tribune/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        settings.server.public_url.url()
    )
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub coalition: Arc<Coalition>,
    /// Our key pair, parsed once, replaced in place on rotation.
    pub keyring: Arc<Keyring>,
    /// Remote public keys, parsed once.
    pub keys: KeyCache,
    /// Tells the delivery workers that rows were queued.
    pub wakeup: Wakeup,
    /// SHA-256 of `admin.token`, when the admin API is on.
    pub admin_token_hash: Option<[u8; 32]>,
    /// Per-actor limits on boosts, likes and undos.
    pub rate: Arc<crate::federation::inbox::RateLimiter>,
    /// Inbox limits: per remote host, per client address, and activities in process.
    pub inbox_limits: Arc<InboxLimits>,
    /// When the delivery workers last went round their loop (ms since the epoch; 0 when
    /// not running).
    pub worker_heartbeat: Arc<std::sync::atomic::AtomicI64>,
    /// Counters for /metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// For the few GETs we make ourselves (NodeInfo); actors go through the federation crate.
    pub http: reqwest::Client,
    /// Rendered statements, while nothing changed (`http::cache`).
    pub response_cache: crate::http::cache::ResponseCache,
    /// For the benchmark only, reached by no setting and no request: when true, the inbox
    /// skips the cryptographic check of signatures (everything else is done), so that the
    /// cost of verification can be measured as a ratio (BENCHMARKS.md, B4).
    #[doc(hidden)]
    pub bench_skip_signature_crypto: Arc<std::sync::atomic::AtomicBool>,
}

/// How long a loop waiting on `Wakeup` sleeps at most, should a change go unseen (a
/// PostgreSQL listener reconnecting, say).
const FALLBACK_POLL: std::time::Duration = std::time::Duration::from_secs(30);

impl AppState {
    /// The delivery workers went round their loop within the last 10 seconds.
    pub fn workers_alive(&self) -> bool {
        let beat = self
            .worker_heartbeat
            .load(std::sync::atomic::Ordering::Relaxed);
        beat > 0 && crate::federation::delivery::now_ms() - beat < 10_000
    }

    /// Open the database (migrating it) and load the coalition, for a command that does not
    /// serve.
    pub async fn open(settings: Settings) -> anyhow::Result<AppState> {
        let images = load_images(&settings)?;
        Self::load(settings, images).await
    }

    async fn load(
        settings: Settings,
        (avatar, header): (media::Image, media::Image),
    ) -> anyhow::Result<AppState> {
        let db = Db::connect(&settings.database).await?;
        for domain in &settings.federation.blocked_domains {
            db::blocks::purge(&db, db::blocks::BlockKind::Domain, domain).await?;
        }
        for actor in &settings.federation.blocked_actors {
            db::blocks::purge(&db, db::blocks::BlockKind::Actor, actor.as_str()).await?;
        }
        let row = match db::local_actor::get(&db).await? {
            Some(row) => row,
            None => {
                tracing::info!("first start: generating the coalition's RSA-2048 key pair");
                let pair = tokio::task::spawn_blocking(keys::generate_rsa_2048)
                    .await
                    .context("key generation task")?
                    .context("generating the coalition's key pair")?;
                db::local_actor::insert_if_absent(&db, &pair.public_key_pem, &pair.private_key_pem)
                    .await?
            }
        };
        let coalition = Coalition::new(
            &settings.coalition,
            &settings.server.public_url,
            CoalitionParts {
                avatar,
                header,
                public_key_pem: row.public_key_pem,
                private_key_pem: row.private_key_pem,
                published: row.created_at,
            },
        )
        .context("building the coalition's URLs from server.public_url")?;
        let keyring = Keyring::new(
            coalition.urls.key_id.clone(),
            &coalition.public_key_pem,
            coalition.private_key_pem(),
        )
        .context("reading the coalition's private key")?;
        let admin_token_hash = settings.admin.token().map(crate::http::admin::token_hash);
        let rate = Arc::new(crate::federation::inbox::RateLimiter::new(
            settings.cosign.max_per_actor_per_minute,
        ));
        let http = delivery_client(
            &settings.delivery,
            settings.federation.allow_private_addresses,
            &user_agent(&settings),
        )
        .context("building the HTTP client")?;
        let inbox_limits = Arc::new(InboxLimits {
            per_host: crate::federation::inbox::RateLimiter::new(
                settings.inbox.max_per_host_per_minute,
            ),
            per_ip: crate::federation::inbox::RateLimiter::new(
                settings.inbox.max_per_ip_per_minute,
            ),
            in_process: tokio::sync::Semaphore::new(settings.inbox.max_concurrent),
        });
        Ok(AppState {
            metrics: Arc::new(crate::metrics::Metrics::default()),
            worker_heartbeat: Arc::new(std::sync::atomic::AtomicI64::new(0)),
            bench_skip_signature_crypto: Arc::default(),
            response_cache: Default::default(),
            inbox_limits,
            http,
            rate,
            admin_token_hash,
            settings: Arc::new(settings),
            db,
            coalition: Arc::new(coalition),
            keyring: Arc::new(keyring),
            keys: KeyCache::default(),
            wakeup: Wakeup::default(),
        })
    }
}

#[derive(Debug)]
pub struct InboxLimits {
    pub per_host: crate::federation::inbox::RateLimiter,
    pub per_ip: crate::federation::inbox::RateLimiter,
    pub in_process: tokio::sync::Semaphore,
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    federation: FederationConfig<AppState>,
}

impl Application {
    /// Bind `server.listen`, then build.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // Check the images before anything else: a bad path is a configuration error.
        let images = load_images(&settings)?;
        let listener = TcpListener::bind(settings.server.listen)
            .await
            .with_context(|| format!("server.listen: cannot bind {}", settings.server.listen))?;
        Self::build_with(settings, listener, images).await
    }

    /// Build on a listener the caller has bound (tests bind port 0 and set the public URL
    /// from the port they got).
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let images = load_images(&settings)?;
        Self::build_with(settings, listener, images).await
    }

    async fn build_with(
        settings: Settings,
        listener: TcpListener,
        images: (media::Image, media::Image),
    ) -> anyhow::Result<Application> {
        let state = AppState::load(settings, images).await?;
        let federation = federation_config(&state, LocalActor(state.coalition.clone())).await?;
        Ok(Application {
            listener,
            state,
            federation,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until `shutdown` completes, then finish in-flight requests and close the pool.
    pub async fn run_until<F>(self, shutdown: F) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Application {
            listener,
            state,
            federation,
        } = self;
        let db = state.db.clone();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = DeliveryWorker {
            db: db.clone(),
            keys: state.keyring.clone(),
            client: delivery_client(
                &state.settings.delivery,
                state.settings.federation.allow_private_addresses,
                &user_agent(&state.settings),
            )
            .map_err(std::io::Error::other)?,
            settings: state.settings.delivery.clone(),
            wakeup: state.wakeup.clone(),
            heartbeat: state.worker_heartbeat.clone(),
            metrics: state.metrics.clone(),
        };
        let notifications = match &db {
            Db::Postgres(_) => listen_for_wakeups(&db, state.clone(), stop_rx.clone()),
            Db::Sqlite(pool) => Some(tokio::spawn(watch_sqlite_files(
                pool.connect_options().get_filename().to_owned(),
                state.clone(),
                stop_rx.clone(),
            ))),
        };
        let refreshes = tokio::spawn(refresh_counts(state.clone(), stop_rx.clone()));
        let key_watch = tokio::spawn(watch_keys(state.clone(), stop_rx.clone()));
        let worker = tokio::spawn(worker.run(stop_rx));
        let app = crate::http::router(state, federation);
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        let _ = stop_tx.send(true);
        if let Err(e) = worker.await {
            tracing::error!(error = %e, "the delivery worker ended badly");
        }
        let _ = refreshes.await;
        let _ = key_watch.await;
        if let Some(notifications) = notifications {
            notifications.abort();
        }
        db.close().await;
        served
    }
}

/// Pick up a key stored by `tribune keys rotate` (in another process) once the database
/// tells us it changed.
async fn watch_keys(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut changes = state.wakeup.subscribe();
    loop {
        match db::local_actor::get(&state.db).await {
            Ok(Some(row)) => match state
                .keyring
                .replace(&row.public_key_pem, &row.private_key_pem)
            {
                Ok(true) => {
                    tracing::info!("the coalition's key was rotated: now signing with the new one");
                    // The cached actor document carries the old key.
                    state.wakeup.notify();
                }
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "the stored key cannot be read"),
            },
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "checking the coalition's key"),
        }
        tokio::select! {
            _ = changes.changed() => {},
            () = tokio::time::sleep(FALLBACK_POLL) => {},
            _ = stop.changed() => return,
        }
    }
}

/// Send count refreshes of statements when they are due: sleep until the earliest, or
/// until the database changes (a refresh asked for meanwhile).
async fn refresh_counts(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut changes = state.wakeup.subscribe();
    loop {
        if let Err(e) = crate::federation::cosign::send_due_refreshes(&state).await {
            tracing::error!(error = %e, "sending count refreshes failed");
        }
        let wait = match db::cosign::next_refresh_ms(&state.db).await {
            Ok(Some(due)) => std::time::Duration::from_millis(
                u64::try_from(due - crate::federation::delivery::now_ms()).unwrap_or(0),
            )
            .min(FALLBACK_POLL),
            Ok(None) => FALLBACK_POLL,
            Err(e) => {
                tracing::warn!(error = %e, "reading the next count refresh");
                FALLBACK_POLL
            }
        };
        tokio::select! {
            _ = changes.changed() => {},
            () = tokio::time::sleep(wait.max(std::time::Duration::from_millis(100))) => {},
            _ = stop.changed() => return,
        }
    }
}

/// On SQLite, other processes (a CLI command, another `serve` on the same file) write to
/// the same files: look at their size and time four times a second — a `stat`, not a
/// query — and tell the loops when they changed.
async fn watch_sqlite_files(
    path: std::path::PathBuf,
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    let files = [path, std::path::PathBuf::from(wal)];
    let stamp = || {
        files
            .iter()
            .map(|f| {
                std::fs::metadata(f)
                    .ok()
                    .map(|m| (m.len(), m.modified().ok()))
            })
            .collect::<Vec<_>>()
    };
    let mut last = stamp();
    loop {
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_millis(250)) => {},
            _ = stop.changed() => return,
        }
        let now = stamp();
        if now != last {
            last = now;
            state.wakeup.notify();
        }
    }
}

/// On PostgreSQL, other processes (another `serve`, a CLI command) NOTIFY when they queue
/// deliveries: wake our workers at once rather than at the next poll.
fn listen_for_wakeups(
    db: &Db,
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let Db::Postgres(pool) = db else { return None };
    let pool = pool.clone();
    Some(tokio::spawn(async move {
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for deliveries; polling instead");
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(db::deliveries::WAKEUP_CHANNEL).await {
                tracing::warn!(error = %e, "cannot LISTEN for deliveries; polling instead");
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                continue;
            }
            loop {
                tokio::select! {
                    n = listener.recv() => match n {
                        Ok(_) => state.wakeup.notify(),
                        Err(e) => {
                            tracing::warn!(error = %e, "LISTEN connection lost");
                            break;
                        }
                    },
                    _ = stop.changed() => return,
                }
            }
        }
    }))
}

/// The federation crate's request data, for commands that fetch remote actors without
/// serving.
pub async fn federation_data(
    state: &AppState,
) -> anyhow::Result<activitypub_federation::config::Data<AppState>> {
    let config = federation_config(state, LocalActor(state.coalition.clone())).await?;
    Ok(config.to_request_data())
}

/// The federation crate's configuration: it fetches remote actors for us (signed with our
/// key, bounded in size and time, ids checked) and serves WebFinger helpers.
async fn federation_config(
    state: &AppState,
    local: LocalActor,
) -> anyhow::Result<FederationConfig<AppState>> {
    let settings = &state.settings;
    let allow_private = settings.federation.allow_private_addresses;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Fetches of actors happen while a sender waits for our answer (Mastodon gives up
        // after 10 s, mastodon-interop.md §7): keep them well under that.
        .timeout(std::time::Duration::from_secs(5))
        .connect_timeout(std::time::Duration::from_secs(5))
        .user_agent(user_agent(settings))
        .dns_resolver(crate::federation::resolver::resolver(allow_private))
        .build()
        .context("building the HTTP client")?;
    let config = FederationConfig::builder()
        .domain(settings.server.public_url.authority())
        .app_data(state.clone())
        // `debug` lets the crate reach http URLs with ports and local addresses: only when
        // federation.allow_private_addresses is set (tests and local demos).
        .debug(allow_private)
        .allow_http_urls(allow_private || settings.server.public_url.url().scheme() == "http")
        // Sign `date`, not `(created)`: Mastodon and others expect it (federation-crate.md).
        .http_signature_compat(true)
        .request_timeout(std::time::Duration::from_secs(5))
        .client(reqwest_middleware::ClientWithMiddleware::from(client))
        .signed_fetch_actor(&local)
        .build()
        .await
        .context("configuring federation")?;
    Ok(config)
}

fn load_images(settings: &Settings) -> anyhow::Result<(media::Image, media::Image)> {
    let c = &settings.coalition;
    Ok((
        media::load(ImageRole::Avatar, c.avatar.as_deref(), &c.avatar_alt)?,
        media::load(ImageRole::Header, c.header.as_deref(), &c.header_alt)?,
    ))
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
