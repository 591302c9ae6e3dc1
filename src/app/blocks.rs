//! Blocks: domains (with their subdomains) and actors whose activities are refused. Adding a
//! block removes what it covers (the actors of a domain, with their follows).

pub use crate::db::blocks::{Added, BlockKind};
use crate::{db, state::AppState};

#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("{0:?} is not a domain name (e.g. spam.example)")]
    NotADomain(String),
    #[error("{0:?} is not an actor URL")]
    NotAnActor(String),
    #[error("{} {value} was not blocked", kind.as_str())]
    NotBlocked { kind: BlockKind, value: String },
    #[error(
        "{0} is this server's own domain (or holds it): blocking it would cut the coalition off from itself"
    )]
    Ours(String),
    /// The block covers members and the admin has not confirmed it.
    #[error(
        "{value} covers the member(s) {}, who would stay on the roster without their profile: confirm to block anyway",
        members.join(", ")
    )]
    CoversMembers { value: String, members: Vec<String> },
    #[error(transparent)]
    Db(#[from] db::DbError),
}

/// A domain lower-cased without its final dot, or an actor URL as URLs are written.
pub fn normalise(kind: BlockKind, value: &str) -> Result<String, BlockError> {
    let value = value.trim();
    match kind {
        BlockKind::Domain => {
            let d = value.trim_end_matches('.').to_ascii_lowercase();
            if d.is_empty() || d.contains(['/', '@', ' ']) {
                return Err(BlockError::NotADomain(value.to_owned()));
            }
            Ok(d)
        }
        BlockKind::Actor => {
            let url = url::Url::parse(value)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| BlockError::NotAnActor(value.to_owned()))?;
            Ok(url.to_string())
        }
    }
}

/// Whether a block may cover members: they stay on the roster, their profile gone, so the
/// admin confirms first (the CLI's `--yes`, the web admin's box).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    Confirmed,
    Refused,
}

/// Block and say what the block removed; returns the value as stored. Refuses this server's
/// own domain or actors, and a block covering members unless `members` confirms it; nothing
/// changes then.
pub async fn add_counting(
    state: &AppState,
    kind: BlockKind,
    value: &str,
    members: Members,
) -> Result<(String, Added), BlockError> {
    let value = normalise(kind, value)?;
    if covers_us(state, kind, &value) {
        return Err(BlockError::Ours(value));
    }
    if members == Members::Refused {
        let covered = db::blocks::covered_members(&state.db, kind, &value).await?;
        if !covered.is_empty() {
            let members = covered
                .into_iter()
                .map(|(id, handle)| match handle {
                    Some(h) => format!("@{h} ({id})"),
                    None => id,
                })
                .collect();
            return Err(BlockError::CoversMembers { value, members });
        }
    }
    let added = db::blocks::add_counting(&state.db, kind, &value).await?;
    Ok((value, added))
}

/// Whether a block (as `normalise` returns it) would cover this server itself: its domain,
/// a parent domain of it, or an actor at its origin.
pub fn covers_us(state: &AppState, kind: BlockKind, value: &str) -> bool {
    let ours = state.settings.server.public_url.url();
    let host = ours.host_str().unwrap_or_default().to_ascii_lowercase();
    match kind {
        // A domain with a port covers that host and port only.
        BlockKind::Domain => match value.split_once(':') {
            Some((domain, port)) => {
                host == domain
                    && ours
                        .port_or_known_default()
                        .map(|p| p.to_string())
                        .as_deref()
                        == Some(port)
            }
            None => host == value || host.ends_with(&format!(".{value}")),
        },
        BlockKind::Actor => url::Url::parse(value).is_ok_and(|u| u.origin() == ours.origin()),
    }
}

/// Unblock; returns the value as stored.
pub async fn remove(state: &AppState, kind: BlockKind, value: &str) -> Result<String, BlockError> {
    let value = normalise(kind, value)?;
    if !db::blocks::remove(&state.db, kind, &value).await? {
        return Err(BlockError::NotBlocked { kind, value });
    }
    Ok(value)
}

/// The blocks of one kind.
pub async fn list(state: &AppState, kind: BlockKind) -> Result<Vec<String>, BlockError> {
    Ok(db::blocks::list(&state.db)
        .await?
        .into_iter()
        .filter(|(k, _)| k == kind.as_str())
        .map(|(_, v)| v)
        .collect())
}
