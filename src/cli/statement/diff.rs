//! `tribune statement diff`: what changed between two versions of a statement, language by
//! language, as a unified diff.

use std::fmt::Write;

use super::super::output::cell;
use crate::{
    app::statements::StatementError,
    db::{self, read::statements::VersionRow},
    domain::{
        diff::{self, FieldDiff, Hunk, Presence, StatementDiff},
        statement::{InputError, Slug},
    },
    state::AppState,
};

/// Compare version `from` (the one before `to` by default) with `to` (the current one by
/// default), and print the differences.
pub(super) async fn run(
    state: &AppState,
    slug: &Slug,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<(), StatementError> {
    let row = db::read::statements::get(&state.db, slug.as_str())
        .await?
        .ok_or_else(|| StatementError::NotFound(slug.to_string()))?;
    let current = row.current_version;
    let to = to.unwrap_or(current);
    let new = fetch(state, slug, "--to", to, current).await?;
    let from = match from {
        Some(n) => n,
        None if to == 1 => {
            return Err(unknown(
                "--from",
                format!("v1 is the first version of {slug}: nothing before it to compare"),
            ));
        }
        None => to - 1,
    };
    let old = fetch(state, slug, "--from", from, current).await?;
    let d = diff::compare(&old.diffable(), &new.diffable(), diff::CONTEXT_LINES);
    super::super::output::text(&render(&d));
    Ok(())
}

fn unknown(field: &str, problem: String) -> StatementError {
    StatementError::Input(InputError {
        field: field.to_owned(),
        problem,
    })
}

async fn fetch(
    state: &AppState,
    slug: &Slug,
    field: &str,
    n: i32,
    current: i32,
) -> Result<VersionRow, StatementError> {
    db::read::statements::version(&state.db, slug.as_str(), n)
        .await?
        .ok_or_else(|| {
            let known = match current {
                1 => "its only version is 1".to_owned(),
                _ => format!("its versions are 1 to {current}"),
            };
            unknown(field, format!("{slug} has no version {n} ({known})"))
        })
}

/// The diff as text: for each changed field a `--- vN LANG FIELD` / `+++ vM LANG FIELD`
/// header, then its lines prefixed with `-`, `+` or a space, and `@@ … @@` where unchanged
/// lines are left out.
fn render(d: &StatementDiff) -> String {
    let mut out = String::new();
    for l in &d.languages {
        match l.presence {
            Presence::Both => {}
            Presence::Added => _ = writeln!(out, "# {} added in v{}", l.lang, d.to),
            Presence::Removed => _ = writeln!(out, "# {} removed in v{}", l.lang, d.to),
        }
        for f in &l.fields {
            field(&mut out, d, &format!("{} {}", l.lang, f.field.as_str()), f);
        }
    }
    for f in &d.fields {
        field(&mut out, d, f.field.as_str(), f);
    }
    if !d.details_compared {
        _ = writeln!(
            out,
            "# tags, image and mentions were not recorded for v{} or v{}: not compared",
            d.from, d.to
        );
    }
    if d.is_empty() {
        _ = writeln!(out, "# no differences between v{} and v{}", d.from, d.to);
    }
    out
}

fn field(out: &mut String, d: &StatementDiff, name: &str, f: &FieldDiff) {
    _ = writeln!(out, "--- v{} {name}\n+++ v{} {name}", d.from, d.to);
    if f.field.by_words() {
        // One line each side: the whole old value, then the whole new one.
        let (old, new) = f.old_and_new();
        for (sign, value) in [('-', old), ('+', new)] {
            if !value.is_empty() {
                _ = writeln!(out, "{sign}{}", cell(&value));
            }
        }
        return;
    }
    for hunk in &f.hunks {
        _ = match hunk {
            Hunk::Same(s) => writeln!(out, " {}", cell(s)),
            Hunk::Removed(s) => writeln!(out, "-{}", cell(s)),
            Hunk::Added(s) => writeln!(out, "+{}", cell(s)),
            Hunk::Skipped(n) => writeln!(out, "@@ {n} unchanged line(s) @@"),
        };
    }
}
