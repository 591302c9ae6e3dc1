//! Moderation (docs/admin.md, the Moderate duty): follow requests waiting for approval and
//! member posts held by the relay (docs/interop.md §6). Members and blocks are in
//! `moderation_members` and `moderation_blocks`.

use askama::Template;
use axum::{extract::State, response::Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{ConsoleError, Frame, Result, Submitted, Volunteer, render};
use crate::{
    app::{
        followers::{self, FollowerError},
        relay::{self, RelayError},
    },
    db::{self, read::followers::FollowerRow},
    domain::{accounts::Duty, markdown::sanitise},
    http::i18n::Ui,
    state::AppState,
};

/// The most rows a page lists; the rest waits for the next visit.
pub(super) const PAGE: u64 = 200;

/// An actor as a volunteer recognises it: `@user@host`.
pub(super) fn handle(user: Option<&str>, host: Option<&str>) -> String {
    match (user, host) {
        (Some(u), Some(h)) => format!("@{u}@{h}"),
        _ => String::new(),
    }
}

pub(super) fn invalid(v: &Volunteer, en: &str, fr: &str) -> ConsoleError {
    ConsoleError::Invalid(
        v.ui,
        match v.ui {
            Ui::En => en.to_owned(),
            Ui::Fr => fr.to_owned(),
        },
    )
}

fn unknown_action(v: &Volunteer) -> ConsoleError {
    invalid(v, "Unknown action.", "Action inconnue.")
}

/// What the Approve and Reject buttons send.
#[derive(Deserialize)]
pub struct Decision {
    /// `approve` or `reject`.
    action: String,
    /// The follower's actor id, or the held post's id.
    #[serde(default)]
    actor: String,
    #[serde(default)]
    post: String,
}

#[derive(Template)]
#[template(path = "admin/moderation_follows.html")]
struct FollowsPage {
    f: Frame,
    follows: Vec<FollowerRow>,
    more: bool,
}

pub async fn follows(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    v.require(Duty::Moderate)?;
    let pending = db::read::followers::FollowState::Pending;
    let mut follows = db::read::followers::page(&state.db, pending, 0, PAGE + 1).await?;
    let more = follows.len() as u64 > PAGE;
    follows.truncate(PAGE as usize);
    let title = v.say("Follow requests", "Demandes d'abonnement");
    let f = Frame::new(&state, &v, title, "/admin/follows").await;
    Ok(render(&FollowsPage { f, follows, more }))
}

fn follower_error(v: &Volunteer, actor: &str, e: FollowerError) -> ConsoleError {
    match e {
        FollowerError::NotFound(_) => invalid(
            v,
            &format!("{actor} has not asked to follow the coalition (any more)."),
            &format!("{actor} ne demande pas (ou plus) à suivre la coalition."),
        ),
        FollowerError::Conflict(_) => invalid(
            v,
            &format!("{actor} already follows the coalition."),
            &format!("{actor} suit déjà la coalition."),
        ),
        e => ConsoleError::Internal(e.into()),
    }
}

pub async fn decide_follow(
    State(state): State<AppState>,
    s: Submitted<Decision>,
) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Moderate)?;
    let actor = s.form.actor.trim();
    let (action, answer, en, fr) = match s.form.action.as_str() {
        "approve" => (
            "approve follow",
            followers::approve(&state, actor).await,
            "approved: the coalition sent an Accept",
            "acceptée : la coalition a envoyé un Accept",
        ),
        "reject" => (
            "reject follow",
            followers::reject(&state, actor).await,
            "rejected: the coalition sent a Reject",
            "refusée : la coalition a envoyé un Reject",
        ),
        _ => return Err(unknown_action(v)),
    };
    let id = answer.map_err(|e| follower_error(v, actor, e))?;
    let text = match v.ui {
        Ui::En => format!("The follow request of {actor} is {en}."),
        Ui::Fr => format!("La demande d'abonnement de {actor} est {fr}."),
    };
    v.done(
        &state,
        (action, Some(actor), Some(&id)),
        &text,
        "/admin/follows",
    )
    .await
}

/// A post held by the relay, as its author wrote it.
pub struct Held {
    pub post_id: String,
    pub actor_id: String,
    pub author: String,
    pub reason: &'static str,
    pub received_at: DateTime<Utc>,
    /// The content warning's HTML, sanitised.
    pub summary: Option<String>,
    /// The post's HTML, sanitised.
    pub html: String,
}

#[derive(Template)]
#[template(path = "admin/moderation_relay.html")]
struct RelayPage {
    f: Frame,
    held: Vec<Held>,
    more: bool,
}

/// Why the relay held a post (`app::relay::create`'s reasons), in the interface language.
fn reason_text(ui: Ui, reason: &str) -> &'static str {
    match reason {
        "not by its author" => ui.say("not by its author", "pas de son auteur"),
        "not a member" => ui.say("the author is not a member", "l'auteur n'est pas membre"),
        "a reply" => ui.say("a reply", "une réponse"),
        "not public" => ui.say("not public", "pas publique"),
        "over the member's hourly relay limit" => ui.say(
            "over the member's hourly relay limit",
            "au-delà de la limite horaire du membre",
        ),
        _ => ui.say("held by the relay's rule", "retenue par la règle du relais"),
    }
}

/// The text of a held Create's object: `content`, else the first of `contentMap`.
fn content_of(object: &Value, field: &str) -> Option<String> {
    let text = object.get(field).and_then(Value::as_str).or_else(|| {
        object
            .get(format!("{field}Map"))
            .and_then(Value::as_object)
            .and_then(|m| m.values().find_map(Value::as_str))
    })?;
    Some(text.to_owned())
}

async fn held(state: &AppState, ui: Ui, row: db::read::relays::PendingRow) -> Result<Held> {
    let create: Value = serde_json::from_str(&row.create_json).unwrap_or(Value::Null);
    let object = create.get("object").unwrap_or(&Value::Null);
    let html = content_of(object, "content")
        .map(|c| sanitise(&c))
        .unwrap_or_default();
    let summary = content_of(object, "summary")
        .map(|s| sanitise(&s))
        .filter(|s| !s.is_empty());
    let author = match db::read::remote_actors::get(&state.db, &row.actor_id).await? {
        Some(a) => {
            let name = a.name.unwrap_or_default();
            let handle = handle(a.preferred_username.as_deref(), Some(&a.host));
            format!("{name} {handle}").trim().to_owned()
        }
        None => String::new(),
    };
    Ok(Held {
        reason: reason_text(ui, &row.reason),
        post_id: row.post_id,
        actor_id: row.actor_id,
        author,
        received_at: row.received_at,
        summary,
        html,
    })
}

pub async fn relay_queue(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    v.require(Duty::Moderate)?;
    let rows = db::read::relays::pending(&state.db).await?;
    let more = rows.len() as u64 > PAGE;
    let mut posts = Vec::new();
    for row in rows.into_iter().take(PAGE as usize) {
        posts.push(held(&state, v.ui, row).await?);
    }
    let title = v.say("Held posts", "Publications en attente");
    let f = Frame::new(&state, &v, title, "/admin/relay").await;
    Ok(render(&RelayPage {
        f,
        held: posts,
        more,
    }))
}

fn relay_error(v: &Volunteer, post: &str, e: RelayError) -> ConsoleError {
    match e {
        RelayError::NotPending(_) => invalid(
            v,
            &format!("The post {post} is not waiting for a decision (any more)."),
            &format!("La publication {post} n'attend pas (ou plus) de décision."),
        ),
        RelayError::NotPublic(_) => invalid(
            v,
            &format!(
                "The post {post} is not public: Mastodon refuses boosts of followers-only posts. Reject it instead."
            ),
            &format!(
                "La publication {post} n'est pas publique : Mastodon refuse de partager les publications réservées aux abonné·es. Refusez-la plutôt."
            ),
        ),
        e => ConsoleError::Internal(e.into()),
    }
}

pub async fn decide_post(
    State(state): State<AppState>,
    s: Submitted<Decision>,
) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Moderate)?;
    let post = s.form.post.trim();
    let (action, en, fr) = match s.form.action.as_str() {
        "approve" => {
            relay::approve(&state, post)
                .await
                .map_err(|e| relay_error(v, post, e))?;
            (
                "approve relay",
                "approved: the coalition announces it to its followers",
                "acceptée : la coalition la partage à ses abonné·es",
            )
        }
        "reject" => {
            relay::reject(&state, post)
                .await
                .map_err(|e| relay_error(v, post, e))?;
            (
                "reject relay",
                "rejected: it is not relayed",
                "refusée : elle n'est pas relayée",
            )
        }
        _ => return Err(unknown_action(v)),
    };
    let text = match v.ui {
        Ui::En => format!("The post {post} is {en}."),
        Ui::Fr => format!("La publication {post} est {fr}."),
    };
    v.done(&state, (action, Some(post), None), &text, "/admin/relay")
        .await
}
