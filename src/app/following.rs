//! The coalition following other actors: a Follow sent through the delivery queue, their
//! Accept or Reject received at the inbox, an Undo to stop.

use activitypub_federation::{config::Data, fetch::webfinger::webfinger_resolve_actor};
use serde_json::{Value, json};
use url::Url;

use crate::{
    db::{self, deliveries::NewActivity},
    state::AppState,
};
use crate::{
    federation::remote_actor::{RemoteActor, RemoteActorId},
    protocol::AS_CONTEXT,
    util::now_ms,
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

fn follow_activity(coalition: &Url, target: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": format!("{coalition}#follows/{:032x}", rand::random::<u128>()),
        "type": "Follow",
        "actor": coalition.as_str(),
        "object": target,
    })
}

/// Follow `target`. Returns the Follow's id.
pub async fn follow(
    data: &Data<AppState>,
    target: &str,
) -> Result<(String, String), FollowingError> {
    let actor = resolve(data, target).await?;
    let activity = follow_activity(&data.coalition.urls.actor, actor.id.as_str());
    let id = activity["id"].as_str().unwrap_or_default().to_owned();
    let inbox = Url::parse(&actor.row.inbox).map_err(|e| FollowingError::Internal(e.into()))?;
    let mut tx = data.db.begin().await?;
    db::following::upsert(&mut tx, actor.id.as_str(), &id).await?;
    db::deliveries::enqueue(
        &mut tx,
        &NewActivity {
            id: &id,
            kind: "Follow",
            body: &activity.to_string(),
            in_outbox: false,
        },
        &[inbox],
        now_ms(),
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
    let undo = json!({
        "@context": AS_CONTEXT,
        "id": format!("{}/undo", row.follow_id),
        "type": "Undo",
        "actor": coalition.as_str(),
        "object": {"id": row.follow_id, "type": "Follow", "actor": coalition.as_str(), "object": actor_id},
    });
    let id = undo["id"].as_str().unwrap_or_default().to_owned();
    let inbox = Url::parse(&actor.inbox).map_err(|e| FollowingError::Internal(e.into()))?;
    db::following::remove(&mut tx, actor_id).await?;
    db::deliveries::enqueue(
        &mut tx,
        &NewActivity {
            id: &id,
            kind: "Undo",
            body: &undo.to_string(),
            in_outbox: false,
        },
        &[inbox],
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    state.wakeup.notify();
    Ok(id)
}
