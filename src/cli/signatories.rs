//! `tribune signatories add|remove|import|list`: signatories gathered off the fediverse.

use std::path::PathBuf;

use clap::Subcommand;

use super::{Failure, Format, output};
use crate::{
    app::signatories::{self, Recording},
    config::Settings,
    db,
    domain::signatories::{RawSignatory, check_list, from_csv},
    protocol::cosigners,
    state::AppState,
};

#[derive(Debug, Subcommand)]
pub enum SignatoriesCommand {
    /// Record one signatory of a statement (an entry of its ledger).
    Add {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
        /// The signatory's name, as shown in the list.
        #[arg(long)]
        name: String,
        /// Their role or title (for instance "présidente").
        #[arg(long)]
        role: Option<String>,
        /// The organisation they belong to or sign for.
        #[arg(long)]
        organisation: Option<String>,
        /// person or organisation.
        #[arg(long, default_value = "person")]
        kind: String,
        /// A page about the signatory.
        #[arg(long)]
        link: Option<String>,
        /// The signatory's fediverse address: their boost will not count twice.
        #[arg(long)]
        handle: Option<String>,
        /// Where the signature was published (an article's URL).
        #[arg(long)]
        source: Option<String>,
    },
    /// Withdraw recorded signatory number N (a withdrawal entry; nothing is deleted).
    Remove {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
        /// The signatory's number, as `tribune signatories list` shows it.
        #[arg(value_name = "N")]
        n: i64,
    },
    /// Record every signatory of a CSV file (UTF-8; columns name, role, organisation, kind,
    /// link, handle; name required): all or nothing.
    Import {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
        /// The CSV file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Where the signatures were published (an article's URL).
        #[arg(long)]
        source: Option<String>,
    },
    /// The recorded signatories of a statement, withdrawn ones marked.
    List {
        /// The statement's slug.
        #[arg(value_name = "SLUG")]
        slug: String,
        /// How to write the list.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Who records, as the ledger says it.
fn by() -> String {
    let user = std::env::var("USER").unwrap_or_default();
    if user.is_empty() {
        "tribune signatories (command line)".to_owned()
    } else {
        format!("tribune signatories (command line, {user})")
    }
}

pub async fn run(settings: Settings, action: SignatoriesCommand) -> Result<(), Failure> {
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = execute(&state, action).await;
    state.db.close().await;
    result.map_err(Failure::Other)
}

async fn execute(state: &AppState, action: SignatoriesCommand) -> anyhow::Result<()> {
    let by = by();
    match action {
        SignatoriesCommand::Add {
            slug,
            name,
            role,
            organisation,
            kind,
            link,
            handle,
            source,
        } => {
            let raw = RawSignatory {
                name,
                role,
                organisation,
                kind: Some(kind),
                link,
                handle,
            };
            let list = check_list(&[raw], 1)?;
            let how = Recording {
                by: &by,
                source: source.as_deref(),
                skip_known: false,
            };
            let numbers = signatories::record(state, &slug, &list, how).await?;
            for n in numbers {
                out!("recorded signatory {n} of {slug}");
            }
        }
        SignatoriesCommand::Remove { slug, n } => {
            signatories::remove(state, &slug, n, &by).await?;
            out!("withdrew signatory {n} of {slug}");
        }
        SignatoriesCommand::Import { slug, file, source } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let list = from_csv(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let how = Recording {
                by: &by,
                source: source.as_deref(),
                skip_known: false,
            };
            let numbers = signatories::record(state, &slug, &list, how)
                .await
                .map_err(|e| match e {
                    // Lines of the list are the file's lines minus its header.
                    signatories::SignatoriesError::AlreadyRecorded { line, n, name } => {
                        anyhow::anyhow!(
                            "{}: line {} is already recorded as number {n} ({name}); nothing was recorded",
                            file.display(),
                            line + 1
                        )
                    }
                    other => other.into(),
                })?;
            out!("recorded {} signatories of {slug}", numbers.len());
        }
        SignatoriesCommand::List { slug, format } => {
            if db::read::statements::get(&state.db, &slug).await?.is_none() {
                anyhow::bail!("no statement {slug}");
            }
            let rows = db::read::signatories::all(&state.db, &slug).await?;
            let json: Vec<serde_json::Value> = rows
                .iter()
                .map(|g| cosigners::recorded(&state.coalition, g))
                .collect();
            list(&json, format)?;
        }
    }
    Ok(())
}

const COLUMNS: [&str; 10] = [
    "number",
    "name",
    "role",
    "organisation",
    "kind",
    "handle",
    "url",
    "source",
    "published",
    "withdrawn",
];

fn list(rows: &[serde_json::Value], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => out!("{}", serde_json::to_string_pretty(rows)?),
        Format::Csv => {
            let mut out = csv::Writer::from_writer(std::io::stdout());
            out.write_record(COLUMNS)?;
            for r in rows {
                out.write_record(
                    COLUMNS
                        .iter()
                        .map(|c| output::csv_cell(&output::json_text(&r[*c]))),
                )?;
            }
            out.flush()?;
        }
        Format::Table => {
            out!("{}", COLUMNS.join("\t"));
            for r in rows {
                let cells: Vec<String> = COLUMNS
                    .iter()
                    .map(|c| output::cell(&output::json_text(&r[*c])))
                    .collect();
                out!("{}", cells.join("\t"));
            }
        }
    }
    Ok(())
}
