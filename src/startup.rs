//! Build the application: database, migrations, the coalition's keys, the router; bind the
//! listener first so that tests can start the real server on port 0.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;

use activitypub_federation::config::FederationConfig;

use crate::{
    app::{self, background, database_files, local_actor::LocalActor},
    config::Settings,
    db::{self, Db},
    media::{self, ImageRole},
    metrics::Metrics,
    protocol::coalition::{Coalition, CoalitionParts, CoalitionUrls},
    state::AppState,
    transport::{
        breaker::Hosts,
        client::{delivery_client, guarded},
        delivery::DeliveryWorker,
        key_cache::KeyCache,
        keyring::{self, Keyring},
        limits::{Cooldown, InboxLimits, RateLimiter},
        wakeup::Wakeup,
    },
};

/// How long after refetching an actor (its signature failed with the stored key) another
/// failure does not refetch it again.
const REFETCH_PERIOD: std::time::Duration = std::time::Duration::from_secs(180);

/// `tribune/VERSION (+PUBLIC_URL)`, sent with every request we make.
pub fn user_agent(settings: &Settings) -> String {
    format!(
        "tribune/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        settings.server.public_url.url()
    )
}

/// Open the database (migrating it) and load the coalition, for a command that does not
/// serve.
pub async fn open_state(settings: Settings) -> anyhow::Result<AppState> {
    let images = load_images(&settings)?;
    load_state(settings, images, COMMAND_WAIT).await
}

/// How long a command waits for a database connection before saying it is out of reach.
const COMMAND_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The coalition's avatar and header as configured: a command checks them first
/// (`tribune doctor` reports them under the configuration).
pub fn check_images(settings: &Settings) -> anyhow::Result<()> {
    load_images(settings).map(|_| ())
}

async fn load_state(
    settings: Settings,
    (avatar, header): (media::Image, media::Image),
    wait: std::time::Duration,
) -> anyhow::Result<AppState> {
    let db = Db::connect_within(&settings.database, wait).await?;
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
            let pair = tokio::task::spawn_blocking(keyring::generate_rsa_2048)
                .await
                .context("key generation task")?
                .context("generating the coalition's key pair")?;
            db::local_actor::insert_if_absent(&db, &pair.public_key_pem, &pair.private_key_pem)
                .await?
        }
    };
    // Beside the RSA pair, the Ed25519 key that signs the ledgers' heads (docs/ledger.md).
    let urls = CoalitionUrls::new(&settings.server.public_url, &settings.coalition.username)
        .context("building the coalition's URLs from server.public_url")?;
    let assertion_key = app::ledger::adopt_key(&db, &urls).await?;
    let coalition = Coalition::new(
        &settings.coalition,
        &settings.server.public_url,
        CoalitionParts {
            avatar,
            header,
            public_key_pem: row.public_key_pem,
            private_key_pem: row.private_key_pem,
            assertion_key,
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
    let admin_token_hash = settings.admin.token().map(crate::util::token_hash);
    // On PostgreSQL, where several processes may serve one instance, every limit on what
    // peers and visitors send is counted with the others (`transport::shared_windows`).
    let shared = |per_minute: u32, name: &'static str| match &db {
        Db::Postgres(_) => RateLimiter::new(per_minute).shared(db.clone(), name, per_minute),
        Db::Sqlite(_) => RateLimiter::new(per_minute),
    };
    let rate = Arc::new(shared(settings.cosign.max_per_actor_per_minute, "actor"));
    let allow_private = settings.federation.allow_private_addresses;
    let http = guarded(
        delivery_client(&settings.delivery, allow_private, &user_agent(&settings))
            .context("building the HTTP client")?,
        allow_private,
    );
    let inbox_limits = Arc::new(InboxLimits {
        per_host: shared(settings.inbox.max_per_host_per_minute, "inbox_host"),
        per_ip: shared(settings.inbox.max_per_ip_per_minute, "inbox_address"),
        in_process: tokio::sync::Semaphore::new(settings.inbox.max_concurrent),
    });
    let hosts = Arc::new(Hosts::new(&settings.delivery, Some(db.clone())));
    Ok(AppState::new(crate::state::Shared {
        metrics: Arc::new(Metrics::default()),
        worker_heartbeat: Arc::new(std::sync::atomic::AtomicI64::new(0)),
        #[cfg(feature = "bench")]
        bench_skip_signature_crypto: Arc::default(),
        response_cache: Default::default(),
        previews: Default::default(),
        inbox_limits,
        http,
        rate,
        logins: Arc::new(shared(settings.admin.login_attempts_per_minute, "login")),
        admin_token_hash,
        settings: Arc::new(settings),
        db,
        coalition: Arc::new(coalition),
        keyring: Arc::new(keyring),
        keys: KeyCache::default(),
        refetches: Cooldown::new(REFETCH_PERIOD),
        wakeup: Wakeup::default(),
        log_copied: std::sync::atomic::AtomicBool::default(),
        hosts,
    }))
}

/// How long a stopping server waits for the inbox's applier to finish and close its
/// connection before it closes the pool.
const APPLIER_ENDS_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

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
        let addr = settings.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| crate::config::ConfigError::Bind { addr, source })?;
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
        let state = load_state(settings, images, std::time::Duration::from_secs(10)).await?;
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

    /// The federation crate's configuration the server runs with.
    pub fn federation(&self) -> &FederationConfig<AppState> {
        &self.federation
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
            allow_private_addresses: state.settings.federation.allow_private_addresses,
            wakeup: state.wakeup.clone(),
            heartbeat: state.worker_heartbeat.clone(),
            metrics: state.metrics.clone(),
            hosts: state.hosts.clone(),
        };
        let notifications = match db.sqlite_file() {
            None => background::listen_for_wakeups(state.clone(), stop_rx.clone()),
            Some(file) => {
                tokio::spawn(background::checkpoint_sqlite(
                    state.clone(),
                    stop_rx.clone(),
                ));
                Some(tokio::spawn(database_files::watch_sqlite_files(
                    file,
                    state.clone(),
                    stop_rx.clone(),
                )))
            }
        };
        let refreshes = tokio::spawn(background::refresh_counts(state.clone(), stop_rx.clone()));
        let key_watch = tokio::spawn(background::watch_keys(state.clone(), stop_rx.clone()));
        let pruning = tokio::spawn(background::prune(state.clone(), stop_rx.clone()));
        let worker = tokio::spawn(worker.run(stop_rx));
        let limits = crate::http::server::Limits {
            header_timeout: std::time::Duration::from_secs(
                state.settings.server.header_timeout_seconds,
            ),
            per_address: state.settings.server.max_connections_per_address,
        };
        // The inbox's applier, with a connection of its own on SQLite (`Db::writer`). It
        // ends, closing that connection, once the last request holding it is done; the pool
        // is closed after that, so that the applier's last batch is committed before and its
        // connection closes with the server rather than after it.
        let (applier, applier_ended) =
            crate::federation::applier::Applier::start(federation.clone(), db.writer());
        let app = crate::http::router(state, &federation, applier);
        let served = crate::http::server::serve(listener, app, shutdown, limits).await;
        let _ = stop_tx.send(true);
        if let Err(e) = worker.await {
            tracing::error!(error = %e, "the delivery worker ended badly");
        }
        let _ = refreshes.await;
        let _ = key_watch.await;
        let _ = pruning.await;
        if let Some(notifications) = notifications {
            notifications.abort();
        }
        // A request that outlived the server's drain may still hold the applier.
        let _ = tokio::time::timeout(APPLIER_ENDS_WITHIN, applier_ended).await;
        db.close().await;
        served
    }
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
        // after 10 s, docs/interop.md §7): keep them well under that.
        .timeout(std::time::Duration::from_secs(5))
        .connect_timeout(std::time::Duration::from_secs(5))
        .user_agent(user_agent(settings))
        .dns_resolver(crate::transport::resolver::resolver(allow_private))
        .build()
        .context("building the HTTP client")?;
    let config = FederationConfig::builder()
        .domain(settings.server.public_url.authority())
        .app_data(state.clone())
        // `debug` lets the crate reach http URLs with ports and local addresses: only when
        // federation.allow_private_addresses is set (tests and local demos).
        .debug(allow_private)
        .allow_http_urls(allow_private || settings.server.public_url.url().scheme() == "http")
        // Sign `date`, not `(created)`: Mastodon and others expect it (docs/interop.md §2).
        .http_signature_compat(true)
        .request_timeout(std::time::Duration::from_secs(5))
        // Fetches one incoming request may cause: its actor, a document that names another
        // id once, a Move's target. The crate's default, 20, let one request cause 20 slow
        // GETs (SECURITY.md, attack 16).
        .http_fetch_limit(4)
        .client(guarded(client, allow_private))
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
