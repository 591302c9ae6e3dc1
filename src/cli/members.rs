//! `tribune members …` and `tribune relay …`.

use super::{
    Failure, MembersCommand, RelayCommand,
    output::{Table, when},
};
use crate::{
    app::{members, relay},
    config::Settings,
    db,
    startup::federation_data,
};

pub async fn run(settings: Settings, action: MembersCommand) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = async {
        match action {
            MembersCommand::Add { actor } => {
                let data = federation_data(&state).await?;
                let (id, added) = members::add(&data, &actor).await?;
                out!("{} {id}", if added { "added" } else { "already a member:" });
            }
            MembersCommand::Remove { actor } => {
                let id = super::admin::actor_id(&state, &actor).await?;
                match members::remove(&state, &id)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                {
                    Some(undone) => out!("removed {id}; {undone} relay(s) withdrawn"),
                    None => anyhow::bail!("{id} is not a member"),
                }
            }
            MembersCommand::List { format } => {
                let mut table = Table::new(&["actor", "handle", "name", "type", "since"]);
                for m in db::read::relays::members(&state.db).await? {
                    let handle = match (&m.preferred_username, &m.host) {
                        (Some(u), Some(h)) => format!("@{u}@{h}"),
                        _ => String::new(),
                    };
                    table.row(vec![
                        m.actor_id.clone(),
                        handle,
                        m.name.clone().unwrap_or_default(),
                        m.kind.clone().unwrap_or_default(),
                        when(m.added_at),
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

pub async fn relay(settings: Settings, action: RelayCommand) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = async {
        match action {
            RelayCommand::Pending { format } => {
                let mut table = Table::new(&["post", "author", "reason", "received"]);
                for p in db::read::relays::pending(&state.db).await? {
                    table.row(vec![
                        p.post_id.clone(),
                        p.actor_id.clone(),
                        p.reason.to_string(),
                        when(p.received_at),
                    ]);
                }
                table.print(format);
            }
            RelayCommand::Approve { post } => {
                relay::approve(&state, &post)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                out!("relayed {post}");
            }
            RelayCommand::Reject { post } => {
                relay::reject(&state, &post)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                out!("rejected {post}");
            }
            RelayCommand::List { format } => {
                let mut table = Table::new(&["post", "member", "relayed", "state"]);
                for r in db::read::relays::relays(&state.db, None).await? {
                    let status = if r.undone_at.is_some() {
                        "undone"
                    } else if r.removed_at.is_some() {
                        "removed"
                    } else {
                        "relayed"
                    };
                    table.row(vec![
                        r.post_id.clone(),
                        r.member_id.clone(),
                        when(r.relayed_at),
                        status.into(),
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
