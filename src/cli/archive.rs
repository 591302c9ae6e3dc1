//! `tribune export` and `tribune import`.

use std::{io::Write, path::PathBuf};

use serde_json::{Map, Value, json};

use super::Failure;
use crate::{config::Settings, db::archive};

const FORMAT: &str = "tribune-archive";

pub async fn export(
    settings: Settings,
    include_keys: bool,
    output: Option<PathBuf>,
) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = async {
        let mut tables = Map::new();
        for table in archive::TABLES {
            let mut rows = archive::dump(&state.db, table).await?;
            if table == "local_actor" && !include_keys {
                for row in &mut rows {
                    if let Some(o) = row.as_object_mut() {
                        o.shift_remove("private_key_pem");
                        o.shift_remove("public_key_pem");
                    }
                }
            }
            tables.insert(table.to_owned(), Value::Array(rows));
        }
        let doc = json!({
            "format": FORMAT,
            "version": 1,
            "exported_at": chrono::Utc::now(),
            "public_url": state.settings.server.public_url.url().as_str(),
            "keys_included": include_keys,
            "tables": tables,
        });
        let text = serde_json::to_string(&doc)?;
        match output {
            Some(path) => std::fs::write(&path, text)?,
            None => std::io::stdout().write_all(text.as_bytes())?,
        }
        Ok::<(), anyhow::Error>(())
    }
    .await;
    state.db.close().await;
    result.map_err(Failure::Other)
}

pub async fn import(settings: Settings, file: PathBuf) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&file)
        .map_err(|e| Failure::Other(anyhow::anyhow!("cannot read {}: {e}", file.display())))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        Failure::Other(anyhow::anyhow!(
            "{} is not a tribune archive: {e}",
            file.display()
        ))
    })?;
    if doc["format"] != FORMAT || doc["version"] != 1 {
        return Err(Failure::Other(anyhow::anyhow!(
            "{} is not a tribune archive (version 1)",
            file.display()
        )));
    }
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = async {
        if !archive::is_empty(&state.db).await? {
            anyhow::bail!("the database is not empty: import into a new database");
        }
        if doc["public_url"].as_str() != Some(state.settings.server.public_url.url().as_str()) {
            eprintln!(
                "warning: the archive was made for {}, this server is {}: ids will not match",
                doc["public_url"],
                state.settings.server.public_url.url()
            );
        }
        archive::clear_local_actor(&state.db).await?;
        let mut counts = Vec::new();
        for table in archive::TABLES {
            let mut rows = doc["tables"][table].as_array().cloned().unwrap_or_default();
            if table == "local_actor" {
                for row in &mut rows {
                    if row.get("private_key_pem").is_none() {
                        // Keys were not exported: a new pair, followers' servers will fetch it.
                        let pair = tokio::task::spawn_blocking(
                            crate::transport::keyring::generate_rsa_2048,
                        )
                        .await??;
                        row["public_key_pem"] = Value::String(pair.public_key_pem);
                        row["private_key_pem"] = Value::String(pair.private_key_pem);
                    }
                }
            }
            archive::load(&state.db, table, &rows).await?;
            counts.push(format!("{table}: {}", rows.len()));
        }
        println!("imported {}", counts.join(", "));
        Ok::<(), anyhow::Error>(())
    }
    .await;
    state.db.close().await;
    result.map_err(Failure::Other)
}
