//! `tribune export` and `tribune import`.

use std::{io::Write, path::PathBuf};

use serde_json::Value;

use super::Failure;
use crate::{app::archive, config::Settings};

pub async fn export(
    settings: Settings,
    include_keys: bool,
    output: Option<PathBuf>,
) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = async {
        let doc = archive::export(&state, include_keys).await?;
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
    archive::check(&doc).map_err(|e| Failure::Other(anyhow::anyhow!("{}: {e}", file.display())))?;
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = archive::import(&state, &doc).await;
    state.db.close().await;
    let imported = result.map_err(|e| Failure::Other(e.into()))?;
    if let Some(url) = imported.other_url {
        eprintln!(
            "warning: the archive was made for {url}, this server is {}: ids will not match",
            state.settings.server.public_url.url()
        );
    }
    let counts: Vec<String> = imported
        .counts
        .iter()
        .map(|(table, n)| format!("{table}: {n}"))
        .collect();
    println!("imported {}", counts.join(", "));
    Ok(())
}
