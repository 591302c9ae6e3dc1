//! The command line: `tribune [--config FILE] <command>`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::{
    config::{Settings, Sources},
    startup::{Application, shutdown_signal},
};

/// `println!` for the CLI's output: a closed pipe ends the command quietly instead of a
/// panic (`output::line`).
macro_rules! out {
    () => {
        $crate::cli::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::line(format_args!($($arg)*))
    };
}

mod accounts;
mod args;
pub use args::*;
mod admin;
mod archive;
mod cosigners;
mod deliveries;
mod doctor;
mod examples;
mod failure;
pub use failure::Failure;
use failure::{classify, environment};
mod ledger;
mod members;
pub mod output;
mod signatories;
pub use signatories::SignatoriesCommand;
mod statement;

#[derive(Debug, Parser)]
#[command(
    name = "tribune",
    version,
    about = "A coalition's voice on the fediverse"
)]
pub struct Cli {
    /// A TOML file layered over the defaults (config/default.toml); TRIBUNE__SECTION__KEY
    /// environment variables override both.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More log lines on standard error: -v for info, -vv for debug. Commands other than
    /// `serve` log only warnings and errors by default; RUST_LOG overrides both.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Write the whole state (statements, versions, followers, members, co-signatures with
    /// their ledger, relays, blocks) as one JSON archive; the key pair only if asked.
    #[command(after_help = examples::EXPORT)]
    Export {
        /// Include the coalition's private key (keep the archive secret then).
        #[arg(long)]
        include_keys: bool,
        /// Where to write; standard output by default.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Load an archive into an empty database (either backend): the SQLite → PostgreSQL move.
    #[command(after_help = examples::IMPORT)]
    Import {
        /// The archive, as `tribune export` wrote it.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Accept that an archive exported without its keys gives the coalition a new key
        /// pair: a new identity, whose signatures followers' servers must fetch again.
        #[arg(long)]
        new_keys: bool,
    },
    /// Check the configuration, the database, the clock and the WebFinger loop-back through
    /// server.public_url (with the server running), and say what to fix.
    Doctor,
    /// Publish and manage statements.
    #[command(after_help = examples::STATEMENT)]
    Statement {
        #[command(subcommand)]
        action: StatementCommand,
    },
    /// The roster of member organisations.
    #[command(after_help = examples::MEMBERS)]
    Members {
        #[command(subcommand)]
        action: MembersCommand,
    },
    /// Posts addressed to the coalition that wait for an admin, and relays.
    #[command(after_help = examples::RELAY)]
    Relay {
        #[command(subcommand)]
        action: RelayCommand,
    },
    /// Co-signers of a statement: export, verify the ledger, hide a signature.
    #[command(after_help = examples::COSIGNERS)]
    Cosigners {
        #[command(subcommand)]
        action: CosignersCommand,
    },
    /// Signatories the coalition gathered off the fediverse: record, remove, import, list.
    #[command(after_help = examples::SIGNATORIES)]
    Signatories {
        #[command(subcommand)]
        action: SignatoriesCommand,
    },
    /// A statement's ledger as one file, and the offline check of such a file.
    #[command(after_help = examples::LEDGER)]
    Ledger {
        #[command(subcommand)]
        action: LedgerCommand,
    },
    /// The delivery queue: each recent activity's progress, and each host's state; or retry
    /// a host now.
    #[command(args_conflicts_with_subcommands = true, after_help = examples::DELIVERIES)]
    Deliveries {
        #[command(subcommand)]
        action: Option<DeliveriesCommand>,
        /// Only this activity (its id URL), and the hosts it goes to.
        #[arg(long, value_name = "ID")]
        activity: Option<String>,
        /// How many activities and hosts (or failed deliveries) to show.
        #[arg(long, value_name = "N", default_value_t = 20)]
        limit: i64,
        /// List instead the refused and given-up deliveries, last ended first, one line per
        /// inbox: inbox, activity, state, attempts, last status, last error.
        #[arg(long)]
        failed: bool,
    },
    /// List and manage the coalition's followers.
    #[command(after_help = examples::FOLLOWERS)]
    Followers {
        #[command(subcommand)]
        action: FollowersCommand,
    },
    /// Actors the coalition follows (for instance member organisations).
    #[command(after_help = examples::FOLLOWING)]
    Following {
        #[command(subcommand)]
        action: FollowingCommand,
    },
    /// The coalition's key pair.
    #[command(after_help = examples::KEYS)]
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// The web admin's accounts: add, list, disable, reset (docs/admin.md).
    #[command(after_help = examples::ADMIN)]
    Admin {
        #[command(subcommand)]
        action: accounts::AdminCommand,
    },
    /// Block domains and actors: their activities get 403 and nothing of theirs is stored.
    #[command(after_help = examples::BLOCK)]
    Block {
        #[command(subcommand)]
        target: BlockTarget,
    },
}

impl Cli {
    pub async fn run(self) -> Result<(), Failure> {
        // The offline check reads no settings: it needs nothing but the file.
        if let Command::Ledger {
            action: LedgerCommand::Verify { file, key },
        } = &self.command
        {
            return ledger::verify(file, key.as_deref());
        }
        let sources = Sources {
            file: self.config.clone(),
            environment: true,
        };
        let settings = Settings::load(&sources).map_err(|e| Failure::Config(e.to_string()))?;
        let level = match (&self.command, self.verbose) {
            (Command::Serve, 0) | (_, 1) => "info,sqlx=warn",
            (_, 0) => "warn",
            _ => "debug",
        };
        init_logging(&settings, level);
        let audited = accounts::audited(&self.command);
        say_where(&sources, &settings, audited.is_some());
        let for_audit = audited.as_ref().map(|_| settings.clone());
        let url = settings.database.url.clone();
        let result = self
            .execute(settings)
            .await
            .map_err(|f| environment(f, &url));
        if let (Ok(()), Some((action, target)), Some(settings)) = (&result, audited, for_audit) {
            accounts::record(settings, action, target.as_deref()).await;
        }
        result
    }

    async fn execute(self, settings: Settings) -> Result<(), Failure> {
        match self.command {
            Command::Serve => serve(settings).await,
            Command::Doctor => doctor::run(settings).await,
            Command::Export {
                include_keys,
                output,
            } => archive::export(settings, include_keys, output).await,
            Command::Import { file, new_keys } => archive::import(settings, file, new_keys).await,
            Command::Statement { action } => statement::run(settings, action).await,
            Command::Members { action } => members::run(settings, action).await,
            Command::Relay { action } => members::relay(settings, action).await,
            Command::Cosigners { action } => cosigners::run(settings, action).await,
            Command::Signatories { action } => signatories::run(settings, action).await,
            Command::Ledger { action } => ledger::run(settings, action).await,
            Command::Deliveries {
                action,
                activity,
                limit,
                failed,
            } => deliveries::run(settings, action, activity, limit, failed).await,
            Command::Followers { action } => admin::followers(settings, action).await,
            Command::Following { action } => admin::following(settings, action).await,
            Command::Block { target } => admin::block(settings, target).await,
            Command::Admin { action } => accounts::run(settings, action).await,
            Command::Keys {
                action: KeysCommand::Rotate,
            } => admin::rotate_keys(settings).await,
        }
    }
}

/// On standard error: which coalition and database a change acts on, and any setting of the
/// `--config` file that the environment overrides (for every command: reading another
/// database is a surprise too).
fn say_where(sources: &Sources, settings: &Settings, changes: bool) {
    let file = sources
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_default();
    for (setting, variable) in sources.overridden() {
        eprintln!("note: {variable} in the environment overrides {setting} of {file}");
    }
    if changes {
        eprintln!(
            "acting on @{}@{} (database {})",
            settings.coalition.username.as_str(),
            settings.server.public_url.authority(),
            settings.database.shown()
        );
    }
}

async fn serve(settings: Settings) -> Result<(), Failure> {
    raise_open_files_limit(settings.delivery.concurrency);
    let app = Application::build(settings).await.map_err(classify)?;
    let addr = app.local_addr().map_err(|e| Failure::Other(e.into()))?;
    let c = &app.state().coalition;
    tracing::info!(
        listen = %addr,
        actor = %c.urls.actor,
        handle = %format!("@{}", c.handle()),
        database = app.state().db.backend(),
        "tribune is serving"
    );
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| Failure::Other(e.into()))
}

/// Every delivery in flight and every client connection holds a file descriptor: raise the
/// soft limit on open files to the hard limit (many systems start services with 1,024), and
/// say so when even that is short of what `delivery.concurrency` may need.
fn raise_open_files_limit(concurrency: usize) {
    let wanted = concurrency as u64 + 1024;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < wanted => tracing::warn!(
            limit,
            wanted,
            "the limit on open files is low for delivery.concurrency; raise it (LimitNOFILE= \
             in the systemd unit) or lower delivery.concurrency"
        ),
        Ok(limit) => tracing::debug!(limit, "limit on open files"),
        Err(e) => tracing::warn!(error = %e, "cannot read or raise the limit on open files"),
    }
}

/// Logs to standard error, text or JSON (`log.format`), from `level` up; `RUST_LOG` overrides
/// the level.
fn init_logging(settings: &Settings, level: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.log.format {
        crate::config::LogFormat::Json => builder.json().with_current_span(true).try_init(),
        crate::config::LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}
