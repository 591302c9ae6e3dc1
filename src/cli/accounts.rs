//! `tribune admin …`: the web admin's accounts (docs/admin.md), and the audit log's record
//! of what the CLI changed.

use std::io::BufRead;

use clap::Subcommand;

use super::{
    BlockAction, BlockTarget, Command, CosignersCommand, Failure, FollowersCommand,
    FollowingCommand, MembersCommand, RelayCommand, SignatoriesCommand, StatementCommand,
};
use crate::{
    app::{
        accounts::{self, AccountError},
        audit::{self, Who},
    },
    config::Settings,
    db,
    domain::accounts::Role,
};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a web admin account. Prints a one-time link (valid 24 hours) where its holder
    /// chooses a password; with --password-stdin, reads the password instead.
    /// Example: tribune admin add camille --role owner
    Add {
        /// The account's name (letters, digits, '.', '_', '-'; used to log in).
        name: String,
        /// owner (everything), editor (statements, signatories) or moderator (followers,
        /// held posts, members, blocks, co-signatures).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the password (12 characters or more) from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Accounts: name, role, state, last login.
    List {
        /// table (a header, then tab-separated rows), json or csv.
        #[arg(long, value_enum, default_value = "table")]
        format: super::Format,
    },
    /// Disable an account: its sessions end and its API tokens stop working.
    Disable {
        /// The account's name.
        name: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The account's name.
        name: String,
    },
    /// Forget an account's password, end its sessions, print a new one-time link.
    Reset {
        /// The account's name.
        name: String,
    },
    /// Give an account another role.
    Role {
        /// The account's name.
        name: String,
        /// owner, editor or moderator.
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Log an account out of every browser.
    Logout {
        /// The account's name.
        name: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("{s:?} is not a role: owner, editor or moderator"))
}

pub async fn run(settings: Settings, action: AdminCommand) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let who = Who::cli();
    let result = execute(&state, action, &who).await;
    state.db.close().await;
    result.map_err(|e| match e {
        AccountError::Internal(e) => Failure::Other(e),
        e => Failure::Other(anyhow::anyhow!("{e}")),
    })
}

async fn execute(
    state: &crate::state::AppState,
    action: AdminCommand,
    who: &Who,
) -> Result<(), AccountError> {
    match action {
        AdminCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            let link = accounts::add(state, &name, role, who).await?;
            if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| AccountError::Internal(e.into()))?;
                let password = line.trim_end_matches(['\r', '\n']);
                if let Err(e) = accounts::set_password(state, &name, password, password, who).await
                {
                    // No half-made account: without a password it would wait for a link
                    // nobody was given.
                    let _ = accounts::set_disabled(state, &name, true, who).await;
                    return Err(e);
                }
                out!("created {name} ({role}); log in at {}", login_url(state));
            } else {
                out!(
                    "created {name} ({role}); its holder chooses a password at this link, valid 24 hours:"
                );
                out!("{link}");
            }
        }
        AdminCommand::List { format } => {
            let mut table = super::output::Table::new(&["name", "role", "state", "last login"]);
            for a in db::read::accounts::list(&state.db).await? {
                let st = match (&a.disabled_at, &a.password_hash) {
                    (Some(_), _) => "disabled",
                    (None, None) => "waiting for its link",
                    (None, Some(_)) => "active",
                };
                let last = a
                    .last_login_at
                    .map_or_else(|| "-".into(), super::output::when);
                table.row(vec![a.name.clone(), a.role.to_string(), st.into(), last]);
            }
            table.print(format);
        }
        AdminCommand::Disable { name } => {
            accounts::set_disabled(state, &name, true, who).await?;
            out!("disabled {name}: its sessions ended, its API tokens refused");
        }
        AdminCommand::Enable { name } => {
            accounts::set_disabled(state, &name, false, who).await?;
            out!("enabled {name}");
        }
        AdminCommand::Reset { name } => {
            let link = accounts::reset(state, &name, who).await?;
            out!(
                "{name}'s password is forgotten and its sessions ended; new link, valid 24 hours:"
            );
            out!("{link}");
        }
        AdminCommand::Role { name, role } => {
            accounts::set_role(state, &name, role, who).await?;
            out!("{name} is now {role}");
        }
        AdminCommand::Logout { name } => {
            let n = accounts::end_sessions_of(state, &name, who).await?;
            out!("ended {n} session(s) of {name}");
        }
    }
    Ok(())
}

fn login_url(state: &crate::state::AppState) -> String {
    format!(
        "{}/admin/login",
        state
            .settings
            .server
            .public_url
            .url()
            .as_str()
            .trim_end_matches('/')
    )
}

/// What a command changes, as an audit entry's action and target; None for commands that
/// only read (and for `admin`, whose use cases write their own entries).
pub fn audited(command: &Command) -> Option<(&'static str, Option<String>)> {
    use Command as C;
    let file = |f: &std::path::Path| Some(f.display().to_string());
    Some(match command {
        C::Import { file: f, .. } => ("import", file(f)),
        C::Statement { action } => match action {
            StatementCommand::Publish { file: f, .. } => ("statement publish", file(f)),
            StatementCommand::Edit { slug, .. } => ("statement edit", Some(slug.clone())),
            StatementCommand::Delete { slug } => ("statement delete", Some(slug.clone())),
            StatementCommand::Pin { slug } => ("statement pin", Some(slug.clone())),
            StatementCommand::Unpin { slug } => ("statement unpin", Some(slug.clone())),
            _ => return None,
        },
        C::Members { action } => match action {
            MembersCommand::Add { actor } => ("member add", Some(actor.clone())),
            MembersCommand::Remove { actor } => ("member remove", Some(actor.clone())),
            MembersCommand::List { .. } => return None,
        },
        C::Relay { action } => match action {
            RelayCommand::Approve { post } => ("relay approve", Some(post.clone())),
            RelayCommand::Reject { post } => ("relay reject", Some(post.clone())),
            _ => return None,
        },
        C::Cosigners { action } => match action {
            CosignersCommand::Hide { slug, actor, .. } => {
                ("cosigner hide", Some(format!("{slug} {actor}")))
            }
            CosignersCommand::Unhide { slug, actor } => {
                ("cosigner unhide", Some(format!("{slug} {actor}")))
            }
            _ => return None,
        },
        C::Signatories { action } => match action {
            SignatoriesCommand::Add { slug, name, .. } => {
                ("signatory add", Some(format!("{slug} {name}")))
            }
            SignatoriesCommand::Remove { slug, n } => {
                ("signatory remove", Some(format!("{slug} {n}")))
            }
            SignatoriesCommand::Import { slug, file: f, .. } => (
                "signatories import",
                Some(format!("{slug} {}", f.display())),
            ),
            _ => return None,
        },
        C::Followers { action } => match action {
            FollowersCommand::Approve { actor } => ("follower approve", Some(actor.clone())),
            FollowersCommand::Reject { actor } => ("follower reject", Some(actor.clone())),
            FollowersCommand::Remove { actor } => ("follower remove", Some(actor.clone())),
            _ => return None,
        },
        C::Following { action } => match action {
            FollowingCommand::Add { actor } => ("following add", Some(actor.clone())),
            FollowingCommand::Remove { actor } => ("following remove", Some(actor.clone())),
            FollowingCommand::List { .. } => return None,
        },
        C::Keys { .. } => ("keys rotate", None),
        C::Block { target } => {
            let (kind, action) = match target {
                BlockTarget::Domain { action } => ("domain", action),
                BlockTarget::Actor { action } => ("actor", action),
            };
            match action {
                BlockAction::Add { value, .. } => (
                    if kind == "domain" {
                        "block domain"
                    } else {
                        "block actor"
                    },
                    Some(value.clone()),
                ),
                BlockAction::Remove { value } => (
                    if kind == "domain" {
                        "unblock domain"
                    } else {
                        "unblock actor"
                    },
                    Some(value.clone()),
                ),
                BlockAction::List { .. } => return None,
            }
        }
        _ => return None,
    })
}

/// Write the CLI's change to the audit log. A failure here is reported, not fatal: the
/// change itself is done.
pub async fn record(settings: Settings, action: &str, target: Option<&str>) {
    let result = async {
        let state = crate::startup::open_state(settings).await?;
        let r = audit::record(&state, &Who::cli(), action, target, None).await;
        state.db.close().await;
        r.map_err(anyhow::Error::from)
    }
    .await;
    if let Err(e) = result {
        eprintln!("warning: the audit log did not record this change: {e:#}");
    }
}
