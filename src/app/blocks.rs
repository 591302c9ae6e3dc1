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

/// Block; returns the value as stored and whether it is new.
pub async fn add(
    state: &AppState,
    kind: BlockKind,
    value: &str,
) -> Result<(String, bool), BlockError> {
    let value = normalise(kind, value)?;
    let added = db::blocks::add(&state.db, kind, &value).await?;
    Ok((value, added))
}

/// Block and say what the block removed; returns the value as stored.
pub async fn add_counting(
    state: &AppState,
    kind: BlockKind,
    value: &str,
) -> Result<(String, Added), BlockError> {
    let value = normalise(kind, value)?;
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
