//! The subcommands' arguments: each command group's actions, with their help texts.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum StatementCommand {
    /// Write a statement file to fill in: the front matter's fields, explained, and a title
    /// and a section per coalition language (coalition.languages); it publishes as it is.
    New {
        /// The statement's slug, its URL path (/statements/SLUG): lower-case ASCII letters and
        /// digits in words joined by "-".
        #[arg(value_name = "SLUG")]
        slug: String,
        /// Write the template to FILE, which must not exist yet; standard output by default.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Publish a statement file (Markdown with +++ TOML front matter); prints its id last.
    Publish {
        /// The statement file (README.md, "Statements"); an image it names is relative to it.
        #[arg(value_name = "FILE")]
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
    Edit {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
        /// The statement file with the new text (its slug, if any, must be SLUG).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Delete a statement; its URL answers 410 from then on and the slug is never reused.
    Delete {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
    },
    /// Pin a statement on the profile (featured).
    Pin {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
    },
    /// Unpin a statement.
    Unpin {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
    },
    /// Statements, newest first: slug, state, version, published, title.
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// What changed between two versions, language by language, as a unified diff.
    Diff {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
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
    Add {
        /// An actor URL or a handle @user@host.
        #[arg(value_name = "ACTOR")]
        actor: String,
    },
    /// Remove a member (with relay.undo_on_member_removal, its relays are withdrawn).
    Remove {
        /// An actor URL or a handle @user@host.
        #[arg(value_name = "ACTOR")]
        actor: String,
    },
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
    Approve {
        /// The held post's id (its URL), as `tribune relay pending` lists it.
        #[arg(value_name = "POST")]
        post: String,
    },
    /// Drop a held post.
    Reject {
        /// The held post's id (its URL), as `tribune relay pending` lists it.
        #[arg(value_name = "POST")]
        post: String,
    },
    /// Relays made: post id, member, relayed, state.
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

/// How a list is written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// CSV with a header line, for a spreadsheet.
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum CosignersCommand {
    /// Current signatures (hidden ones marked), member organisations first.
    List {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
        /// How to write the list.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Recompute the statement's ledger chain, check its kept requests and its signed head;
    /// names the first broken entry, or the head.
    Verify {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
    },
    /// Hide a signature from the public list (moderation); it stays in the ledger.
    Hide {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
        /// The signer (an actor URL or a handle @user@host), or the Announce's id.
        #[arg(value_name = "ACTOR")]
        actor: String,
        /// Why it is hidden; the ledger shows only the reason's SHA-256.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Lift the hiding of an actor's signatures of a statement.
    Unhide {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
        /// The signer: an actor URL or a handle @user@host.
        #[arg(value_name = "ACTOR")]
        actor: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Write the statement's whole ledger (entries, kept requests, signed head, the
    /// coalition's Ed25519 key) as one JSON file for `tribune ledger verify` (docs/ledger.md).
    Export {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
        /// Where to write; standard output by default.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check an exported ledger with no database and no network: the chain, the kept
    /// requests, and the signed head against the chain's end; names the first broken entry
    /// or the head.
    Verify {
        /// The ledger file, as `tribune ledger export` wrote it.
        #[arg(value_name = "FILE")]
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
    Retry {
        /// The host, as `tribune deliveries` lists it: example.org or example.org:8443.
        #[arg(value_name = "HOST")]
        host: String,
    },
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
    Approve {
        /// An actor URL or a handle @user@host.
        #[arg(value_name = "ACTOR")]
        actor: String,
    },
    /// Reject a pending follow.
    Reject {
        /// An actor URL or a handle @user@host.
        #[arg(value_name = "ACTOR")]
        actor: String,
    },
    /// Remove a follower; a Reject tells its server.
    Remove {
        /// An actor URL or a handle @user@host.
        #[arg(value_name = "ACTOR")]
        actor: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FollowingCommand {
    /// Follow an actor, by id URL or @user@host handle.
    Add {
        /// An actor URL or a handle @user@host.
        #[arg(value_name = "ACTOR")]
        actor: String,
    },
    /// Stop following an actor; an Undo tells its server.
    Remove {
        /// An actor URL or a handle @user@host.
        #[arg(value_name = "ACTOR")]
        actor: String,
    },
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
    #[command(
        after_help = "Examples:\n  tribune block domain add spam.example\n  tribune block domain list",
        mut_subcommand("add", |c| c
            .about("Block a domain and its subdomains; its actors and their follows are removed")
            .mut_arg("value", |a| a.value_name("DOMAIN").help("A domain name: example.org"))
            .mut_arg("yes", |a| a.help("Block even when the domain covers member organisations"))),
        mut_subcommand("remove", |c| c
            .about("Lift a domain's block")
            .mut_arg("value", |a| a.value_name("DOMAIN").help("A blocked domain name: example.org"))),
        mut_subcommand("list", |c| c.about("The blocked domains, one a line")),
    )]
    Domain {
        #[command(subcommand)]
        action: BlockAction,
    },
    /// One actor, by URL or handle; blocking it removes it as a follower.
    #[command(
        after_help = "Examples:\n  tribune block actor add @troll@spam.example\n  tribune block actor remove https://example.org/users/alice",
        mut_subcommand("add", |c| c
            .about("Block an actor; it is no longer a follower, and nothing of its is stored")
            .mut_arg("value", |a| a.value_name("ACTOR").help("An actor URL or a handle @user@host"))
            .mut_arg("yes", |a| a.help("Block even when the actor is a member organisation"))),
        mut_subcommand("remove", |c| c
            .about("Lift an actor's block")
            .mut_arg("value", |a| a.value_name("ACTOR").help("An actor URL or a handle @user@host"))),
        mut_subcommand("list", |c| c.about("The blocked actors, one a line")),
    )]
    Actor {
        #[command(subcommand)]
        action: BlockAction,
    },
}

/// The same actions for domains and actors: `BlockTarget` names their argument (`<DOMAIN>`,
/// `<ACTOR>`) and says what each blocks.
#[derive(Debug, Subcommand)]
pub enum BlockAction {
    /// Block it.
    Add {
        /// What to block.
        value: String,
        /// Block even when the block covers members.
        #[arg(long)]
        yes: bool,
    },
    /// Lift the block.
    Remove {
        /// What to unblock.
        value: String,
    },
    /// The blocked ones, one a line (with a header).
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}
