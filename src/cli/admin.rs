//! Admin commands: they work on the database directly, so they run beside a live server
//! (whose delivery workers send what they queue) or with the server stopped.

use super::{
    BlockAction, BlockTarget, Failure, FollowersCommand, FollowingCommand, Format,
    output::{Table, when},
};
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
        FollowersCommand::List { format } => {
            print_followers(&state, FollowState::Accepted, format).await
        }
        FollowersCommand::Pending { format } => {
            print_followers(&state, FollowState::Pending, format).await
        }
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

async fn print_followers(
    state: &AppState,
    which: FollowState,
    format: Format,
) -> Result<(), FollowerError> {
    let mut table = Table::new(&["actor", "handle", "name", "type", "since"]);
    let mut offset = 0;
    loop {
        let page = db::read::followers::page(&state.db, which, offset, 500).await?;
        for f in &page {
            table.row(follower_row(f));
        }
        if page.len() < 500 {
            table.print(format);
            return Ok(());
        }
        offset += 500;
    }
}

fn follower_row(f: &FollowerRow) -> Vec<String> {
    let handle = f
        .preferred_username
        .as_ref()
        .map(|u| format!("@{u}@{}", f.host))
        .unwrap_or_default();
    vec![
        f.actor_id.clone(),
        handle,
        f.name.clone().unwrap_or_default(),
        f.kind.clone(),
        when(f.created_at),
    ]
}

/// An actor id URL, or a handle (`@user@host` or `user@host`).
async fn resolve(state: &AppState, actor: &str) -> Result<String, Failure> {
    actor_id(state, actor).await.map_err(Failure::Other)
}

/// The actor id an operator means by `actor`, as every command resolves it
/// (`following::actor_id`: known actors first, then WebFinger).
pub(super) async fn actor_id(state: &AppState, actor: &str) -> anyhow::Result<String> {
    let data = federation_data(state).await?;
    Ok(following::actor_id(&data, actor).await?)
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
            BlockAction::List { format } => {
                let mut table = Table::new(match kind {
                    BlockKind::Domain => &["domain"],
                    BlockKind::Actor => &["actor"],
                });
                for value in blocks::list(&state, kind).await? {
                    table.row(vec![value]);
                }
                table.print(format);
            }
            BlockAction::Add { value, yes } => {
                let value = block_value(&state, kind, &value).await?;
                let members = match yes {
                    true => blocks::Members::Confirmed,
                    false => blocks::Members::Refused,
                };
                let (value, done) = blocks::add_counting(&state, kind, &value, members)
                    .await
                    .map_err(|e| match e {
                        blocks::BlockError::CoversMembers { .. } => {
                            anyhow::anyhow!("{}", e.to_string().replace("confirm", "add --yes"))
                        }
                        e => e.into(),
                    })?;
                if !done.added {
                    out!("already blocked: {} {value}", kind.as_str());
                } else {
                    out!(
                        "blocked {} {value}: removed {} follower(s) and {} followed account(s); \
                         {} member(s) covered stay on the roster without their profile \
                         (tribune members remove); {} co-signature(s) kept and still shown \
                         (tribune cosigners hide)",
                        kind.as_str(),
                        done.followers,
                        done.following,
                        done.members,
                        done.cosignatures
                    );
                }
            }
            BlockAction::Remove { value, .. } => {
                let value = block_value(&state, kind, &value).await?;
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

/// A domain as given; an actor by URL or handle, resolved as every command resolves it.
async fn block_value(state: &AppState, kind: BlockKind, value: &str) -> anyhow::Result<String> {
    match kind {
        BlockKind::Domain => Ok(value.to_owned()),
        BlockKind::Actor => actor_id(state, value).await,
    }
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
                let actor = actor_id(&state, &actor).await?;
                let id = following::unfollow(&state, &actor).await?;
                out!("unfollowed {actor}; Undo {id} queued");
            }
            FollowingCommand::List { format } => {
                let mut table = Table::new(&["actor", "state", "since"]);
                for f in db::read::following::page(&state.db, false, 0, u64::MAX / 2).await? {
                    table.row(vec![
                        f.actor_id.clone(),
                        f.state.to_string(),
                        when(f.created_at),
                    ]);
                }
                table.print(format);
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
