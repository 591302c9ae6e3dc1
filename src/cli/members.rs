//! `tribune members …` and `tribune relay …`.

use super::{Failure, MembersCommand, RelayCommand, output};
use crate::{
    app::{members, relay},
    config::Settings,
    db,
    startup::federation_data,
};

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

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
            MembersCommand::List => {
                for m in db::read::relays::members(&state.db).await? {
                    let handle = match (&m.preferred_username, &m.host) {
                        (Some(u), Some(h)) => output::cell(&format!("@{u}@{h}")),
                        _ => String::new(),
                    };
                    out!(
                        "{}\t{handle}\t{}\t{}\t{}",
                        m.actor_id,
                        output::cell(m.name.as_deref().unwrap_or_default()),
                        output::cell(m.kind.as_deref().unwrap_or_default()),
                        when(m.added_at)
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

pub async fn relay(settings: Settings, action: RelayCommand) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = async {
        match action {
            RelayCommand::Pending => {
                for p in db::read::relays::pending(&state.db).await? {
                    out!(
                        "{}\t{}\t{}\t{}",
                        output::cell(&p.post_id),
                        output::cell(&p.actor_id),
                        p.reason,
                        when(p.received_at)
                    );
                }
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
            RelayCommand::List => {
                for r in db::read::relays::relays(&state.db, None).await? {
                    let status = if r.undone_at.is_some() {
                        "undone"
                    } else if r.removed_at.is_some() {
                        "removed"
                    } else {
                        "relayed"
                    };
                    out!(
                        "{}\t{}\t{}\t{status}",
                        output::cell(&r.post_id),
                        output::cell(&r.member_id),
                        when(r.relayed_at)
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
