//! Rotating the coalition's key pair: the new pair stored with an `Update` of the actor
//! queued to every follower, in one transaction. A running server signs with the new key
//! once it sees the change (`background::watch_keys`).

use super::outbox::{self, Listed};
use crate::{
    db,
    protocol::{activities::Activity, actor::actor_context},
    state::AppState,
    transport::keyring,
};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("generating a key pair: {0}")]
    Generate(String),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a rotation queued: the Update's id and how many inboxes it goes to.
#[derive(Debug)]
pub struct Rotated {
    pub update_id: String,
    pub inboxes: u64,
}

pub async fn rotate(state: &AppState) -> Result<Rotated, KeyError> {
    let pair = tokio::task::spawn_blocking(keyring::generate_rsa_2048)
        .await
        .map_err(|e| KeyError::Generate(e.to_string()))?
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let c = &state.coalition;
    let actor = c
        .to_actor_with_key(pair.public_key_pem.clone())
        .map_err(anyhow::Error::from)?;
    let actor = serde_json::to_value(actor).map_err(anyhow::Error::from)?;
    let update = Activity::update_actor(&c.urls.actor, &c.urls.followers, actor, actor_context());
    let mut tx = state.db.begin().await?;
    db::local_actor::replace_keys(&mut tx, &pair.public_key_pem, &pair.private_key_pem).await?;
    let inboxes = outbox::to_followers(&mut tx, &update, Listed::NotListed).await?;
    tx.commit().await?;
    Ok(Rotated {
        update_id: update.id,
        inboxes,
    })
}
