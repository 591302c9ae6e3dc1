//! The coalition following other actors: a Follow sent through the delivery queue, their
//! Accept or Reject received at the inbox, an Undo to stop.

use activitypub_federation::{config::Data, fetch::webfinger::webfinger_resolve_actor};
use url::Url;

use super::{
    Received,
    outbox::{self, Listed},
    remote_actor::{RemoteActor, RemoteActorId},
};
use crate::{
    db::{self, Tx},
    protocol::activities::{Activity, Answer},
    state::AppState,
};

#[derive(Debug, thiserror::Error)]
pub enum FollowingError {
    #[error("cannot find {0}: {1}")]
    Resolve(String, String),
    #[error("the coalition does not follow {0}")]
    NotFollowing(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<db::DbError> for FollowingError {
    fn from(e: db::DbError) -> Self {
        FollowingError::Internal(e.into())
    }
}

/// An actor by id URL, or by handle `@user@host` through WebFinger.
pub async fn resolve(data: &Data<AppState>, target: &str) -> Result<RemoteActor, FollowingError> {
    let target = target.trim();
    let fail = |e: String| FollowingError::Resolve(target.to_owned(), e);
    if target.starts_with("http://") || target.starts_with("https://") {
        let url = Url::parse(target).map_err(|e| fail(e.to_string()))?;
        let id: RemoteActorId = url.into();
        id.dereference(data).await.map_err(|e| fail(e.to_string()))
    } else {
        let handle = target.trim_start_matches('@');
        webfinger_resolve_actor::<AppState, RemoteActor>(handle, data)
            .await
            .map_err(|e| fail(e.to_string()))
    }
}

/// Follow `target`. Returns the Follow's id.
pub async fn follow(
    data: &Data<AppState>,
    target: &str,
) -> Result<(String, String), FollowingError> {
    let actor = resolve(data, target).await?;
    let activity = Activity::follow(&data.coalition.urls.actor, actor.id.as_str());
    let id = activity.id.clone();
    let inbox = Url::parse(&actor.row.inbox).map_err(|e| FollowingError::Internal(e.into()))?;
    let mut tx = data.db.begin().await?;
    db::following::upsert(&mut tx, actor.id.as_str(), &id).await?;
    outbox::to_inboxes(
        &mut tx,
        &activity,
        &[inbox],
        Listed::NotListed,
        data.allows_private(),
    )
    .await?;
    tx.commit().await?;
    data.wakeup.notify();
    Ok((actor.id.to_string(), id))
}

/// Stop following `actor_id`: an Undo embedding our Follow.
pub async fn unfollow(state: &AppState, actor_id: &str) -> Result<String, FollowingError> {
    let mut tx = state.db.begin().await?;
    let row = db::following::get_in(&mut tx, actor_id)
        .await?
        .ok_or_else(|| FollowingError::NotFollowing(actor_id.to_owned()))?;
    let actor = db::remote_actors::get(&state.db, actor_id)
        .await?
        .ok_or_else(|| FollowingError::NotFollowing(actor_id.to_owned()))?;
    let coalition = &state.coalition.urls.actor;
    let undo = Activity::undo_follow(coalition, &row.follow_id, actor_id);
    let id = undo.id.clone();
    let inbox = Url::parse(&actor.inbox).map_err(|e| FollowingError::Internal(e.into()))?;
    db::following::remove(&mut tx, actor_id).await?;
    outbox::to_inboxes(
        &mut tx,
        &undo,
        &[inbox],
        Listed::NotListed,
        state.allows_private(),
    )
    .await?;
    tx.commit().await?;
    state.wakeup.notify();
    Ok(id)
}

/// An `Accept` or `Reject` from `actor` of a Follow: when it names the Follow we sent it (by
/// id, or embedded and describing ours), the follow is confirmed or dropped.
pub async fn answered(
    tx: &mut Tx,
    actor: &str,
    answer: Answer,
    follow_id: Option<&str>,
    describes_ours: bool,
) -> Result<Received, FollowingError> {
    let Some(ours) = db::following::get_in(tx, actor).await? else {
        return Ok(Received::Ignored("an answer to no follow of ours"));
    };
    if !(follow_id == Some(ours.follow_id.as_str()) || describes_ours) {
        return Ok(Received::Ignored("an answer to another follow"));
    }
    match answer {
        Answer::Accept => db::following::accept(tx, actor).await?,
        Answer::Reject => db::following::remove(tx, actor).await?,
    };
    Ok(Received::Applied)
}
