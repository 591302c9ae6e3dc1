//! Build the application: database, migrations, the coalition's keys, the router; bind the
//! listener first so that tests can start the real server on port 0.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    config::Settings,
    db::{self, Db},
    federation::{
        keys,
        objects::coalition::{Coalition, CoalitionParts},
    },
    media::{self, ImageRole},
};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub coalition: Arc<Coalition>,
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
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
        (avatar, header): (media::Image, media::Image),
    ) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database).await?;
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
        let state = AppState {
            settings: Arc::new(settings),
            db,
            coalition: Arc::new(coalition),
        };
        Ok(Application { listener, state })
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
        let Application { listener, state } = self;
        let db = state.db.clone();
        let app = crate::http::router(state);
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        db.close().await;
        served
    }
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
