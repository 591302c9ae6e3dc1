//! `tribune cosigners list|verify|hide|unhide`.

use super::{CosignersCommand, Failure, Format, output};
use crate::{
    app::{self, ledger::LedgerError},
    config::Settings,
    state::AppState,
};

pub async fn run(settings: Settings, action: CosignersCommand) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = execute(&state, action).await;
    state.db.close().await;
    result.map_err(Failure::Other)
}

async fn execute(state: &AppState, action: CosignersCommand) -> anyhow::Result<()> {
    match action {
        CosignersCommand::List { slug, format } => {
            let export = app::export::signers(state, &slug)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no statement {slug}"))?;
            let signers = export["signers"].as_array().cloned().unwrap_or_default();
            match format {
                Format::Json => out!("{}", serde_json::to_string_pretty(&export)?),
                Format::Csv => {
                    let mut out = csv::Writer::from_writer(std::io::stdout());
                    out.write_record(COLUMNS)?;
                    for s in &signers {
                        out.write_record(
                            COLUMNS
                                .iter()
                                .map(|c| output::csv_cell(&output::json_text(&s[*c]))),
                        )?;
                    }
                    out.flush()?;
                }
                Format::Table => {
                    out!(
                        "{} co-signature(s) of {}",
                        export["count"],
                        export["statement"]
                    );
                    out!("{}", COLUMNS.join("\t"));
                    for s in &signers {
                        let cells: Vec<String> = COLUMNS
                            .iter()
                            .map(|c| output::cell(&output::json_text(&s[*c])))
                            .collect();
                        out!("{}", cells.join("\t"));
                    }
                }
            }
        }
        CosignersCommand::Verify { slug } => match app::ledger::check_stored(state, &slug).await {
            Ok(checked) => out!(
                "{}",
                super::ledger::intact(&format!("the ledger of {slug}"), &checked)
            ),
            Err(e @ (LedgerError::Entry(_) | LedgerError::Head(_))) => {
                anyhow::bail!("the ledger of {slug} is {e}")
            }
            Err(e) => anyhow::bail!("{e}"),
        },
        CosignersCommand::Hide {
            slug,
            actor,
            reason,
        } => {
            if reason.trim().is_empty() {
                anyhow::bail!("--reason must say why");
            }
            let actor = super::admin::actor_id(state, &actor).await?;
            let hidden = app::moderation::hide(state, &slug, &actor, reason.trim())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if hidden.is_empty() {
                anyhow::bail!("{actor} has no visible signature on {slug}");
            }
            for id in hidden {
                out!("hidden {id}");
            }
        }
        CosignersCommand::Unhide { slug, actor } => {
            let actor = super::admin::actor_id(state, &actor).await?;
            let shown = app::moderation::unhide(state, &slug, &actor)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            out!("{actor} is no longer hidden on {slug}");
            for id in shown {
                out!("shown {id}");
            }
        }
    }
    Ok(())
}

const COLUMNS: [&str; 14] = [
    "class",
    "actor",
    "handle",
    "name",
    "type",
    "signature",
    "visibility",
    "version",
    "signed_at",
    "hidden",
    "hidden_reason",
    "origin",
    "role",
    "organisation",
];
