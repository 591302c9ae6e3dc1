//! Remote actors through the federation crate: fetched (signed, size- and time-bounded, id
//! checked) when unknown or older than a day, stored with the document as received.

use activitypub_federation::{config::Data, fetch::object_id::ObjectId, traits::Object};
use chrono::{DateTime, Utc};
use url::Url;

use crate::{
    db::{self, DbError, remote_actors::RemoteActorRow},
    protocol::remote_actor::{ACTOR_TYPES, ActorDocument},
    state::AppState,
    transport::outgoing,
};

#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error("fetching the actor: {0}")]
    Fetch(#[from] activitypub_federation::error::Error),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the actor document is not usable: {0}")]
    Invalid(String),
}

impl ActorError {
    /// The actor answered 410 Gone.
    pub fn is_gone(&self) -> bool {
        matches!(
            self,
            ActorError::Fetch(activitypub_federation::error::Error::ObjectDeleted(_))
        )
    }
}

/// A remote actor as stored.
#[derive(Debug, Clone)]
pub struct RemoteActor {
    pub id: Url,
    pub row: RemoteActorRow,
}

pub type RemoteActorId = ObjectId<RemoteActor>;

impl RemoteActor {
    fn from_row(row: RemoteActorRow) -> Result<Self, ActorError> {
        let id = Url::parse(&row.id).map_err(|e| ActorError::Invalid(e.to_string()))?;
        Ok(RemoteActor { id, row })
    }

    /// The stored document.
    pub fn document(&self) -> Result<ActorDocument, ActorError> {
        serde_json::from_str(&self.row.document).map_err(|e| ActorError::Invalid(e.to_string()))
    }

    /// `user@host`, when the actor has a username.
    pub fn handle(&self) -> Option<String> {
        self.row
            .preferred_username
            .as_ref()
            .map(|u| format!("{u}@{}", self.row.host))
    }

    /// The row for a fetched or received document. An actor whose inbox or shared inbox is
    /// not an address we may send to (a private or link-local IP, plain http on a public
    /// server) is refused, not stored: our deliveries would go there (SECURITY.md, attack 1).
    pub fn row_from_document(
        doc: &ActorDocument,
        allow_private_addresses: bool,
    ) -> Result<RemoteActorRow, ActorError> {
        let f = &doc.fields;
        let shared_inbox = f.endpoints.as_ref().and_then(|e| e.shared_inbox.as_ref());
        for inbox in std::iter::once(&f.inbox).chain(shared_inbox) {
            outgoing::check(inbox, allow_private_addresses).map_err(|e| {
                ActorError::Invalid(format!("the actor's inbox cannot be delivered to: {e}"))
            })?;
        }
        if !ACTOR_TYPES.contains(&f.kind.as_str()) {
            return Err(ActorError::Invalid(format!(
                "{} is not an actor type",
                f.kind
            )));
        }
        let key = doc
            .main_key()
            .ok_or_else(|| ActorError::Invalid("the actor has no publicKey".into()))?;
        Ok(RemoteActorRow {
            id: f.id.to_string(),
            kind: f.kind.clone(),
            preferred_username: f.preferred_username.clone(),
            name: f.name.clone(),
            host: db::deliveries::authority(&f.id),
            inbox: f.inbox.to_string(),
            shared_inbox: f
                .endpoints
                .as_ref()
                .and_then(|e| e.shared_inbox.as_ref())
                .map(Url::to_string),
            icon_url: doc.icon_url(),
            public_key_id: key.id.clone(),
            public_key_pem: key.public_key_pem.clone(),
            document: doc.raw.to_string(),
            fetched_at: Utc::now(),
        })
    }
}

tokio::task_local! {
    /// An actor's row read by the caller of `with_stored` a moment before.
    static STORED: std::cell::RefCell<Option<RemoteActorRow>>;
}

/// Run `dereference` (the federation crate's, which decides whether the stored actor is fresh
/// enough or must be fetched) with the actor's row already read: its first read of that
/// actor takes this row instead of querying the database again. The inbox reads the row in
/// the statement that checks the blocks (BENCHMARKS.md, B4: one read a request, not two).
pub async fn with_stored<F: std::future::Future>(
    row: Option<RemoteActorRow>,
    dereference: F,
) -> F::Output {
    STORED
        .scope(std::cell::RefCell::new(row), dereference)
        .await
}

/// The row handed to `with_stored`, once, if it is `id`'s.
fn take_stored(id: &Url) -> Option<RemoteActorRow> {
    STORED
        .try_with(|stored| {
            let mut stored = stored.borrow_mut();
            if stored.as_ref().is_some_and(|row| row.id == id.as_str()) {
                stored.take()
            } else {
                None
            }
        })
        .ok()
        .flatten()
}

#[async_trait::async_trait]
impl Object for RemoteActor {
    type DataType = AppState;
    type Kind = ActorDocument;
    type Error = ActorError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.row.fetched_at)
    }

    async fn read_from_id(id: Url, data: &Data<AppState>) -> Result<Option<Self>, ActorError> {
        if let Some(row) = take_stored(&id) {
            return Self::from_row(row).map(Some);
        }
        db::remote_actors::get(&data.db, id.as_str())
            .await?
            .map(Self::from_row)
            .transpose()
    }

    async fn delete(&self, data: &Data<AppState>) -> Result<(), ActorError> {
        db::remote_actors::delete(&data.db, self.id.as_str()).await?;
        Ok(())
    }

    async fn into_json(self, _data: &Data<AppState>) -> Result<ActorDocument, ActorError> {
        self.document()
    }

    async fn verify(
        json: &ActorDocument,
        expected_domain: &Url,
        _data: &Data<AppState>,
    ) -> Result<(), ActorError> {
        let id = &json.fields.id;
        if id.host_str() != expected_domain.host_str() || id.port() != expected_domain.port() {
            return Err(ActorError::Invalid(format!(
                "{id} was served by {expected_domain}"
            )));
        }
        // A key must belong to the actor it is published by (Mastodon: owner = actor id).
        if let Some(key) = json.main_key()
            && key.owner.as_deref().is_some_and(|o| o != id.as_str())
        {
            return Err(ActorError::Invalid(
                "the key's owner is another actor".into(),
            ));
        }
        Ok(())
    }

    async fn from_json(json: ActorDocument, data: &Data<AppState>) -> Result<Self, ActorError> {
        let row = Self::row_from_document(&json, data.settings.federation.allow_private_addresses)?;
        db::remote_actors::upsert(&data.db, &row).await?;
        Self::from_row(row)
    }
}

impl activitypub_federation::traits::Actor for RemoteActor {
    fn public_key_pem(&self) -> &str {
        &self.row.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        Url::parse(&self.row.inbox).unwrap_or_else(|_| self.id.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.row
            .shared_inbox
            .as_deref()
            .and_then(|s| Url::parse(s).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row handed over is taken once, by a read of its own actor, inside the call only.
    #[tokio::test]
    async fn a_row_read_before_is_taken_once_by_its_actor() {
        let a = Url::parse("https://social.example/users/a").unwrap();
        let b = Url::parse("https://social.example/users/b").unwrap();
        let taken = with_stored(
            Some(db::remote_actors::sample_row(a.as_str(), "social.example")),
            async {
                assert!(take_stored(&b).is_none(), "another actor's read queries");
                let first = take_stored(&a).map(|r| r.id);
                (first, take_stored(&a).is_none())
            },
        )
        .await;
        assert_eq!(taken, (Some(a.to_string()), true));
        assert!(take_stored(&a).is_none(), "nothing outside the call");
    }
}
