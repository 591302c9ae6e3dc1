//! What each verified activity does: the decoded activity goes to its use case in `app/`,
//! with typed inputs.
//!
//! - `Follow` of the coalition → follower recorded, `Accept` queued (or pending, when
//!   follows are approved by hand); `Undo{Follow}` → follower removed.
//! - `Announce` of a statement → co-signature; `Undo{Announce}` → withdrawn.
//! - `Like` of a statement → support, counted; `Undo{Like}` → removed.
//! - `Create` addressed to the coalition → relayed or held; a member's `Delete` of a relayed
//!   post marks the relay removed; a member's `Move` moves its membership.
//! - `Delete` of the actor itself → actor and follow removed, its signatures withdrawn.
//! - `Update` of the actor itself → stored profile refreshed.
//! - `Accept` / `Reject` of a Follow the coalition sent → following confirmed / dropped.
//! - Anything else → accepted and ignored.

use std::collections::HashSet;

use activitypub_federation::config::Data;
use chrono::Utc;
use serde_json::Value;

use super::envelope::{Envelope, InboxError};
use crate::{
    app::{
        Received, boosts,
        cosign::{self, Boost, Like, Undo},
        followers::{self, FollowerError, IncomingFollow},
        following, members,
        relay::{self, MemberPost},
        remote_actor::RemoteActor,
    },
    db::{
        self, Tx,
        bulk::{ReceivedItem, UndoCheck},
    },
    protocol::{
        activities::Kind,
        incoming::{Incoming, Undone, id_of},
        remote_actor::{ACTOR_TYPES, ActorDocument},
    },
    state::AppState,
};

impl From<FollowerError> for InboxError {
    fn from(e: FollowerError) -> Self {
        match e {
            FollowerError::NotOurs(_) => InboxError::Unprocessable(e.to_string()),
            FollowerError::NotFound(_) | FollowerError::Conflict(_) => {
                InboxError::Unprocessable(e.to_string())
            }
            FollowerError::Internal(e) => InboxError::Internal(e),
        }
    }
}

impl From<following::FollowingError> for InboxError {
    fn from(e: following::FollowingError) -> Self {
        InboxError::Internal(e.into())
    }
}

pub async fn apply(
    data: &Data<AppState>,
    tx: &mut Tx<'_>,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let actor = activity.actor.as_str();
    let id = activity.id.as_str();
    let evidence = activity.request.as_deref();
    if let Some((kind, object)) = undoable(&activity.incoming)
        && db::received::was_undone(tx, actor, id, kind.as_str(), object.unwrap_or_default())
            .await?
    {
        return Ok(Received::Ignored(
            "an activity its actor undid before it arrived",
        ));
    }
    Ok(match &activity.incoming {
        Incoming::Follow { object } => {
            let follow = IncomingFollow {
                id,
                actor,
                object: object.as_deref(),
                raw: &activity.raw,
            };
            followers::followed(data, tx, follow).await?
        }
        Incoming::Undo(undone) => undo(data, tx, actor, undone, evidence).await?,
        Incoming::Announce { .. } => {
            let boost = boost_of(activity);
            let mut applied = boosts::announce_many(data, tx, &[boost]).await?;
            applied
                .pop()
                .unwrap_or(Received::Ignored("an Announce not applied"))
        }
        Incoming::Like { object } => {
            let like = Like {
                id,
                actor,
                object: object.as_deref(),
            };
            cosign::like(data, tx, like).await?
        }
        Incoming::Create => {
            let post = MemberPost {
                create_id: id,
                actor,
                create: &activity.raw,
            };
            relay::create(data, tx, post).await?
        }
        Incoming::Move { target } => {
            let moved = members::Move {
                actor,
                object: id_of(activity.raw.get("object").unwrap_or(&Value::Null)),
                target: target.as_deref(),
            };
            members::moved(data, tx, moved).await?
        }
        Incoming::Delete { object } => delete(data, tx, activity, object.as_deref()).await?,
        Incoming::Update => update(data, tx, activity).await?,
        Incoming::Answer {
            answer,
            id: follow_id,
            follow_actor,
            follow_object,
            embedded_follow,
        } => {
            let ours = &data.coalition.urls.actor;
            // Our Follow, by id or embedded (Mastodon embeds it; others send the id).
            let describes_ours = *embedded_follow
                && follow_actor.as_deref() == Some(ours.as_str())
                && follow_object.as_deref() == Some(actor);
            following::answered(tx, actor, *answer, follow_id.as_deref(), describes_ours).await?
        }
        Incoming::Other(_) => Received::Ignored("an activity type tribune does not handle"),
    })
}

/// Announces, applied together: each recorded as received (a second copy, in this batch or
/// before, is a duplicate), refused if its actor undid it before it arrived, and the rest
/// become co-signatures. One outcome each, in order; an error concerns them all.
pub async fn announces(
    data: &Data<AppState>,
    tx: &mut Tx<'_>,
    activities: &[&Envelope],
) -> Result<Vec<Received>, InboxError> {
    let mut outcomes: Vec<Option<Received>> = vec![None; activities.len()];
    let mut seen = HashSet::new();
    let mut first = Vec::with_capacity(activities.len());
    for (i, a) in activities.iter().enumerate() {
        if seen.insert((a.actor.as_str(), a.id.as_str())) {
            first.push(i);
        } else {
            outcomes[i] = Some(Received::Duplicate);
        }
    }
    let items: Vec<ReceivedItem<'_>> = first
        .iter()
        .map(|&i| ReceivedItem {
            id: activities[i].id.as_str(),
            actor_id: activities[i].actor.as_str(),
            kind: &activities[i].kind,
        })
        .collect();
    let checks: Vec<UndoCheck<'_>> = first
        .iter()
        .map(|&i| UndoCheck {
            actor_id: activities[i].actor.as_str(),
            activity_id: activities[i].id.as_str(),
            kind: Kind::Announce.as_str(),
            object: boost_of(activities[i]).object.unwrap_or_default(),
        })
        .collect();
    let (recorded, undone) = db::bulk::record_and_check(tx, &items, &checks, Utc::now()).await?;
    let mut applying = Vec::with_capacity(first.len());
    for (n, i) in first.into_iter().enumerate() {
        let a = activities[i];
        if !recorded.contains(&(a.actor.to_string(), a.id.to_string())) {
            outcomes[i] = Some(Received::Duplicate);
        } else if undone.contains(&(n as i64)) {
            outcomes[i] = Some(Received::Ignored(
                "an activity its actor undid before it arrived",
            ));
        } else {
            applying.push(i);
        }
    }
    let boosts: Vec<Boost<'_>> = applying.iter().map(|&i| boost_of(activities[i])).collect();
    let applied = boosts::announce_many(data, tx, &boosts).await?;
    for (i, outcome) in applying.into_iter().zip(applied) {
        outcomes[i] = Some(outcome);
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Received::Ignored("an Announce not applied")))
        .collect())
}

/// An Announce's boost (an activity of another kind boosts nothing).
fn boost_of(activity: &Envelope) -> Boost<'_> {
    let (object, public) = match &activity.incoming {
        Incoming::Announce { object, public } => (object.as_deref(), *public),
        _ => (None, false),
    };
    Boost {
        id: activity.id.as_str(),
        actor: activity.actor.as_str(),
        object,
        public,
        evidence: activity.request.as_deref(),
    }
}

/// The kind and object of an activity an Undo may come before.
fn undoable(incoming: &Incoming) -> Option<(Kind, Option<&str>)> {
    match incoming {
        Incoming::Follow { object } => Some((Kind::Follow, object.as_deref())),
        Incoming::Announce { object, .. } => Some((Kind::Announce, object.as_deref())),
        Incoming::Like { object } => Some((Kind::Like, object.as_deref())),
        _ => None,
    }
}

/// The kind stored for an Undo that names only an id: it matches any kind.
const ANY_KIND: &str = "*";

async fn undo(
    state: &AppState,
    tx: &mut Tx<'_>,
    actor: &str,
    undone: &Undone,
    evidence: Option<&str>,
) -> Result<Received, InboxError> {
    let received = undo_known(state, tx, actor, undone, evidence).await?;
    if let Received::Ignored(_) = received {
        // Nothing of ours matched: the undone activity may still be on its way (a retried
        // Announce arrives after its Undo). Keep the Undo, so that it is refused when it
        // comes (the actor's own activities only: the origin check made them its own).
        let kept = match undone {
            Undone::Embedded {
                kind,
                id,
                actor: by,
                object,
            } if by.as_deref().is_none_or(|b| b == actor) => Some((
                kind.as_str(),
                id.as_deref().unwrap_or_default(),
                object.as_deref().unwrap_or_default(),
            )),
            Undone::Id(id) => Some((ANY_KIND, id.as_str(), "")),
            _ => None,
        };
        if let Some((kind, id, object)) = kept
            && !(id.is_empty() && object.is_empty())
        {
            db::received::remember_undone(tx, actor, id, kind, object).await?;
        }
    }
    Ok(received)
}

async fn undo_known(
    state: &AppState,
    tx: &mut Tx<'_>,
    actor: &str,
    undone: &Undone,
    evidence: Option<&str>,
) -> Result<Received, InboxError> {
    let u = Undo {
        actor,
        undone,
        evidence,
    };
    Ok(match undone {
        Undone::Embedded { kind, .. } => match kind {
            Kind::Follow => followers::unfollowed(state, tx, actor, undone).await?,
            Kind::Announce => cosign::undo_announce(state, tx, u).await?,
            Kind::Like => cosign::undo_like(state, tx, u).await?,
            _ => Received::Ignored("an Undo of something tribune does not track"),
        },
        Undone::Other | Undone::Nothing => {
            Received::Ignored("an Undo of something tribune does not track")
        }
        // A bare id (Pleroma and Akkoma send one): whichever of ours it names.
        Undone::Id(_) => match followers::unfollowed(state, tx, actor, undone).await? {
            Received::Applied => Received::Applied,
            _ => match cosign::undo_announce(state, tx, u).await? {
                Received::Applied => Received::Applied,
                _ => cosign::undo_like(state, tx, u).await?,
            },
        },
    })
}

/// The actor deleted its account: its follow goes, its co-signatures are withdrawn (in the
/// ledger, before the actor row goes) and its likes removed. A member's Delete of a relayed
/// post marks the relay removed.
async fn delete(
    state: &AppState,
    tx: &mut Tx<'_>,
    activity: &Envelope,
    object: Option<&str>,
) -> Result<Received, InboxError> {
    let actor = activity.actor.as_str();
    if object == Some(actor) {
        cosign::actor_deleted(state, tx, actor, activity.request.as_deref()).await?;
        db::remote_actors::delete_in(tx, actor).await?;
        return Ok(Received::Applied);
    }
    if let Some(post) = object
        && relay::post_deleted(tx, actor, post).await?
    {
        return Ok(Received::Applied);
    }
    Ok(Received::Ignored(
        "a Delete of something tribune does not keep",
    ))
}

async fn update(
    state: &AppState,
    tx: &mut Tx<'_>,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let object = activity.raw.get("object").unwrap_or(&Value::Null);
    let is_actor = object
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| ACTOR_TYPES.contains(&t));
    if !is_actor || id_of(object) != Some(activity.actor.as_str()) {
        return Ok(Received::Ignored(
            "an Update of something other than its actor",
        ));
    }
    let doc: ActorDocument = serde_json::from_value(object.clone())
        .map_err(|e| InboxError::BadRequest(format!("the updated actor is malformed: {e}")))?;
    let row =
        RemoteActor::row_from_document(&doc, state.settings.federation.allow_private_addresses)
            .map_err(|e| InboxError::BadRequest(e.to_string()))?;
    db::remote_actors::upsert_in(tx, &row).await?;
    Ok(Received::Applied)
}
