//! The whole state as one JSON archive (`tribune export` / `tribune import`): how a coalition
//! moves between SQLite and PostgreSQL, or backs up.

use serde_json::{Map, Value, json};

use crate::{db::archive, state::AppState, transport::keyring};

const FORMAT: &str = "tribune-archive";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not a tribune archive (version 1)")]
    NotAnArchive,
    #[error("the database is not empty: import into a new database")]
    NotEmpty,
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Every table, the private key only when asked for.
pub async fn export(state: &AppState, include_keys: bool) -> Result<Value, ArchiveError> {
    let mut tables = Map::new();
    for table in archive::TABLES {
        let mut rows = archive::dump(&state.db, table).await?;
        if table == "local_actor" && !include_keys {
            for row in &mut rows {
                if let Some(o) = row.as_object_mut() {
                    o.shift_remove("private_key_pem");
                    o.shift_remove("public_key_pem");
                    o.shift_remove("ed25519_private_key_pem");
                }
            }
        }
        tables.insert(table.to_owned(), Value::Array(rows));
    }
    Ok(json!({
        "format": FORMAT,
        "version": 1,
        "exported_at": chrono::Utc::now(),
        "public_url": state.settings.server.public_url.url().as_str(),
        "keys_included": include_keys,
        "tables": tables,
    }))
}

/// Whether a document is an archive this version reads.
pub fn check(doc: &Value) -> Result<(), ArchiveError> {
    if doc["format"] != FORMAT || doc["version"] != 1 {
        return Err(ArchiveError::NotAnArchive);
    }
    Ok(())
}

/// Whether an archive carries the coalition's key pair (exported with `--include-keys`).
pub fn has_keys(doc: &Value) -> bool {
    doc["tables"]["local_actor"]
        .as_array()
        .and_then(|rows| rows.first())
        .is_some_and(|row| row["private_key_pem"].is_string())
}

/// What an import did: rows per table, and whether the archive was made for another URL
/// (its ids will not match this server's).
#[derive(Debug)]
pub struct Imported {
    pub counts: Vec<(&'static str, usize)>,
    pub other_url: Option<String>,
}

/// Load an archive into an empty database. Without exported keys, a new pair is made
/// (followers' servers fetch it).
pub async fn import(state: &AppState, doc: &Value) -> Result<Imported, ArchiveError> {
    check(doc)?;
    if !archive::is_empty(&state.db).await? {
        return Err(ArchiveError::NotEmpty);
    }
    let ours = state.settings.server.public_url.url().as_str();
    let other_url =
        (doc["public_url"].as_str() != Some(ours)).then(|| doc["public_url"].to_string());
    archive::clear_local_actor(&state.db).await?;
    // Heads signed by a key the archive does not carry cannot be checked here: without it,
    // the next start makes a key and signs every ledger's head anew (docs/ledger.md).
    let ed25519_kept = doc["tables"]["local_actor"]
        .as_array()
        .and_then(|rows| rows.first())
        .is_some_and(|row| row["ed25519_private_key_pem"].is_string());
    let mut counts = Vec::new();
    for table in archive::TABLES {
        let mut rows = doc["tables"][table].as_array().cloned().unwrap_or_default();
        if table == "ledger_heads" && !ed25519_kept {
            rows.clear();
        }
        if table == "local_actor" {
            for row in &mut rows {
                if row.get("private_key_pem").is_none() {
                    let pair = tokio::task::spawn_blocking(keyring::generate_rsa_2048)
                        .await
                        .map_err(anyhow::Error::from)?
                        .map_err(anyhow::Error::from)?;
                    row["public_key_pem"] = Value::String(pair.public_key_pem);
                    row["private_key_pem"] = Value::String(pair.private_key_pem);
                }
            }
        }
        archive::load(&state.db, table, &rows).await?;
        counts.push((table, rows.len()));
    }
    Ok(Imported { counts, other_url })
}
