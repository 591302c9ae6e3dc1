//! `tribune statement …`: publish and manage statements from files.

use std::path::Path;

use super::{Failure, StatementCommand};
use crate::{
    config::Settings,
    db,
    domain::statement::{InputError, Slug, StatementDraft, parse},
    federation::{
        objects::statement::StoredText,
        statements::{self, ImageUpload, Published, StatementError},
    },
    startup::AppState,
};

pub async fn run(settings: Settings, action: StatementCommand) -> Result<(), Failure> {
    let state = AppState::open(settings).await.map_err(Failure::Other)?;
    let result = execute(&state, action).await;
    state.db.close().await;
    result.map_err(|e| match e {
        StatementError::Internal(e) => Failure::Other(e),
        e => Failure::Other(anyhow::anyhow!("{e}")),
    })
}

fn slug(s: &str) -> Result<Slug, StatementError> {
    Slug::parse(s).map_err(|problem| {
        InputError {
            field: "slug".into(),
            problem,
        }
        .into()
    })
}

/// Read and check a statement file, and the image it names (relative to the file).
fn read(
    state: &AppState,
    file: &Path,
) -> Result<(StatementDraft, Option<ImageUpload>), StatementError> {
    let source = std::fs::read_to_string(file).map_err(|e| InputError {
        field: "file".into(),
        problem: format!("cannot read {}: {e}", file.display()),
    })?;
    let draft = parse(&source, &state.coalition.languages)?;
    let image = match &draft.image {
        None => None,
        Some(image) => {
            let path = file.parent().unwrap_or(Path::new(".")).join(&image.path);
            let bytes = std::fs::read(&path).map_err(|e| InputError {
                field: "image".into(),
                problem: format!("cannot read {}: {e}", path.display()),
            })?;
            Some(ImageUpload {
                bytes,
                alt: image.alt.clone(),
            })
        }
    };
    Ok((draft, image))
}

fn report(p: &Published) {
    for (activity, inboxes) in &p.activities {
        println!("queued {activity} for {inboxes} inbox(es)");
    }
    println!("{}", p.object_id);
}

async fn execute(state: &AppState, action: StatementCommand) -> Result<(), StatementError> {
    match action {
        StatementCommand::Publish { file } => {
            let (draft, image) = read(state, &file)?;
            report(&statements::publish(state, &draft, image).await?);
        }
        StatementCommand::Edit { slug: s, file } => {
            let (draft, image) = read(state, &file)?;
            report(&statements::edit(state, &slug(&s)?, &draft, image).await?);
        }
        StatementCommand::Delete { slug: s } => {
            report(&statements::delete(state, &slug(&s)?).await?)
        }
        StatementCommand::Pin { slug: s } => {
            report(&statements::set_pinned(state, &slug(&s)?, true).await?)
        }
        StatementCommand::Unpin { slug: s } => {
            report(&statements::set_pinned(state, &slug(&s)?, false).await?)
        }
        StatementCommand::List => {
            for row in db::statements::list(&state.db, true).await? {
                let texts: Vec<StoredText> = serde_json::from_str(&row.texts)?;
                let status = match (row.deleted_at, row.pinned) {
                    (Some(_), _) => "deleted",
                    (None, true) => "pinned",
                    (None, false) => "published",
                };
                println!(
                    "{}\t{status}\tv{}\t{}\t{}",
                    row.slug,
                    row.current_version,
                    row.published_at.format("%Y-%m-%dT%H:%M:%SZ"),
                    texts.first().map(|t| t.title.as_str()).unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}
