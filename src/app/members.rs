//! The roster of member organisations: added and removed by an admin, moved by the member.

use activitypub_federation::config::Data;
use serde_json::Value;
use url::Url;

use super::remote_actor::RemoteActorId;
use super::{Received, following, relay};
use crate::{db, state::AppState};

/// Why a change to the roster failed.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    /// The actor to add cannot be found (WebFinger or its document).
    #[error("{0}")]
    Unresolved(String),
    #[error("a Move needs a target")]
    MoveWithoutTarget,
    /// The Move cannot be checked or does not hold (answered 422).
    #[error("{0}")]
    MoveRefused(String),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<following::FollowingError> for MemberError {
    fn from(e: following::FollowingError) -> Self {
        match e {
            following::FollowingError::Internal(e) => MemberError::Internal(e),
            e => MemberError::Unresolved(e.to_string()),
        }
    }
}

impl From<relay::RelayError> for MemberError {
    fn from(e: relay::RelayError) -> Self {
        MemberError::Internal(e.into())
    }
}

/// A `Move` by a verified actor: what it moves (its `object`) and where to.
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub actor: &'a str,
    pub object: Option<&'a str>,
    pub target: Option<&'a str>,
}

/// Add an actor (id URL or @user@host) to the roster; returns its id.
pub async fn add(data: &Data<AppState>, actor: &str) -> Result<(String, bool), MemberError> {
    let actor = following::resolve(data, actor).await?;
    let mut tx = data.db.begin().await?;
    let added = db::relays::add_member(&mut tx, actor.id.as_str()).await?;
    tx.commit().await?;
    Ok((actor.id.to_string(), added))
}

/// Remove a member; with `relay.undo_on_member_removal`, its relays are withdrawn. Returns
/// how many relays were undone, or None when it was no member.
pub async fn remove(state: &AppState, actor_id: &str) -> Result<Option<usize>, MemberError> {
    let mut tx = state.db.begin().await?;
    if !db::relays::remove_member(&mut tx, actor_id).await? {
        return Ok(None);
    }
    let undone = if state.settings.relay.undo_on_member_removal {
        relay::undo_relays_of(state, &mut tx, actor_id).await?
    } else {
        0
    };
    tx.commit().await?;
    state.wakeup.notify();
    Ok(Some(undone))
}

/// `Move` from a member: when the target names the origin in `alsoKnownAs` (Mastodon's
/// rule, docs/interop.md §3), membership and signatures go to the target.
pub async fn moved(
    data: &Data<AppState>,
    tx: &mut db::Tx<'_>,
    moved: Move<'_>,
) -> Result<Received, MemberError> {
    let origin = moved.actor;
    if moved.object != Some(origin) || db::relays::member_in(tx, origin).await?.is_none() {
        return Ok(Received::Ignored("a Move of no member"));
    }
    let Some(target) = moved.target.and_then(|t| Url::parse(t).ok()) else {
        return Err(MemberError::MoveWithoutTarget);
    };
    let target_id: RemoteActorId = target.clone().into();
    // Fetched by the inbox before the transaction began.
    let target_actor = target_id
        .dereference_local(data)
        .await
        .map_err(|e| MemberError::MoveRefused(format!("cannot fetch the Move's target: {e}")))?;
    let doc = target_actor
        .document()
        .map_err(|e| MemberError::Internal(e.into()))?;
    let aka = match doc.raw.get("alsoKnownAs") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !aka.contains(&origin) {
        return Err(MemberError::MoveRefused(
            "the Move's target does not name the origin in alsoKnownAs".into(),
        ));
    }
    db::relays::move_member(tx, origin, target.as_str()).await?;
    db::cosign::move_signatures(tx, origin, target.as_str()).await?;
    Ok(Received::Applied)
}
