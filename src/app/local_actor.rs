//! The coalition as the federation crate's actor, so that the crate signs our fetches.

use url::Url;

use crate::{
    protocol::{actor::GroupActor, coalition::Coalition},
    state::AppState,
};

/// The coalition as the federation crate's actor, so that the crate signs our fetches
/// (servers in authorized-fetch mode refuse unsigned GETs, docs/interop.md §2).
#[derive(Debug, Clone)]
pub struct LocalActor(pub std::sync::Arc<Coalition>);

#[async_trait::async_trait]
impl activitypub_federation::traits::Object for LocalActor {
    type DataType = AppState;
    type Kind = GroupActor;
    type Error = anyhow::Error;

    fn id(&self) -> &Url {
        &self.0.urls.actor
    }

    async fn read_from_id(
        id: Url,
        data: &activitypub_federation::config::Data<Self::DataType>,
    ) -> Result<Option<Self>, Self::Error> {
        Ok((id == data.coalition.urls.actor).then(|| LocalActor(data.coalition.clone())))
    }

    async fn into_json(
        self,
        _data: &activitypub_federation::config::Data<Self::DataType>,
    ) -> Result<GroupActor, Self::Error> {
        Ok(self.0.to_actor()?)
    }

    async fn verify(
        _json: &GroupActor,
        _expected_domain: &Url,
        _data: &activitypub_federation::config::Data<Self::DataType>,
    ) -> Result<(), Self::Error> {
        Err(anyhow::anyhow!(
            "the coalition is never received from elsewhere"
        ))
    }

    async fn from_json(
        _json: GroupActor,
        _data: &activitypub_federation::config::Data<Self::DataType>,
    ) -> Result<Self, Self::Error> {
        Err(anyhow::anyhow!(
            "the coalition is never received from elsewhere"
        ))
    }
}

impl activitypub_federation::traits::Actor for LocalActor {
    fn public_key_pem(&self) -> &str {
        &self.0.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.0.private_key_pem().to_owned())
    }

    fn inbox(&self) -> Url {
        self.0.urls.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        Some(self.0.urls.shared_inbox.clone())
    }
}
