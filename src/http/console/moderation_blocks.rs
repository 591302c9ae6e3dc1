//! Blocks of domains (with their subdomains) and actors: listed, added (saying what the block
//! removed), lifted. This server's own domain cannot be blocked.

use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

use super::{ConsoleError, Frame, Result, Submitted, Volunteer, back, moderation::invalid, render};
use crate::{
    app::{
        audit,
        blocks::{self, BlockError, BlockKind},
    },
    domain::accounts::Duty,
    http::i18n::Ui,
    state::AppState,
};

#[derive(Template)]
#[template(path = "admin/moderation_blocks.html")]
struct BlocksPage {
    f: Frame,
    domains: Vec<String>,
    actors: Vec<String>,
}

fn block_error(v: &Volunteer, e: BlockError) -> ConsoleError {
    match e {
        BlockError::NotADomain(value) => invalid(
            v,
            &format!("{value:?} is not a domain name (e.g. spam.example)."),
            &format!("{value:?} n'est pas un nom de domaine (par ex. spam.example)."),
        ),
        BlockError::NotAnActor(value) => invalid(
            v,
            &format!("{value:?} is not an actor's address (https://server/users/name)."),
            &format!("{value:?} n'est pas l'adresse d'un acteur (https://serveur/users/nom)."),
        ),
        BlockError::NotBlocked { value, .. } => invalid(
            v,
            &format!("{value} was not blocked."),
            &format!("{value} n'était pas bloqué."),
        ),
        BlockError::Ours(value) => invalid(
            v,
            &format!(
                "{value} is this server's own domain (or holds it): blocking it would cut the coalition off from itself."
            ),
            &format!(
                "{value} est le domaine de ce serveur (ou le contient) : le bloquer couperait la coalition d'elle-même."
            ),
        ),
        BlockError::CoversMembers { value, members } => invalid(
            v,
            &format!(
                "{value} covers the member(s) {}, who would stay on the roster without their profile: tick “Block even members” to block anyway.",
                members.join(", ")
            ),
            &format!(
                "{value} couvre le ou les membres {}, qui resteraient dans la liste sans leur profil : cochez « Bloquer même des membres » pour bloquer quand même.",
                members.join(", ")
            ),
        ),
        BlockError::Db(e) => ConsoleError::from(e),
    }
}

fn kind(v: &Volunteer, kind: &str) -> Result<BlockKind> {
    BlockKind::parse(kind).ok_or_else(|| {
        invalid(
            v,
            "Choose what to block: a domain or an actor.",
            "Choisissez quoi bloquer : un domaine ou un acteur.",
        )
    })
}

pub async fn page(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    v.require(Duty::Moderate)?;
    let err = |e| block_error(&v, e);
    let domains = blocks::list(&state, BlockKind::Domain).await.map_err(err)?;
    let actors = blocks::list(&state, BlockKind::Actor).await.map_err(err)?;
    let f = Frame::new(&state, &v, v.say("Blocks", "Blocages"), "/admin/blocks").await;
    Ok(render(&BlocksPage { f, domains, actors }))
}

#[derive(Deserialize)]
pub struct Block {
    /// `domain` or `actor`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    /// `yes` when the admin confirms a block that covers members.
    #[serde(default)]
    members: String,
}

pub async fn add(State(state): State<AppState>, s: Submitted<Block>) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Moderate)?;
    let kind = kind(v, &s.form.kind)?;
    let members = match s.form.members.as_str() {
        "yes" => blocks::Members::Confirmed,
        _ => blocks::Members::Refused,
    };
    let (value, done) = blocks::add_counting(&state, kind, &s.form.value, members)
        .await
        .map_err(|e| block_error(v, e))?;
    let what = match kind {
        BlockKind::Domain => "block domain",
        BlockKind::Actor => "block actor",
    };
    let detail = format!(
        "removed {} followers, {} followed accounts; {} members covered; {} co-signatures kept",
        done.followers, done.following, done.members, done.cosignatures
    );
    if done.added {
        audit::record(&state, &v.who(), what, Some(&value), Some(&detail)).await?;
    }
    let text = match (v.ui, done.added) {
        (Ui::En, true) => format!(
            "{value} is blocked. Removed: {} followers, {} followed accounts. Members covered by the block: {} (still on the roster; remove them in Members). Co-signatures kept: {} (hide them in Co-signers).",
            done.followers, done.following, done.members, done.cosignatures
        ),
        (Ui::Fr, true) => format!(
            "{value} est bloqué. Retirés : {} abonné·es, {} comptes suivis. Membres concernés par le blocage : {} (toujours dans la liste ; retirez-les dans Membres). Co-signatures conservées : {} (masquez-les dans Cosignataires).",
            done.followers, done.following, done.members, done.cosignatures
        ),
        (Ui::En, false) => format!("{value} was already blocked."),
        (Ui::Fr, false) => format!("{value} était déjà bloqué."),
    };
    v.notice(&text).await?;
    Ok(back("/admin/blocks"))
}

pub async fn remove(State(state): State<AppState>, s: Submitted<Block>) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Moderate)?;
    let kind = kind(v, &s.form.kind)?;
    let value = blocks::remove(&state, kind, &s.form.value)
        .await
        .map_err(|e| block_error(v, e))?;
    let what = match kind {
        BlockKind::Domain => "unblock domain",
        BlockKind::Actor => "unblock actor",
    };
    let text = match v.ui {
        Ui::En => format!("{value} is no longer blocked."),
        Ui::Fr => format!("{value} n'est plus bloqué."),
    };
    v.done(&state, (what, Some(&value), None), &text, "/admin/blocks")
        .await
}
