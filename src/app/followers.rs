//! Followers: a Follow received (recorded, answered), an Undo of it, and what an admin does
//! (approve or reject a pending follow, remove a follower). Each change commits with the
//! Accept or Reject it sends; a running server's delivery workers pick the rows up.

use serde_json::Value;
use url::Url;

use super::{
    Received,
    outbox::{self, Listed},
};
use crate::{
    db::{
        self, Tx,
        followers::{FollowState, FollowerRow},
    },
    protocol::{
        activities::{Activity, Answer, Kind, minimal_follow},
        incoming::Undone,
    },
    state::AppState,
};

/// A Follow received from a verified actor.
#[derive(Debug, Clone, Copy)]
pub struct IncomingFollow<'a> {
    pub id: &'a str,
    pub actor: &'a str,
    /// Whom it follows.
    pub object: Option<&'a str>,
    /// The Follow as received: our answer embeds it.
    pub raw: &'a Value,
}

#[derive(Debug, thiserror::Error)]
pub enum FollowerError {
    #[error("{0} does not follow the coalition and has not asked to")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the Follow's object must be {0}")]
    NotOurs(String),
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
    if follower.state != FollowState::Pending {
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

/// A Follow of the coalition: the follower is recorded and an `Accept` queued, or the follow
/// waits for an admin when follows are approved by hand.
pub async fn followed(
    state: &AppState,
    tx: &mut Tx<'_>,
    follow: IncomingFollow<'_>,
) -> Result<Received, FollowerError> {
    let ours = &state.coalition.urls.actor;
    if follow.object != Some(ours.as_str()) {
        return Err(FollowerError::NotOurs(ours.to_string()));
    }
    let new_state = if state.coalition.manually_approves_followers {
        FollowState::Pending
    } else {
        FollowState::Accepted
    };
    let kept = minimal_follow(follow.raw).to_string();
    db::followers::upsert(tx, follow.actor, follow.id, &kept, new_state).await?;
    // A repeated Follow from an accepted follower is accepted again, even when new follows
    // wait for approval: Mastodon re-sends Follows, e.g. after our key changes, and without a
    // new Accept the follow stays "requested" (docs/interop.md §3).
    let stored = db::followers::get_in(tx, follow.actor)
        .await?
        .ok_or_else(|| FollowerError::Internal(anyhow::anyhow!("the follow vanished")))?;
    // One Accept waiting at a time: repeated Follows must not pile Accepts on an inbox that
    // does not take them (SECURITY.md, attack 15); the waiting one answers them all, since
    // Mastodon matches an embedded Follow by its actor and object.
    if stored.state == FollowState::Accepted
        && !db::deliveries::pending_to(tx, &stored.inbox, Kind::Accept.as_str()).await?
    {
        queue_answer(state, tx, Answer::Accept, &stored).await?;
    }
    // Nothing is sent for a pending follow: Mastodon keeps it "requested" until an admin
    // approves (Accept) or rejects (Reject) it.
    Ok(Received::Applied)
}

/// `Undo{Follow}`: the follower is removed when the Undo names its Follow by id, or embeds a
/// Follow of the coalition by that actor.
pub async fn unfollowed(
    state: &AppState,
    tx: &mut Tx<'_>,
    actor: &str,
    undone: &Undone,
) -> Result<Received, FollowerError> {
    let Some(follower) = db::followers::get_in(tx, actor).await? else {
        return Ok(Received::Ignored("an Undo of no follow we know"));
    };
    let names_the_follow = undone.id() == Some(follower.follow_id.as_str());
    let is_our_follow = matches!(
        undone,
        Undone::Embedded { kind: Kind::Follow, actor: Some(a), object: Some(o), .. }
            if a == actor && o == state.coalition.urls.actor.as_str()
    );
    if names_the_follow || is_our_follow {
        db::followers::remove(tx, actor).await?;
        return Ok(Received::Applied);
    }
    Ok(Received::Ignored("an Undo of another follow"))
}

/// Queue an Accept or Reject of a follower's Follow to its personal inbox (one-to-one
/// activities go there, not to the shared inbox, docs/interop.md §7).
pub async fn queue_answer(
    state: &AppState,
    tx: &mut Tx<'_>,
    answer: Answer,
    follower: &FollowerRow,
) -> Result<String, FollowerError> {
    let follow: Value = serde_json::from_str(&follower.follow_json)
        .map_err(|e| FollowerError::Internal(e.into()))?;
    let activity = Activity::follow_answer(
        &state.coalition.urls.actor,
        answer,
        &follow,
        &follower.actor_id,
    );
    let inbox = Url::parse(&follower.inbox).map_err(|e| FollowerError::Internal(e.into()))?;
    outbox::to_inboxes(
        tx,
        &activity,
        &[inbox],
        Listed::NotListed,
        state.allows_private(),
    )
    .await?;
    Ok(activity.id)
}
