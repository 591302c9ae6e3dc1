//! Admin commands: they work on the database directly, so they run beside a live server
//! (whose delivery workers send what they queue) or with the server stopped.

use super::{BlockAction, BlockTarget, Failure, FollowersCommand, FollowingCommand, output};
use crate::{
    app::{
        blocks::{self, BlockKind},
        followers::{self as follower_ops, FollowerError},
        following, keys,
    },
    config::Settings,
    db::{
        self,
        read::followers::{FollowState, FollowerRow},
    },
    startup::federation_data,
    state::AppState,
};

pub async fn followers(settings: Settings, action: FollowersCommand) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = match action {
        FollowersCommand::List => print_followers(&state, FollowState::Accepted).await,
        FollowersCommand::Pending => print_followers(&state, FollowState::Pending).await,
        FollowersCommand::Approve { actor } => {
            let actor = resolve(&state, &actor).await?;
            follower_ops::approve(&state, &actor)
                .await
                .map(|id| out!("approved {actor}; Accept {id} queued"))
        }
        FollowersCommand::Reject { actor } | FollowersCommand::Remove { actor } => {
            let actor = resolve(&state, &actor).await?;
            follower_ops::reject(&state, &actor)
                .await
                .map(|id| out!("removed {actor}; Reject {id} queued"))
        }
    };
    state.db.close().await;
    result.map_err(|e| match e {
        FollowerError::Internal(e) => Failure::Other(e),
        e => Failure::Other(anyhow::anyhow!("{e}")),
    })
}

async fn print_followers(state: &AppState, which: FollowState) -> Result<(), FollowerError> {
    let mut offset = 0;
    loop {
        let page = db::read::followers::page(&state.db, which, offset, 500).await?;
        for f in &page {
            out!("{}", follower_line(f));
        }
        if page.len() < 500 {
            return Ok(());
        }
        offset += 500;
    }
}

fn follower_line(f: &FollowerRow) -> String {
    let handle = f
        .preferred_username
        .as_ref()
        .map(|u| output::cell(&format!("@{u}@{}", f.host)))
        .unwrap_or_default();
    format!(
        "{}\t{handle}\t{}\t{}\t{}",
        f.actor_id,
        output::cell(f.name.as_deref().unwrap_or_default()),
        output::cell(&f.kind),
        f.created_at.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// An actor id URL, or a handle `@user@host` of a known actor.
async fn resolve(state: &AppState, actor: &str) -> Result<String, Failure> {
    actor_id(state, actor).await.map_err(Failure::Other)
}

/// The actor id an operator means by `actor`: an actor URL as given, or a
/// `@user@host` handle looked up among the actors this server already knows.
pub(super) async fn actor_id(state: &AppState, actor: &str) -> anyhow::Result<String> {
    let actor = actor.trim();
    if actor.starts_with("http://") || actor.starts_with("https://") {
        return Ok(actor.to_owned());
    }
    let handle = actor.trim_start_matches('@');
    let (user, host) = handle
        .rsplit_once('@')
        .ok_or_else(|| anyhow::anyhow!("{actor:?} is neither an actor URL nor @user@host"))?;
    db::read::remote_actors::find_by_handle(&state.db, user, host)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no known actor is @{user}@{host}"))
}

pub async fn block(settings: Settings, target: BlockTarget) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let (kind, action) = match target {
        BlockTarget::Domain { action } => (BlockKind::Domain, action),
        BlockTarget::Actor { action } => (BlockKind::Actor, action),
    };
    let result = async {
        match action {
            BlockAction::List => {
                for value in blocks::list(&state, kind).await? {
                    out!("{value}");
                }
            }
            BlockAction::Add { value } => {
                let (value, added) = blocks::add(&state, kind, &value).await?;
                out!(
                    "{} {} {value}",
                    if added { "blocked" } else { "already blocked:" },
                    kind.as_str()
                );
            }
            BlockAction::Remove { value } => {
                let value = blocks::remove(&state, kind, &value).await?;
                out!("unblocked {} {value}", kind.as_str());
            }
        }
        Ok::<(), anyhow::Error>(())
    }
    .await;
    state.db.close().await;
    result.map_err(Failure::Other)
}

pub async fn following(settings: Settings, action: FollowingCommand) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = async {
        match action {
            FollowingCommand::Add { actor } => {
                let data = federation_data(&state).await?;
                let (actor, id) = following::follow(&data, &actor).await?;
                out!("following {actor}; Follow {id} queued");
            }
            FollowingCommand::Remove { actor } => {
                let actor = resolve(&state, &actor).await.map_err(|f| match f {
                    Failure::Other(e) => e,
                    Failure::Config(e) | Failure::Later(e) => anyhow::anyhow!(e),
                })?;
                let id = following::unfollow(&state, &actor).await?;
                out!("unfollowed {actor}; Undo {id} queued");
            }
            FollowingCommand::List => {
                for f in db::read::following::page(&state.db, false, 0, u64::MAX / 2).await? {
                    out!(
                        "{}\t{}\t{}",
                        f.actor_id,
                        f.state,
                        f.created_at.format("%Y-%m-%dT%H:%M:%SZ")
                    );
                }
            }
        }
        Ok::<(), anyhow::Error>(())
    }
    .await;
    state.db.close().await;
    result.map_err(Failure::Other)
}

/// `tribune keys rotate`: a new RSA-2048 pair, stored with an `Update` of the actor queued
/// to every follower, in one transaction.
pub async fn rotate_keys(settings: Settings) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = async {
        let rotated = keys::rotate(&state).await?;
        let (id, n) = (rotated.update_id, rotated.inboxes);
        out!("new key stored; Update {id} queued for {n} inbox(es)");
        Ok::<(), anyhow::Error>(())
    }
    .await;
    state.db.close().await;
    result.map_err(Failure::Other)
}
