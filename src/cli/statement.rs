//! `tribune statement …`: publish and manage statements from files.

use std::path::Path;

use super::{Failure, StatementCommand};

mod diff;
mod template;
mod wait;
use crate::{
    app::statements::{self, ImageUpload, Published, StatementError},
    config::Settings,
    db,
    domain::statement::{InputError, Slug, StatementDraft, parse},
    protocol::activities::Kind,
    state::AppState,
};
use wait::Waited;

pub async fn run(settings: Settings, action: StatementCommand) -> Result<(), Failure> {
    // A template needs the coalition's languages, not its database.
    if let StatementCommand::New { slug: s, output } = &action {
        let s = slug(s).map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))?;
        return template::write(&s, &settings.coalition.languages, output.as_deref());
    }
    let state = crate::startup::open_state(settings)
        .await
        .map_err(Failure::Other)?;
    let result = execute(&state, action).await;
    state.db.close().await;
    match result {
        Ok(waited) => waited.ended(),
        Err(StatementError::Internal(e)) => Err(Failure::Other(e)),
        Err(e) => Err(Failure::Other(anyhow::anyhow!("{e}"))),
    }
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
    let cannot_read = |e: std::io::Error| InputError {
        field: "file".into(),
        problem: format!("cannot read {}: {e}", file.display()),
    };
    let size = std::fs::metadata(file).map_err(cannot_read)?.len();
    let most = statements::max_request_bytes(state);
    if usize::try_from(size).map_or(true, |n| n > most) {
        return Err(StatementError::TooLong(InputError {
            field: "file".into(),
            problem: format!(
                "{} has {size} bytes, more than a statement can hold ({most}): at most {} \
                 bytes per language (statements.max_bytes_per_language)",
                file.display(),
                state.settings.statements.max_bytes_per_language
            ),
        }));
    }
    let source = std::fs::read_to_string(file).map_err(cannot_read)?;
    let draft = parse(&source, &state.coalition.languages)?;
    statements::check_size(state, &draft)?;
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

/// Resolve the mentions (WebFinger), when there are any.
async fn mentions(
    state: &AppState,
    draft: &StatementDraft,
) -> Result<Vec<statements::Resolved>, StatementError> {
    if draft.mentions.is_empty() {
        return Ok(Vec::new());
    }
    let data = crate::startup::federation_data(state).await?;
    statements::resolve_mentions(&data, draft).await
}

/// What a change did, a line each: the activities queued (named by what they do), the
/// version and the pin; the statement's id last, for scripts.
fn report(p: &Published, edited: bool) {
    for q in &p.activities {
        let what = match q.kind {
            Kind::Add => "Add (pinned)",
            Kind::Remove => "Remove (unpinned)",
            other => other.as_str(),
        };
        match q.inboxes {
            0 => out!("{what}: 0 inboxes (no followers yet)"),
            1 => out!("{what}: queued for 1 inbox"),
            n => out!("{what}: queued for {n} inboxes"),
        }
    }
    if edited {
        if p.new_version {
            out!("text: version {} (new)", p.version);
        } else {
            out!("text unchanged (version {})", p.version);
        }
        out!(
            "{}",
            match (p.was_pinned, p.pinned) {
                (true, true) => "pin kept",
                (false, true) => "pinned",
                (true, false) => "unpinned",
                (false, false) => "not pinned",
            }
        );
    }
    out!("{}", p.object_id);
}

/// Run `action`; how the deliveries ended when it waited for them (publish --wait).
async fn execute(state: &AppState, action: StatementCommand) -> Result<Waited, StatementError> {
    match action {
        StatementCommand::Publish {
            file,
            wait,
            timeout,
        } => {
            let (draft, image) = read(state, &file)?;
            let mentions = mentions(state, &draft).await?;
            let published = statements::publish(state, &draft, image, &mentions).await?;
            let waited = if wait {
                let timeout = std::time::Duration::from_secs(timeout);
                wait::wait_for(state, &published, timeout).await?
            } else {
                Waited::Delivered
            };
            // The statement is published whatever became of its deliveries: its id, then
            // (as an error) what went wrong with them.
            report(&published, false);
            return Ok(waited);
        }
        StatementCommand::Edit { slug: s, file } => {
            let (draft, image) = read(state, &file)?;
            let mentions = mentions(state, &draft).await?;
            report(
                &statements::edit(state, &slug(&s)?, &draft, image, &mentions).await?,
                true,
            );
        }
        StatementCommand::Delete { slug: s } => {
            report(&statements::delete(state, &slug(&s)?).await?, false)
        }
        StatementCommand::Pin { slug: s } => report(
            &statements::set_pinned(state, &slug(&s)?, true).await?,
            false,
        ),
        StatementCommand::Unpin { slug: s } => report(
            &statements::set_pinned(state, &slug(&s)?, false).await?,
            false,
        ),
        StatementCommand::Diff { slug: s, from, to } => {
            diff::run(state, &slug(&s)?, from, to).await?
        }
        // Written by `run`, before any database is opened.
        StatementCommand::New { .. } => {}
        StatementCommand::List { format } => {
            let mut table =
                super::output::Table::new(&["slug", "state", "version", "published", "title"]);
            for row in db::read::statements::list(&state.db, true).await? {
                let status = match (row.deleted_at, row.pinned) {
                    (Some(_), _) => "deleted",
                    (None, true) => "pinned",
                    (None, false) => "published",
                };
                table.row(vec![
                    row.slug.clone(),
                    status.into(),
                    format!("v{}", row.current_version),
                    super::output::when(row.published_at),
                    row.texts
                        .first()
                        .map(|t| t.title.clone())
                        .unwrap_or_default(),
                ]);
            }
            table.print(format);
        }
    }
    Ok(Waited::Delivered)
}
