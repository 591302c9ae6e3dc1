//! The roster of member organisations: added and removed by an admin, moved by the member.

use activitypub_federation::config::Data;
use serde_json::Value;
use url::Url;

use super::{following, relay};
use crate::federation::{
    inbox::{Envelope, InboxError, Received, id_of},
    remote_actor::RemoteActorId,
};
use crate::{db, state::AppState};

/// Add an actor (id URL or @user@host) to the roster; returns its id.
pub async fn add(
    data: &Data<AppState>,
    actor: &str,
) -> Result<(String, bool), following::FollowingError> {
    let actor = following::resolve(data, actor).await?;
    let mut tx = data.db.begin().await?;
    let added = db::relays::add_member(&mut tx, actor.id.as_str()).await?;
    tx.commit().await?;
    Ok((actor.id.to_string(), added))
}

/// Remove a member; with `relay.undo_on_member_removal`, its relays are withdrawn. Returns
/// how many relays were undone, or None when it was no member.
pub async fn remove(state: &AppState, actor_id: &str) -> Result<Option<usize>, InboxError> {
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
    tx: &mut db::Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let origin = activity.actor.as_str();
    if id_of(activity.object()) != Some(origin)
        || db::relays::member_in(tx, origin).await?.is_none()
    {
        return Ok(Received::Ignored("a Move of no member"));
    }
    let Some(target) = activity
        .raw
        .get("target")
        .and_then(id_of)
        .and_then(|t| Url::parse(t).ok())
    else {
        return Err(InboxError::BadRequest("a Move needs a target".into()));
    };
    let target_id: RemoteActorId = target.clone().into();
    // Fetched by the inbox before the transaction began.
    let target_actor = target_id
        .dereference_local(data)
        .await
        .map_err(|e| InboxError::Unprocessable(format!("cannot fetch the Move's target: {e}")))?;
    let doc = target_actor
        .document()
        .map_err(|e| InboxError::Internal(e.into()))?;
    let aka = match doc.raw.get("alsoKnownAs") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !aka.contains(&origin) {
        return Err(InboxError::Unprocessable(
            "the Move's target does not name the origin in alsoKnownAs".into(),
        ));
    }
    db::relays::move_member(tx, origin, target.as_str()).await?;
    db::cosign::move_signatures(tx, origin, target.as_str()).await?;
    Ok(Received::Applied)
}
