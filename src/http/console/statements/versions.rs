//! What changed between two versions of a statement, language by language and field by
//! field, removed text in `<del>` and added text in `<ins>`.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    super::{Frame, Refusal, Result, Volunteer, render},
    gone, not_found,
};
use crate::{
    db,
    domain::{
        accounts::Duty,
        diff::{self, FieldDiff, Hunk, Presence},
    },
    http::i18n::Ui,
    state::AppState,
};

#[derive(Deserialize)]
pub struct Between {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

struct HunkView {
    /// `same`, `del`, `ins` or `skip`.
    kind: &'static str,
    text: String,
}

struct FieldView {
    name: String,
    by_words: bool,
    hunks: Vec<HunkView>,
}

struct LangView {
    lang: String,
    /// Added or removed in this version.
    presence: Option<&'static str>,
    fields: Vec<FieldView>,
}

#[derive(Template)]
#[template(path = "admin/statements_versions.html")]
struct VersionsPage {
    f: Frame,
    slug: String,
    from: i32,
    to: i32,
    versions: Vec<(i32, String)>,
    languages: Vec<LangView>,
    fields: Vec<FieldView>,
    empty: bool,
    details_compared: bool,
}

fn field_view(ui: Ui, f: &FieldDiff) -> FieldView {
    let name = match f.field {
        diff::Field::Title => ui.say("Title", "Titre"),
        diff::Field::Text => ui.say("Text", "Texte"),
        diff::Field::Tags => ui.say("Tags", "Mots-clés"),
        diff::Field::Image => ui.say("Image", "Image"),
        diff::Field::ImageAlt => ui.say("Image description", "Description de l'image"),
        diff::Field::Mentions => ui.say("Mentions", "Mentions"),
    };
    let hunks = f
        .hunks
        .iter()
        .map(|h| match h {
            Hunk::Same(s) => HunkView {
                kind: "same",
                text: s.clone(),
            },
            Hunk::Removed(s) => HunkView {
                kind: "del",
                text: s.clone(),
            },
            Hunk::Added(s) => HunkView {
                kind: "ins",
                text: s.clone(),
            },
            Hunk::Skipped(n) => HunkView {
                kind: "skip",
                text: match ui {
                    Ui::En => format!("… {n} unchanged line(s) …"),
                    Ui::Fr => format!("… {n} ligne(s) inchangée(s) …"),
                },
            },
        })
        .collect();
    FieldView {
        name: name.to_owned(),
        by_words: f.field.by_words(),
        hunks,
    }
}

pub async fn versions(
    State(state): State<AppState>,
    Path(s): Path<String>,
    Query(between): Query<Between>,
    v: Volunteer,
) -> Result<Response> {
    v.require(Duty::Look)?;
    let Some(row) = db::read::statements::get(&state.db, &s).await? else {
        return Ok(not_found(v.ui, &s));
    };
    if row.deleted_at.is_some() {
        return Ok(gone(v.ui, &s));
    }
    let all = db::read::statements::versions(&state.db, &s).await?;
    let number = |text: &str| text.trim().parse::<i32>().ok();
    let to = number(&between.to).unwrap_or(row.current_version);
    let from = number(&between.from).unwrap_or(to - 1).max(1);
    let old = all.iter().find(|r| r.version == from);
    let new = all.iter().find(|r| r.version == to);
    let (Some(old), Some(new)) = (old, new) else {
        let text = match v.ui {
            Ui::En => format!(
                "{s} has versions 1 to {}: choose two of them.",
                row.current_version
            ),
            Ui::Fr => format!(
                "{s} a les versions 1 à {} : choisissez-en deux.",
                row.current_version
            ),
        };
        return Ok(Refusal::new(StatusCode::NOT_FOUND, v.ui, &text).into_response());
    };
    let d = diff::compare(&old.diffable(), &new.diffable(), diff::CONTEXT_LINES);
    let languages = d
        .languages
        .iter()
        .map(|l| LangView {
            lang: l.lang.clone(),
            presence: match l.presence {
                Presence::Both => None,
                Presence::Added => Some(v.say("added", "ajoutée")),
                Presence::Removed => Some(v.say("removed", "retirée")),
            },
            fields: l.fields.iter().map(|f| field_view(v.ui, f)).collect(),
        })
        .collect();
    let heading = match v.ui {
        Ui::En => format!("{s}: versions {from} and {to}"),
        Ui::Fr => format!("{s} : versions {from} et {to}"),
    };
    let f = Frame::new(&state, &v, &heading, "/admin/statements").await;
    Ok(render(&VersionsPage {
        f,
        slug: s,
        from,
        to,
        versions: all
            .iter()
            .map(|r| {
                (
                    r.version,
                    r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                )
            })
            .collect(),
        languages,
        fields: d.fields.iter().map(|f| field_view(v.ui, f)).collect(),
        empty: d.is_empty(),
        details_compared: d.details_compared,
    }))
}
