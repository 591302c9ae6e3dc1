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
mod admin;
mod archive;
mod cosigners;
mod deliveries;
mod doctor;
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
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Write the whole state (statements, versions, followers, members, co-signatures with
    /// their ledger, relays, blocks) as one JSON archive; the key pair only if asked.
    Export {
        /// Include the coalition's private key (keep the archive secret then).
        #[arg(long)]
        include_keys: bool,
        /// Where to write; standard output by default.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Load an archive into an empty database (either backend): the SQLite → PostgreSQL move.
    Import { file: PathBuf },
    /// Check the configuration, the database, the clock and the WebFinger loop-back through
    /// server.public_url (with the server running), and say what to fix.
    Doctor,
    /// Publish and manage statements.
    Statement {
        #[command(subcommand)]
        action: StatementCommand,
    },
    /// The roster of member organisations.
    Members {
        #[command(subcommand)]
        action: MembersCommand,
    },
    /// Posts addressed to the coalition that wait for an admin, and relays.
    Relay {
        #[command(subcommand)]
        action: RelayCommand,
    },
    /// Co-signers of a statement: export, verify the ledger, hide a signature.
    Cosigners {
        #[command(subcommand)]
        action: CosignersCommand,
    },
    /// Signatories the coalition gathered off the fediverse: record, remove, import, list.
    Signatories {
        #[command(subcommand)]
        action: SignatoriesCommand,
    },
    /// A statement's ledger as one file, and the offline check of such a file.
    Ledger {
        #[command(subcommand)]
        action: LedgerCommand,
    },
    /// The delivery queue: each recent activity's progress, and each host's state; or retry
    /// a host now.
    #[command(args_conflicts_with_subcommands = true)]
    Deliveries {
        #[command(subcommand)]
        action: Option<DeliveriesCommand>,
        /// Only this activity, and the hosts it goes to.
        #[arg(long)]
        activity: Option<String>,
        /// How many activities and hosts (or failed deliveries) to show.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// List instead the refused and given-up deliveries, last ended first, one line per
        /// inbox: inbox, activity, state, attempts, last status, last error.
        #[arg(long)]
        failed: bool,
    },
    /// List and manage the coalition's followers.
    Followers {
        #[command(subcommand)]
        action: FollowersCommand,
    },
    /// Actors the coalition follows (for instance member organisations).
    Following {
        #[command(subcommand)]
        action: FollowingCommand,
    },
    /// The coalition's key pair.
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// The web admin's accounts: add, list, disable, reset (docs/admin.md).
    Admin {
        #[command(subcommand)]
        action: accounts::AdminCommand,
    },
    /// Block domains and actors: their activities get 403 and nothing of theirs is stored.
    Block {
        #[command(subcommand)]
        target: BlockTarget,
    },
}

#[derive(Debug, Subcommand)]
pub enum StatementCommand {
    /// Publish a statement file (Markdown with +++ TOML front matter); prints its id last.
    Publish {
        file: PathBuf,
        /// Show a progress bar until every follower inbox has it (needs `tribune serve`);
        /// exit 1 if any refused it or was given up, 75 if some are still pending at the
        /// timeout.
        #[arg(long)]
        wait: bool,
        /// With --wait: how long to wait for the deliveries, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 600, requires = "wait")]
        timeout: u64,
    },
    /// Replace a statement's text with a file's; followers get an Update.
    Edit { slug: String, file: PathBuf },
    /// Delete a statement; its URL answers 410 from then on and the slug is never reused.
    Delete { slug: String },
    /// Pin a statement on the profile (featured).
    Pin { slug: String },
    /// Unpin a statement.
    Unpin { slug: String },
    /// Statements, newest first: slug, state, version, published, title.
    List,
    /// What changed between two versions, language by language, as a unified diff.
    Diff {
        slug: String,
        /// The older version; by default the one before `--to`.
        #[arg(long, value_name = "N")]
        from: Option<i32>,
        /// The newer version; by default the current one.
        #[arg(long, value_name = "M")]
        to: Option<i32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Add a member organisation, by @user@host handle or actor URL (resolved and stored).
    Add { actor: String },
    /// Remove a member (with relay.undo_on_member_removal, its relays are withdrawn).
    Remove { actor: String },
    /// Members: actor id, handle, name, type, since.
    List,
}

#[derive(Debug, Subcommand)]
pub enum RelayCommand {
    /// Posts held for moderation: post id, author, reason, received.
    Pending,
    /// Relay a held post.
    Approve { post: String },
    /// Drop a held post.
    Reject { post: String },
    /// Relays made: post id, member, relayed, state.
    List,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum CosignersCommand {
    /// Current signatures (hidden ones marked), member organisations first.
    List {
        slug: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Recompute the statement's ledger chain, check its kept requests and its signed head;
    /// names the first broken entry, or the head.
    Verify { slug: String },
    /// Hide a signature from the public list (moderation); it stays in the ledger.
    Hide {
        slug: String,
        /// The signer's actor id, or the Announce id.
        actor: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift the hiding of an actor's signatures of a statement.
    Unhide {
        slug: String,
        /// The signer's actor id.
        actor: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Write the statement's whole ledger (entries, kept requests, signed head, the
    /// coalition's Ed25519 key) as one JSON file for `tribune ledger verify` (docs/ledger.md).
    Export {
        slug: String,
        /// Where to write; standard output by default.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check an exported ledger with no database and no network: the chain, the kept
    /// requests, and the signed head against the chain's end; names the first broken entry
    /// or the head.
    Verify {
        file: PathBuf,
        /// The coalition's publicKeyMultibase as you got it elsewhere (its actor document's
        /// assertionMethod, or a copy you kept): the file's embedded key must be this one.
        #[arg(long, value_name = "MULTIBASE")]
        key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// Send now every pending delivery to HOST (host or host:port), and again those given
    /// up; those refused for good stay refused.
    Retry { host: String },
}

#[derive(Debug, Subcommand)]
pub enum FollowersCommand {
    /// Accepted followers, newest first: actor id, handle, name, type, since.
    List,
    /// Follows waiting for approval (coalition.manually_approves_followers).
    Pending,
    /// Accept a pending follow.
    Approve { actor: String },
    /// Reject a pending follow.
    Reject { actor: String },
    /// Remove a follower; a Reject tells its server.
    Remove { actor: String },
}

#[derive(Debug, Subcommand)]
pub enum FollowingCommand {
    /// Follow an actor, by id URL or @user@host handle.
    Add { actor: String },
    /// Stop following an actor; an Undo tells its server.
    Remove { actor: String },
    /// Followed actors, newest first: actor id, state (accepted or pending), since.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Replace the key pair and send followers an Update with the new public key. A running
    /// server takes the new key within seconds; Follows that servers send again afterwards
    /// are accepted.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum BlockTarget {
    /// A domain, with its subdomains; blocking it removes its followers.
    Domain {
        #[command(subcommand)]
        action: BlockAction,
    },
    /// One actor, by its id URL; blocking it removes it as a follower.
    Actor {
        #[command(subcommand)]
        action: BlockAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum BlockAction {
    Add { value: String },
    Remove { value: String },
    List,
}

/// How a command ended, for the process exit code.
#[derive(Debug)]
pub enum Failure {
    /// A setting is wrong: exit code 78 (EX_CONFIG).
    Config(String),
    /// Anything else: exit code 1.
    Other(anyhow::Error),
    /// Not done yet, try again later (a wait that timed out): exit code 75 (EX_TEMPFAIL).
    Later(String),
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
        let settings = Settings::load(&Sources {
            file: self.config.clone(),
            environment: true,
        })
        .map_err(|e| Failure::Config(e.to_string()))?;
        init_logging(&settings);
        let audited = accounts::audited(&self.command);
        let for_audit = audited.as_ref().map(|_| settings.clone());
        let result = self.execute(settings).await;
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
            Command::Import { file } => archive::import(settings, file).await,
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

/// Configuration problems found while building (images, binding) keep their own exit code.
fn classify(e: anyhow::Error) -> Failure {
    if e.downcast_ref::<crate::config::ConfigError>().is_some() {
        Failure::Config(format!("{e:#}"))
    } else {
        Failure::Other(e)
    }
}

/// Logs to standard error, text or JSON (`log.format`); `RUST_LOG` overrides the level.
fn init_logging(settings: &Settings) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
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
