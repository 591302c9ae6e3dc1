//! The subcommands' arguments: each command group's actions, with their help texts.

use std::path::PathBuf;

use clap::Subcommand;

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
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
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
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum RelayCommand {
    /// Posts held for moderation: post id, author, reason, received.
    Pending {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Relay a held post.
    Approve { post: String },
    /// Drop a held post.
    Reject { post: String },
    /// Relays made: post id, member, relayed, state.
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
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
        /// The signer (actor URL or handle), or the Announce id.
        actor: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift the hiding of an actor's signatures of a statement.
    Unhide {
        slug: String,
        /// The signer (actor URL or handle).
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
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Follows waiting for approval (coalition.manually_approves_followers).
    Pending {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
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
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
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
    /// A domain, with its subdomains (never this server's): blocking it removes its actors,
    /// with their follows; members it covers need --yes.
    Domain {
        #[command(subcommand)]
        action: BlockAction,
    },
    /// One actor, by URL or handle; blocking it removes it as a follower.
    Actor {
        #[command(subcommand)]
        action: BlockAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum BlockAction {
    Add {
        value: String,
        /// Block even when the block covers members.
        #[arg(long)]
        yes: bool,
    },
    Remove {
        value: String,
    },
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}
