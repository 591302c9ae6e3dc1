//! The roster of member organisations (docs/interop.md §6): listed, added in two steps (the
//! handle is resolved and the actor shown, then confirmed), removed.

use activitypub_federation::config::Data;
use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

use super::{
    ConsoleError, Frame, Result, Submitted, Volunteer, back,
    moderation::{handle, invalid},
    render,
};
use crate::{
    app::{
        audit, following,
        members::{self, MemberError},
    },
    db::{self, read::relays::MemberRow},
    domain::{accounts::Duty, markdown::sanitise},
    http::i18n::Ui,
    state::AppState,
};

#[derive(Template)]
#[template(path = "admin/moderation_members.html")]
struct MembersPage {
    f: Frame,
    members: Vec<MemberRow>,
}

pub async fn page(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    v.require(Duty::Moderate)?;
    let members = db::read::relays::members(&state.db).await?;
    let f = Frame::new(&state, &v, v.say("Members", "Membres"), "/admin/members").await;
    Ok(render(&MembersPage { f, members }))
}

/// The actor named in the form: its id URL, or `@user@host`.
#[derive(Deserialize)]
pub struct Named {
    #[serde(default)]
    actor: String,
}

/// What the volunteer confirms before adding.
#[derive(Template)]
#[template(path = "admin/moderation_member_preview.html")]
struct Preview {
    f: Frame,
    id: String,
    name: String,
    handle: String,
    kind: String,
    /// The actor's summary, sanitised.
    summary: String,
    icon: Option<String>,
    member: bool,
}

/// An actor we know by this handle is taken by its id (the federation crate refreshes it when
/// it is older than a day); any other is looked up with WebFinger.
async fn named(state: &AppState, actor: &str) -> Result<String> {
    let text = actor.trim();
    if text.starts_with("http://") || text.starts_with("https://") {
        return Ok(text.to_owned());
    }
    let known = match text.trim_start_matches('@').split_once('@') {
        Some((user, host)) if !user.is_empty() && !host.is_empty() => {
            db::read::remote_actors::find_by_handle(&state.db, user, host).await?
        }
        _ => None,
    };
    Ok(known.unwrap_or_else(|| text.to_owned()))
}

fn unresolved(v: &Volunteer, actor: &str, why: &str) -> ConsoleError {
    invalid(
        v,
        &format!("Cannot find {actor}: {why}. Check the handle (@name@server) or the address."),
        &format!(
            "Impossible de trouver {actor} : {why}. Vérifiez l'identifiant (@nom@serveur) ou l'adresse."
        ),
    )
}

/// Step 1: resolve the actor and show it.
pub async fn preview(data: Data<AppState>, s: Submitted<Named>) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Moderate)?;
    let asked = s.form.actor.trim();
    if asked.is_empty() {
        return Err(invalid(
            v,
            "Give the member's handle (@name@server) or address.",
            "Indiquez l'identifiant (@nom@serveur) ou l'adresse du membre.",
        ));
    }
    let target = named(&data, asked).await?;
    let actor = following::resolve(&data, &target)
        .await
        .map_err(|e| match e {
            following::FollowingError::Resolve(_, why) => unresolved(v, asked, &why),
            e @ following::FollowingError::NotAnActor(_) => unresolved(v, asked, &e.to_string()),
            e => ConsoleError::Internal(e.into()),
        })?;
    let summary = actor
        .document()
        .ok()
        .and_then(|d| d.raw.get("summary").and_then(|s| s.as_str()).map(sanitise))
        .unwrap_or_default();
    let row = &actor.row;
    let id = actor.id.to_string();
    let member = db::read::relays::members(&data.db)
        .await?
        .iter()
        .any(|m| m.actor_id == id);
    let title = v.say("Add this member?", "Ajouter ce membre ?");
    let f = Frame::new(&data, v, title, "/admin/members").await;
    Ok(render(&Preview {
        f,
        name: row.name.clone().unwrap_or_default(),
        handle: handle(row.preferred_username.as_deref(), Some(&row.host)),
        kind: row.kind.clone(),
        summary,
        icon: row.icon_url.clone(),
        member,
        id,
    }))
}

/// Step 2: the volunteer confirmed.
pub async fn add(data: Data<AppState>, s: Submitted<Named>) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Moderate)?;
    let asked = s.form.actor.trim();
    let (id, added) = members::add(&data, asked).await.map_err(|e| match e {
        MemberError::Unresolved(why) => {
            // The use case's message names the actor already.
            let prefix = format!("cannot find {asked}: ");
            unresolved(v, asked, why.strip_prefix(&prefix).unwrap_or(&why))
        }
        e => ConsoleError::Internal(e.into()),
    })?;
    if added {
        audit::record(&data, &v.who(), "add member", Some(&id), None).await?;
    }
    let text = match (v.ui, added) {
        (Ui::En, true) => format!(
            "{id} is now a member: its public posts addressed to the coalition are relayed."
        ),
        (Ui::En, false) => format!("{id} was already a member."),
        (Ui::Fr, true) => format!(
            "{id} est maintenant membre : ses publications publiques adressées à la coalition sont relayées."
        ),
        (Ui::Fr, false) => format!("{id} était déjà membre."),
    };
    v.notice(&text).await?;
    Ok(back("/admin/members"))
}

pub async fn remove(State(state): State<AppState>, s: Submitted<Named>) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Moderate)?;
    let actor = s.form.actor.trim();
    let undone = members::remove(&state, actor)
        .await
        .map_err(|e| ConsoleError::Internal(e.into()))?
        .ok_or_else(|| {
            invalid(
                v,
                &format!("{actor} is not a member."),
                &format!("{actor} n'est pas membre."),
            )
        })?;
    let detail = format!("{undone} relays undone");
    let text = match v.ui {
        Ui::En => format!("{actor} is no longer a member ({undone} relayed posts withdrawn)."),
        Ui::Fr => format!("{actor} n'est plus membre ({undone} publications relayées retirées)."),
    };
    v.done(
        &state,
        ("remove member", Some(actor), Some(&detail)),
        &text,
        "/admin/members",
    )
    .await
}
