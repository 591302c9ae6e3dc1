//! `tribune ledger export|verify`: a statement's ledger as one file, and its offline check
//! (docs/ledger.md).

use std::{io::Write, path::Path};

use serde_json::Value;

use super::{Failure, LedgerCommand};
use crate::{
    app::ledger::{self, Checked},
    config::Settings,
    domain::ledger_head::short,
};

pub async fn run(settings: Settings, action: LedgerCommand) -> Result<(), Failure> {
    match action {
        LedgerCommand::Export { slug, output } => {
            let state = crate::startup::open_state(settings)
                .await
                .map_err(Failure::Other)?;
            let result = ledger::export(&state, &slug).await;
            state.db.close().await;
            let doc = result.map_err(|e| Failure::Other(e.into()))?;
            let text = serde_json::to_string_pretty(&doc).map_err(|e| Failure::Other(e.into()))?;
            let written = match &output {
                Some(path) => std::fs::write(path, text.as_bytes()),
                None => std::io::stdout().write_all(text.as_bytes()),
            };
            written.map_err(|e| Failure::Other(anyhow::anyhow!("writing the ledger: {e}")))
        }
        LedgerCommand::Verify { file, key } => verify(&file, key.as_deref()),
    }
}

/// What a check found, in one line.
pub fn intact(what: &str, checked: &Checked) -> String {
    match &checked.head {
        Some(head) => format!(
            "{what} is intact: {} entries; its signed head (entry {}, {}…) verifies with {} ({})",
            checked.entries,
            head.seq,
            short(&head.hash),
            checked.key_id,
            checked.public_key_multibase
        ),
        None => format!("{what} is intact: {} entries", checked.entries),
    }
}

/// Check an exported ledger: no settings, no database, no network.
pub fn verify(file: &Path, key: Option<&str>) -> Result<(), Failure> {
    let shown = file.display();
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::Other(anyhow::anyhow!("cannot read {shown}: {e}")))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::Other(anyhow::anyhow!("{shown} is not JSON: {e}")))?;
    match ledger::check_export(&doc, key) {
        Ok(checked) => {
            out!("{}", intact(&format!("the ledger in {shown}"), &checked));
            if key.is_none() {
                out!(
                    "the key is the one the file embeds: compare it with the coalition's actor \
                     document, or pass --key"
                );
            }
            Ok(())
        }
        Err(e) => Err(Failure::Other(anyhow::anyhow!(
            "the ledger in {shown} is {e}"
        ))),
    }
}
