//! What an admin does to followers: approve or reject a pending follow, remove a follower.
//! Each change commits with the Accept or Reject it sends; a running server's delivery
//! workers pick the rows up.

use crate::federation::dispatch::{Answer, queue_answer};
use crate::{
    db::{self, followers::FollowState},
    state::AppState,
};

#[derive(Debug, thiserror::Error)]
pub enum FollowerError {
    #[error("{0} does not follow the coalition and has not asked to")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<db::DbError> for FollowerError {
    fn from(e: db::DbError) -> Self {
        FollowerError::Internal(e.into())
    }
}

/// Accept a pending follow. Returns the Accept's id.
pub async fn approve(state: &AppState, actor_id: &str) -> Result<String, FollowerError> {
    let mut tx = state.db.begin().await?;
    let follower = db::followers::get_in(&mut tx, actor_id)
        .await?
        .ok_or_else(|| FollowerError::NotFound(actor_id.to_owned()))?;
    if follower.state != FollowState::Pending.as_str() {
        return Err(FollowerError::Conflict(format!(
            "{actor_id} already follows"
        )));
    }
    db::followers::set_state(&mut tx, actor_id, FollowState::Accepted).await?;
    let id = queue_answer(state, &mut tx, Answer::Accept, &follower).await?;
    tx.commit().await?;
    state.wakeup.notify();
    Ok(id)
}

/// Reject a pending follow, or remove a follower: either way the follow is dropped and a
/// Reject sent, which on Mastodon clears a request or ends an established follow
/// (docs/interop.md §3). Returns the Reject's id.
pub async fn reject(state: &AppState, actor_id: &str) -> Result<String, FollowerError> {
    let mut tx = state.db.begin().await?;
    let follower = db::followers::get_in(&mut tx, actor_id)
        .await?
        .ok_or_else(|| FollowerError::NotFound(actor_id.to_owned()))?;
    db::followers::remove(&mut tx, actor_id).await?;
    let id = queue_answer(state, &mut tx, Answer::Reject, &follower).await?;
    tx.commit().await?;
    state.wakeup.notify();
    Ok(id)
}
