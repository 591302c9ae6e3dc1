//! The group relay (docs/interop.md §6): a member's public, top-level post addressed to
//! the coalition is announced to every follower and to the member. Everything else addressed
//! to the coalition is held for an admin; nothing outside the rule is relayed by itself.

use chrono::{SubsecRound, Utc};
use serde_json::Value;
use url::Url;

use super::{
    Received,
    outbox::{self, Listed},
};
use crate::{
    db::{self, Tx, relays::RelayRow, states::RelayDecision},
    protocol::{
        activities::Activity,
        incoming::{id_of, is_public},
        note::activity_id,
    },
    state::AppState,
};

/// A `Create` addressed to the coalition, from a verified actor: its id, its author and the
/// activity as received (kept to relay or to show an admin).
#[derive(Debug, Clone, Copy)]
pub struct MemberPost<'a> {
    pub create_id: &'a str,
    pub actor: &'a str,
    pub create: &'a Value,
}

fn ids(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(id_of).collect(),
        Some(o @ Value::Object(_)) => id_of(o).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// What the rule sees in a Create.
#[derive(Debug)]
pub struct Post<'a> {
    pub id: &'a str,
    pub addressed: bool,
    pub public: bool,
    pub reply: bool,
    pub by_actor: bool,
}

/// Read a Create against the rule: addressed to the coalition (in `to`/`cc`, a `Mention`,
/// or `audience` as FEP-1b12 has it), public, top-level, by its actor.
pub fn read<'a>(state: &AppState, post: MemberPost<'a>) -> Option<Post<'a>> {
    let object = post.create.get("object").unwrap_or(&Value::Null);
    let id = id_of(object)?;
    let group = state.coalition.urls.actor.as_str();
    let addressing = |v: &'a Value| {
        let mut all = ids(v.get("to"));
        all.extend(ids(v.get("cc")));
        all.extend(ids(v.get("audience")));
        all
    };
    let mut recipients = addressing(post.create);
    recipients.extend(addressing(object));
    let mentioned = match object.get("tag") {
        Some(Value::Array(tags)) => tags.iter().any(|t| {
            t.get("type").and_then(Value::as_str) == Some("Mention")
                && t.get("href").and_then(Value::as_str) == Some(group)
        }),
        Some(t @ Value::Object(_)) => t.get("href").and_then(Value::as_str) == Some(group),
        _ => false,
    };
    // Relayed only if the post is the sender's own: attributed to it and on its server, since
    // Mastodon fetches an announced post from its id's origin (SECURITY.md, attack 7).
    let attributed = ids(object.get("attributedTo"));
    let on_its_server = Url::parse(id)
        .ok()
        .zip(Url::parse(post.actor).ok())
        .is_some_and(|(object, actor)| object.origin() == actor.origin());
    Some(Post {
        id,
        addressed: mentioned || recipients.contains(&group),
        public: recipients.iter().any(|r| is_public(r)),
        reply: object.get("inReplyTo").is_some_and(|r| !r.is_null()),
        by_actor: attributed.contains(&post.actor) && on_its_server,
    })
}

pub async fn create(
    state: &AppState,
    tx: &mut Tx<'_>,
    incoming: MemberPost<'_>,
) -> Result<Received, RelayError> {
    let Some(post) = read(state, incoming) else {
        return Ok(Received::Ignored("a Create of nothing"));
    };
    if !post.addressed {
        return Ok(Received::Ignored("a Create not addressed to the coalition"));
    }
    let actor = incoming.actor;
    let member = db::relays::member_in(tx, actor).await?.is_some();
    let reason = if !post.by_actor {
        Some("not by its author")
    } else if !member {
        Some("not a member")
    } else if post.reply {
        Some("a reply")
    } else if !post.public {
        Some("not public")
    } else {
        let since = Utc::now() - chrono::Duration::hours(1);
        let recent = db::relays::count_since(tx, actor, since).await?;
        (recent >= i64::from(state.settings.relay.max_per_member_per_hour))
            .then_some("over the member's hourly relay limit")
    };
    if let Some(reason) = reason {
        let kept = incoming.create.to_string();
        if kept.len() > MAX_HELD_BYTES {
            return Err(RelayError::TooLarge {
                limit: MAX_HELD_BYTES,
            });
        }
        db::relays::hold(tx, post.id, actor, incoming.create_id, &kept, reason).await?;
        return Ok(Received::Applied);
    }
    relay(
        state,
        tx,
        actor,
        post.id,
        incoming.create_id,
        incoming.create,
    )
    .await?;
    Ok(Received::Applied)
}

/// Announce a post to every follower and to its author.
async fn relay(
    state: &AppState,
    tx: &mut Tx<'_>,
    author: &str,
    post_id: &str,
    create_id: &str,
    create: &Value,
) -> Result<(), RelayError> {
    let c = &state.coalition;
    let now = Utc::now().trunc_subsecs(0);
    let announce = Activity::announce_post(
        activity_id(c),
        &c.urls.actor,
        &c.urls.followers,
        post_id,
        author,
        now,
    );
    let announce_id = announce.id.clone();
    let row = RelayRow {
        post_id: post_id.to_owned(),
        member_id: author.to_owned(),
        create_id: create_id.to_owned(),
        create_json: create.to_string(),
        announce_id: announce_id.clone(),
        relayed_at: now,
        removed_at: None,
        undone_at: None,
    };
    if !db::relays::insert_relay(tx, &row).await? {
        return Ok(());
    }
    send_to_followers_and(state, tx, &announce, author).await?;
    if state.settings.relay.announce_create_to_lemmy_family {
        announce_create(state, tx, create).await?;
    }
    Ok(())
}

/// FEP-1b12's form for Lemmy, Mbin and PieFed followers: the member's Create, verbatim,
/// announced by the group (docs/interop.md §6, comparison).
async fn announce_create(
    state: &AppState,
    tx: &mut Tx<'_>,
    create: &Value,
) -> Result<(), RelayError> {
    let inboxes: Vec<Url> = db::relays::follower_inboxes_on(tx, &["lemmy", "mbin", "piefed"])
        .await?
        .iter()
        .filter_map(|i| Url::parse(i).ok())
        .collect();
    if inboxes.is_empty() {
        return Ok(());
    }
    let c = &state.coalition;
    let announce = Activity::announce_create(
        activity_id(c),
        &c.urls.actor,
        &c.urls.followers,
        create.clone(),
    );
    outbox::to_inboxes(
        tx,
        &announce,
        &inboxes,
        Listed::NotListed,
        state.allows_private(),
    )
    .await?;
    Ok(())
}

async fn send_to_followers_and(
    state: &AppState,
    tx: &mut Tx<'_>,
    activity: &Activity,
    author: &str,
) -> Result<(), RelayError> {
    outbox::to_followers(tx, activity, Listed::InOutbox).await?;
    // The member is told too (Mastodon notifies it unless it follows the coalition).
    if let Some(actor) = db::remote_actors::get_in(tx, author).await? {
        let inbox = actor.shared_inbox.as_deref().unwrap_or(&actor.inbox);
        if let Ok(inbox) = Url::parse(inbox) {
            outbox::to_inboxes(
                tx,
                activity,
                &[inbox],
                Listed::InOutbox,
                state.allows_private(),
            )
            .await?;
        }
    }
    Ok(())
}

/// A member deleted a post: if it was relayed, the relay is marked removed (Mastodon drops
/// boosts of a deleted post by itself, so nothing is sent). True when it was one of ours.
pub async fn post_deleted(tx: &mut Tx<'_>, actor: &str, post_id: &str) -> Result<bool, RelayError> {
    match db::relays::relay_in(tx, post_id).await? {
        Some(r) if r.member_id == actor => {
            // Already marked (a repeated Delete) is fine too.
            db::relays::mark_removed(tx, post_id).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The most of a post held for moderation that is kept: a post (with its activity) larger
/// than this is refused, not stored (SECURITY.md, attack 5).
pub const MAX_HELD_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("a post larger than {limit} bytes is not held for moderation")]
    TooLarge { limit: usize },
    #[error("no pending post {0}")]
    NotPending(String),
    #[error("{0} is not public: Mastodon refuses boosts of followers-only posts")]
    NotPublic(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<db::DbError> for RelayError {
    fn from(e: db::DbError) -> Self {
        RelayError::Internal(e.into())
    }
}

/// An admin approves a held post: it is relayed (if public) whatever the rule said.
pub async fn approve(state: &AppState, post_id: &str) -> Result<String, RelayError> {
    let mut tx = state.db.begin().await?;
    let pending = db::relays::pending_in(&mut tx, post_id)
        .await?
        .ok_or_else(|| RelayError::NotPending(post_id.to_owned()))?;
    let create: Value =
        serde_json::from_str(&pending.create_json).map_err(|e| RelayError::Internal(e.into()))?;
    let held = MemberPost {
        create_id: &pending.create_id,
        actor: &pending.actor_id,
        create: &create,
    };
    let public = read(state, held).is_some_and(|p| p.public);
    if !public {
        return Err(RelayError::NotPublic(post_id.to_owned()));
    }
    db::relays::decide(&mut tx, post_id, RelayDecision::Approved).await?;
    relay(
        state,
        &mut tx,
        &pending.actor_id,
        post_id,
        &pending.create_id,
        &create,
    )
    .await?;
    tx.commit().await?;
    state.wakeup.notify();
    Ok(post_id.to_owned())
}

pub async fn reject(state: &AppState, post_id: &str) -> Result<(), RelayError> {
    let mut tx = state.db.begin().await?;
    if !db::relays::decide(&mut tx, post_id, RelayDecision::Rejected).await? {
        return Err(RelayError::NotPending(post_id.to_owned()));
    }
    tx.commit().await?;
    Ok(())
}

/// Undo the live relays of a member (when it is struck off and the setting says so).
pub async fn undo_relays_of(
    state: &AppState,
    tx: &mut Tx<'_>,
    member: &str,
) -> Result<usize, RelayError> {
    let c = &state.coalition;
    let relays = db::relays::live_relays_of(tx, member).await?;
    for r in &relays {
        let undo = Activity::undo_announce(
            &c.urls.actor,
            &c.urls.followers,
            &r.announce_id,
            &r.post_id,
            member,
        );
        db::relays::mark_undone(tx, &r.post_id).await?;
        send_to_followers_and(state, tx, &undo, member).await?;
    }
    Ok(relays.len())
}
