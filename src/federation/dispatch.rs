//! What each verified activity does, and the activities we send in answer.
//!
//! - `Follow` of the coalition → follower recorded, `Accept` queued with the Follow embedded
//!   verbatim (or pending, when follows are approved by hand).
//! - `Undo{Follow}` → follower removed (the inner id, or actor and object, match).
//! - `Announce` of a statement → co-signature; `Undo{Announce}` → withdrawn (cosign.rs).
//! - `Like` of a statement → support, counted; `Undo{Like}` → removed.
//! - `Create` addressed to the coalition → relayed or held (relay.rs); a member's `Delete`
//!   of a relayed post marks the relay removed; a member's `Move` moves its membership.
//! - `Delete` of the actor itself → actor and follow removed.
//! - `Update` of the actor itself → stored profile refreshed.
//! - `Accept` / `Reject` of a Follow the coalition sent → following confirmed / dropped.
//! - Anything else → accepted and ignored.

use activitypub_federation::config::Data;
use serde_json::{Value, json};
use url::Url;

use super::{
    inbox::{Envelope, InboxError, Received, id_of},
    remote_actor::RemoteActor,
};
use crate::{
    app::{cosign, members, relay},
    protocol::{
        AS_CONTEXT,
        remote_actor::{ACTOR_TYPES, ActorDocument},
    },
    util::now_ms,
};
use crate::{
    db::{
        self, Tx,
        deliveries::NewActivity,
        followers::{FollowState, FollowerRow},
    },
    state::AppState,
};

pub async fn apply(
    data: &Data<AppState>,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    match activity.kind.as_str() {
        "Follow" => follow(data, tx, activity).await,
        "Undo" => undo(data, tx, activity).await,
        "Delete" => delete(data, tx, activity).await,
        "Announce" => cosign::announce(data, tx, activity).await,
        "Create" => relay::create(data, tx, activity).await,
        "Move" => members::moved(data, tx, activity).await,
        "Like" => cosign::like(data, tx, activity).await,
        "Update" => update(tx, activity).await,
        "Accept" | "Reject" => answer_to_our_follow(data, tx, activity).await,
        _ => Ok(Received::Ignored(
            "an activity type tribune does not handle",
        )),
    }
}

async fn follow(
    data: &Data<AppState>,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let ours = &data.coalition.urls.actor;
    if id_of(activity.object()) != Some(ours.as_str()) {
        return Err(InboxError::Unprocessable(format!(
            "the Follow's object must be {ours}"
        )));
    }
    let state = if data.coalition.manually_approves_followers {
        FollowState::Pending
    } else {
        FollowState::Accepted
    };
    let actor = activity.actor.as_str();
    db::followers::upsert(
        tx,
        actor,
        activity.id.as_str(),
        &activity.raw.to_string(),
        state,
    )
    .await?;
    // A repeated Follow from an accepted follower is accepted again, even when new follows
    // wait for approval: Mastodon re-sends Follows, e.g. after our key changes, and without a
    // new Accept the follow stays "requested" (docs/interop.md §3).
    let stored = db::followers::get_in(tx, actor)
        .await?
        .ok_or_else(|| InboxError::Internal(anyhow::anyhow!("the follow vanished")))?;
    if stored.state == FollowState::Accepted.as_str() {
        queue_answer(data, tx, Answer::Accept, &stored).await?;
    }
    // Nothing is sent for a pending follow: Mastodon keeps it "requested" until an admin
    // approves (Accept) or rejects (Reject) it.
    Ok(Received::Applied)
}

async fn undo(
    data: &Data<AppState>,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let inner = activity.object();
    match inner.get("type").and_then(Value::as_str) {
        Some("Follow") => undo_follow(data, tx, activity).await,
        Some("Announce") => cosign::undo_announce(data, tx, activity).await,
        Some("Like") => cosign::undo_like(data, tx, activity).await,
        Some(_) => Ok(Received::Ignored(
            "an Undo of something tribune does not track",
        )),
        // A bare id (Pleroma and Akkoma send one): whichever of ours it names.
        None => match undo_follow(data, tx, activity).await? {
            Received::Applied => Ok(Received::Applied),
            _ => match cosign::undo_announce(data, tx, activity).await? {
                Received::Applied => Ok(Received::Applied),
                _ => cosign::undo_like(data, tx, activity).await,
            },
        },
    }
}

async fn undo_follow(
    data: &Data<AppState>,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let inner = activity.object();
    let actor = activity.actor.as_str();
    let Some(follower) = db::followers::get_in(tx, actor).await? else {
        return Ok(Received::Ignored("an Undo of no follow we know"));
    };
    let names_the_follow = id_of(inner) == Some(follower.follow_id.as_str());
    let is_our_follow = inner.get("type").and_then(Value::as_str) == Some("Follow")
        && inner.get("actor").and_then(id_of) == Some(actor)
        && inner.get("object").and_then(id_of) == Some(data.coalition.urls.actor.as_str());
    if names_the_follow || is_our_follow {
        db::followers::remove(tx, actor).await?;
        return Ok(Received::Applied);
    }
    Ok(Received::Ignored("an Undo of another follow"))
}

/// The actor deleted its account: its follow goes, its co-signatures are withdrawn (in the
/// ledger, before the actor row goes) and its likes removed.
async fn delete(
    state: &AppState,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    if id_of(activity.object()) == Some(activity.actor.as_str()) {
        cosign::actor_deleted(state, tx, activity).await?;
        db::remote_actors::delete_in(tx, activity.actor.as_str()).await?;
        return Ok(Received::Applied);
    }
    if relay::post_deleted(tx, activity).await? {
        return Ok(Received::Applied);
    }
    Ok(Received::Ignored(
        "a Delete of something tribune does not keep",
    ))
}

async fn update(tx: &mut Tx, activity: &Envelope) -> Result<Received, InboxError> {
    let object = activity.object();
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
        RemoteActor::row_from_document(&doc).map_err(|e| InboxError::BadRequest(e.to_string()))?;
    db::remote_actors::upsert_in(tx, &row).await?;
    Ok(Received::Applied)
}

/// An Accept or Reject of a Follow we sent. Its object is our Follow, embedded or by id
/// (Mastodon embeds it; others send the id).
async fn answer_to_our_follow(
    data: &Data<AppState>,
    tx: &mut Tx,
    activity: &Envelope,
) -> Result<Received, InboxError> {
    let actor = activity.actor.as_str();
    let Some(ours) = db::following::get_in(tx, actor).await? else {
        return Ok(Received::Ignored("an answer to no follow of ours"));
    };
    let object = activity.object();
    let names_it = id_of(object) == Some(ours.follow_id.as_str());
    let describes_it = object.get("type").and_then(Value::as_str) == Some("Follow")
        && object.get("actor").and_then(id_of) == Some(data.coalition.urls.actor.as_str())
        && object.get("object").and_then(id_of) == Some(actor);
    if !(names_it || describes_it) {
        return Ok(Received::Ignored("an answer to another follow"));
    }
    if activity.kind == "Accept" {
        db::following::accept(tx, actor).await?;
    } else {
        db::following::remove(tx, actor).await?;
    }
    Ok(Received::Applied)
}

/// Our answers to a Follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Reject,
}

impl Answer {
    fn kind(self) -> &'static str {
        match self {
            Answer::Accept => "Accept",
            Answer::Reject => "Reject",
        }
    }
}

/// `Accept` or `Reject` embedding the Follow exactly as received: Mastodon matches a string
/// object only against the Follow id it stored, and an embedded Follow by its actor and
/// object, so the embedded form always works (docs/interop.md §3).
pub fn follow_answer(
    coalition_actor: &Url,
    answer: Answer,
    follow: &Value,
    follower: &str,
) -> Value {
    let path = match answer {
        Answer::Accept => "accepts",
        Answer::Reject => "rejects",
    };
    let id = format!(
        "{coalition_actor}#{path}/follows/{:032x}",
        rand::random::<u128>()
    );
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": answer.kind(),
        "actor": coalition_actor.as_str(),
        "to": [follower],
        "object": follow,
    })
}

/// Queue an Accept or Reject of a follower's Follow to its personal inbox (one-to-one
/// activities go there, not to the shared inbox, docs/interop.md §7).
pub async fn queue_answer(
    state: &AppState,
    tx: &mut Tx,
    answer: Answer,
    follower: &FollowerRow,
) -> anyhow::Result<String> {
    let follow: Value = serde_json::from_str(&follower.follow_json)?;
    let body = follow_answer(
        &state.coalition.urls.actor,
        answer,
        &follow,
        &follower.actor_id,
    );
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    let inbox = Url::parse(&follower.inbox)?;
    db::deliveries::enqueue(
        tx,
        &NewActivity {
            id: &id,
            kind: answer.kind(),
            body: &body.to_string(),
            in_outbox: false,
        },
        &[inbox],
        now_ms(),
    )
    .await?;
    Ok(id)
}
