//! The coalition following other actors: a Follow sent through the delivery queue, their
//! Accept or Reject received at the inbox, an Undo to stop.

use activitypub_federation::{config::Data, fetch::webfinger::webfinger_resolve_actor};
use url::Url;

use super::{
    Received,
    outbox::{self, Listed},
    remote_actor::{ActorError, RemoteActor, RemoteActorId},
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
    #[error("{0:?} is neither an actor URL nor a handle (@user@host)")]
    NotAnActor(String),
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

/// `user@host` when `target` is a handle (`@user@host` or `user@host`), `None` for a URL.
fn handle(target: &str) -> Result<Option<(&str, &str)>, FollowingError> {
    if target.starts_with("http://") || target.starts_with("https://") {
        return Ok(None);
    }
    match target.trim_start_matches('@').split_once('@') {
        Some((user, host))
            if !user.is_empty() && !host.is_empty() && !host.contains(['@', '/', ' ']) =>
        {
            Ok(Some((user, host)))
        }
        _ => Err(FollowingError::NotAnActor(target.to_owned())),
    }
}

/// An actor by id URL, or by handle (`@user@host` or `user@host`) through WebFinger.
pub async fn resolve(data: &Data<AppState>, target: &str) -> Result<RemoteActor, FollowingError> {
    let target = target.trim();
    match handle(target)? {
        None => {
            let fail = |e: String| FollowingError::Resolve(target.to_owned(), e);
            let url = Url::parse(target).map_err(|e| fail(e.to_string()))?;
            let id: RemoteActorId = url.into();
            id.dereference(data)
                .await
                .map_err(|e| fail(short_reason(&e)))
        }
        Some((user, host)) => {
            webfinger_resolve_actor::<AppState, RemoteActor>(&format!("{user}@{host}"), data)
                .await
                .map_err(|e| FollowingError::Resolve(format!("@{user}@{host}"), short_reason(&e)))
        }
    }
}

/// The id of the actor an operator names, for every command that takes an actor: a URL as
/// given, or a handle looked up first among the actors this server knows (no network), then
/// through WebFinger.
pub async fn actor_id(data: &Data<AppState>, target: &str) -> Result<String, FollowingError> {
    let target = target.trim();
    let Some((user, host)) = handle(target)? else {
        return Ok(target.to_owned());
    };
    if let Some(id) = db::remote_actors::find_by_handle(&data.db, user, host).await? {
        return Ok(id);
    }
    Ok(resolve(data, target).await?.id.to_string())
}

/// Why an actor cannot be found, in a few words: the federation crate's own messages quote
/// whole documents.
fn short_reason(e: &ActorError) -> String {
    use activitypub_federation::error::Error as Fed;
    let ActorError::Fetch(e) = e else {
        return e.to_string();
    };
    match e {
        Fed::WebfingerResolveFailed(_) => "its server knows no such account".into(),
        Fed::ParseFetchedObject(_, url, _) if url.path() == "/.well-known/webfinger" => {
            "its server knows no such account".into()
        }
        Fed::ParseFetchedObject(_, url, _) => format!("{} is not an actor document", url.path()),
        Fed::ObjectDeleted(_) => "the account is gone".into(),
        Fed::FetchInvalidContentType(_) => "its server does not answer as ActivityPub".into(),
        Fed::FetchWrongId(_) => "the document fetched names another id".into(),
        Fed::Reqwest(e) if e.is_timeout() => "its server takes too long to answer".into(),
        Fed::Reqwest(e) if e.is_connect() => "its server does not answer".into(),
        Fed::Reqwest(e) => e.status().map_or_else(
            || "its server cannot be reached".into(),
            |s| format!("its server answers {s}"),
        ),
        Fed::ReqwestMiddleware(_) => "its server cannot be reached".into(),
        other => {
            let text = other.to_string();
            text.chars().take(160).collect()
        }
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
    tx: &mut Tx<'_>,
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
