//! Where the web admin's sessions live: rows of the database (either backend), so that every
//! `tribune serve` process sharing it knows every session, and a restart logs nobody out.
//! The session machinery itself (ids, cookie, idle expiry, id cycling at login) is the
//! `tower-sessions` crate's; this is its store.

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error, Result},
};

use crate::{db::Db, util::now_ms};

/// The key of the logged-in account's name in a session's data.
pub const ACCOUNT: &str = "account";

#[derive(Debug, Clone)]
pub struct DbSessions {
    db: Db,
}

impl DbSessions {
    pub fn new(db: Db) -> DbSessions {
        DbSessions { db }
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn parts(record: &Record) -> Result<(String, Option<String>, String, i64)> {
    let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
    let account = record
        .data
        .get(ACCOUNT)
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let expires = i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000)
        .map_err(|e| Error::Encode(e.to_string()))?;
    Ok((record.id.to_string(), account, data, expires))
}

#[async_trait]
impl SessionStore for DbSessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A 128-bit random id taken already is next to impossible; draw again if it is.
        loop {
            let (id, account, data, expires) = parts(record)?;
            let created = crate::db::accounts::create_session(
                &self.db,
                &id,
                account.as_deref(),
                &data,
                expires,
            )
            .await
            .map_err(backend)?;
            if created {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let (id, account, data, expires) = parts(record)?;
        crate::db::accounts::save_session(&self.db, &id, account.as_deref(), &data, expires)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some((data, expires)) =
            crate::db::accounts::session(&self.db, &id.to_string(), now_ms())
                .await
                .map_err(backend)?
        else {
            // An expired row is of no use any more: gone now rather than at the next prune.
            crate::db::accounts::delete_session(&self.db, &id.to_string())
                .await
                .map_err(backend)?;
            return Ok(None);
        };
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires) * 1_000_000)
                .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        crate::db::accounts::delete_session(&self.db, &id.to_string())
            .await
            .map_err(backend)
    }
}
