//! The preview: the public page's text as visitors will read it and the Note as followers'
//! servers will receive it, made in memory from the form; nothing is written.

use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};
use chrono::{SubsecRound, Utc};

use super::{
    super::{ConsoleError, Frame, Result, Submitted, render},
    Pairs, StatementForm,
    edit::live_row,
    form_page,
};
use crate::{
    app::statements,
    db::read::statements::StatementRow,
    domain::{
        accounts::Duty,
        markdown,
        statement::{Mentioned, StoredText, language_html},
    },
    http::i18n::Ui,
    media::sniff_media_type,
    protocol::note::{self as wire, Counts},
    state::AppState,
};

struct TextView {
    lang: String,
    title: String,
    body_html: String,
}

#[derive(Template)]
#[template(path = "admin/statements_preview.html")]
struct PreviewPage {
    f: Frame,
    form: StatementForm,
    texts: Vec<TextView>,
    tags: Vec<String>,
    image: Option<(String, String)>,
    /// The Note's `content`, sanitised HTML.
    content: String,
    json: String,
}

pub async fn preview(State(state): State<AppState>, s: Submitted<Pairs>) -> Result<Response> {
    let v = &s.who;
    v.require(Duty::Write)?;
    let mut form = StatementForm::from_submitted(&state, &s);
    let existing = match form.editing.clone() {
        Some(slug) => match live_row(&state, v.ui, &slug).await? {
            Ok((slug, row)) => {
                form.slug = slug.to_string();
                form.has_image = row.image_hash.is_some();
                Some(row)
            }
            Err(page) => return Ok(page),
        },
        None => {
            form.has_image = false;
            None
        }
    };
    let Some(draft) = form.draft(&state, v.ui) else {
        return form_page(&state, v, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let now = Utc::now().trunc_subsecs(0);
    let keep = existing
        .as_ref()
        .filter(|_| form.keep_image && form.upload.is_none());
    // A new image: the Note names it where it will be served once published.
    let upload = form.upload.as_ref().and_then(|bytes| {
        let (media_type, _) = sniff_media_type(bytes)?;
        Some((statements::image_hash(bytes), media_type.to_owned()))
    });
    let row = StatementRow {
        slug: match &draft.slug {
            Some(slug) => slug.to_string(),
            None => form.slug.clone(),
        },
        current_version: existing.as_ref().map_or(1, |r| r.current_version + 1),
        tags: draft.tags.iter().map(|t| t.as_str().to_owned()).collect(),
        image_hash: match &upload {
            Some((hash, _)) => Some(hash.clone()),
            None => keep.and_then(|r| r.image_hash.clone()),
        },
        image_alt: (keep.is_some() || upload.is_some()).then(|| form.image_alt.trim().to_owned()),
        image_type: match &upload {
            Some((_, t)) => Some(t.clone()),
            None => keep.and_then(|r| r.image_type.clone()),
        },
        pinned: draft.pinned.unwrap_or(false),
        published_at: existing.as_ref().map_or(now, |r| r.published_at),
        updated_at: existing.as_ref().map(|_| now),
        deleted_at: None,
        version_hash: String::new(),
        texts: draft
            .texts
            .iter()
            .map(|t| StoredText {
                lang: t.lang.to_string(),
                title: t.title.clone(),
                markdown: t.markdown.clone(),
                html: language_html(t),
            })
            .collect(),
        // Mentions are looked up (WebFinger) when publishing; shown here as written.
        mentions: draft
            .mentions
            .iter()
            .map(|m| Mentioned {
                id: m.clone(),
                name: m.clone(),
                url: m.clone(),
            })
            .collect(),
        federate: draft.federate,
    };
    let note = wire::note(&state.coalition, &row, Counts::default())
        .map_err(|e| ConsoleError::Internal(e.into()))?;
    let content = note["content"].as_str().unwrap_or_default().to_owned();
    let json = serde_json::to_string_pretty(&note).map_err(|e| ConsoleError::Internal(e.into()))?;
    let alt = row.image_alt.clone().unwrap_or_default();
    let image = match form.upload_data_url() {
        Some(data) => Some((data, alt)),
        None => row
            .image_hash
            .as_ref()
            .zip(row.image_type.as_ref())
            .map(|(hash, t)| {
                let ext = t.rsplit('/').next().unwrap_or("bin");
                (format!("/media/{hash}.{ext}"), alt)
            }),
    };
    let title = match v.ui {
        Ui::En => format!("Preview of {}", row.slug),
        Ui::Fr => format!("Aperçu de {}", row.slug),
    };
    let f = Frame::new(&state, v, &title, "/admin/statements").await;
    Ok(render(&PreviewPage {
        f,
        texts: draft
            .texts
            .iter()
            .map(|t| TextView {
                lang: t.lang.to_string(),
                title: t.title.clone(),
                body_html: markdown::to_html(&t.markdown),
            })
            .collect(),
        tags: row.tags.clone(),
        image,
        content,
        json,
        form,
    }))
}
