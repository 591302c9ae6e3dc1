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
            Some(path) => write_private(&path, text.as_bytes(), include_keys)?,
            None => std::io::stdout().write_all(text.as_bytes())?,
        }
        if include_keys {
            eprintln!(
                "warning: this archive holds the coalition's private key: whoever reads it can \
                 speak as the coalition. Keep it where only you can read it."
            );
        }
        Ok::<(), anyhow::Error>(())
    }
    .await;
    state.db.close().await;
    result.map_err(Failure::Other)
}

pub async fn import(settings: Settings, file: PathBuf, new_keys: bool) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&file)
        .map_err(|e| Failure::Other(anyhow::anyhow!("cannot read {}: {e}", file.display())))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        Failure::Other(anyhow::anyhow!(
            "{} is not a tribune archive: {e}",
            file.display()
        ))
    })?;
    archive::check(&doc).map_err(|e| Failure::Other(anyhow::anyhow!("{}: {e}", file.display())))?;
    // The key pair is the coalition's identity: a new one is never made without a word.
    match (archive::has_keys(&doc), new_keys) {
        (false, false) => {
            return Err(Failure::Other(anyhow::anyhow!(
                "{} holds no key pair (it was exported without --include-keys): importing it \
                 gives the coalition a NEW key pair, and followers' servers must fetch it before \
                 they trust its posts again. Export again with --include-keys to keep the \
                 identity, or pass --new-keys to go on; nothing was imported",
                file.display()
            )));
        }
        (true, true) => {
            return Err(Failure::Other(anyhow::anyhow!(
                "{} holds the coalition's key pair: it is imported as it is; drop --new-keys",
                file.display()
            )));
        }
        _ => {}
    }
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
    out!("imported {}", counts.join(", "));
    if new_keys {
        eprintln!(
            "warning: the coalition has a NEW key pair: followers' servers fetch it when they \
             next check a signature"
        );
    }
    Ok(())
}

/// Write an archive; with the private key in it, readable by this user alone (0600).
fn write_private(path: &std::path::Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An existing file keeps its mode when opened: tighten it first.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)?.write_all(bytes)
}
