//! Editing a statement (a new version, an Update to followers), pinning, and deleting after
//! a confirmation page.

use activitypub_federation::config::Data;
use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

use super::{
    super::{Frame, Result, Submitted, Volunteer, back, render},
    Pairs, StatementForm, form_page, gone, not_found, refused,
};
use crate::{
    app::{
        audit,
        statements::{self, ImageUpload},
    },
    db::{self, read::statements::StatementRow},
    domain::{accounts::Duty, statement::Slug},
    http::i18n::Ui,
    state::AppState,
};

/// The statement, if it exists and is not deleted; else the page that says so.
pub(super) async fn live_row(
    state: &AppState,
    ui: Ui,
    s: &str,
) -> Result<Result<(Slug, StatementRow), Response>> {
    let Ok(slug) = Slug::parse(s) else {
        return Ok(Err(not_found(ui, s)));
    };
    match db::read::statements::get(&state.db, slug.as_str()).await? {
        None => Ok(Err(not_found(ui, s))),
        Some(row) if row.deleted_at.is_some() => Ok(Err(gone(ui, s))),
        Some(row) => Ok(Ok((slug, row))),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    Path(s): Path<String>,
    v: Volunteer,
) -> Result<Response> {
    v.require(Duty::Write)?;
    let (slug, row) = match live_row(&state, v.ui, &s).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let mut form = StatementForm::empty(&state);
    for l in &mut form.langs {
        if let Some(t) = row.texts.iter().find(|t| t.lang == l.lang) {
            l.title = t.title.clone();
            l.text = t.markdown.clone();
        }
    }
    form.slug = slug.to_string();
    form.tags = row.tags.join(", ");
    form.mentions = row
        .mentions
        .iter()
        .map(|m| m.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    form.pinned = row.pinned;
    form.federate = row.federate.as_str().to_owned();
    form.editing = Some(slug.to_string());
    form.has_image = row.image_hash.is_some();
    form.keep_image = form.has_image;
    form.image_alt = row.image_alt.clone().unwrap_or_default();
    form_page(&state, &v, form, StatusCode::OK).await
}

pub async fn save(
    data: Data<AppState>,
    Path(s): Path<String>,
    sub: Submitted<Pairs>,
) -> Result<Response> {
    let state: &AppState = &data;
    let v = &sub.who;
    v.require(Duty::Write)?;
    let (slug, row) = match live_row(state, v.ui, &s).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let mut form = StatementForm::from_submitted(state, &sub);
    form.slug = slug.to_string();
    form.editing = Some(slug.to_string());
    form.has_image = row.image_hash.is_some();
    let Some(draft) = form.draft(state, v.ui) else {
        return form_page(state, v, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    // A new image replaces the old; else the image stays when kept: its bytes are the stored
    // ones.
    let image = match (&row.image_hash, form.keep_image) {
        _ if form.upload.is_some() => form.upload.clone().map(|bytes| ImageUpload {
            bytes,
            alt: form.image_alt.trim().to_owned(),
        }),
        (Some(hash), true) => {
            db::read::statements::media(&state.db, hash)
                .await?
                .map(|(_, bytes)| ImageUpload {
                    bytes,
                    alt: form.image_alt.trim().to_owned(),
                })
        }
        _ => None,
    };
    let mentions = match statements::resolve_mentions(&data, &draft).await {
        Ok(m) => m,
        Err(e) => return refused(state, v, form, e).await,
    };
    let p = match statements::edit(state, &slug, &draft, image, &mentions).await {
        Ok(p) => p,
        Err(e) => return refused(state, v, form, e).await,
    };
    audit::record(state, &v.who(), "statement edit", Some(slug.as_str()), None).await?;
    let version = db::read::statements::get(&state.db, slug.as_str())
        .await?
        .map_or(row.current_version, |r| r.current_version);
    let n = p.inboxes();
    let text = match (v.ui, p.activities.is_empty()) {
        (Ui::En, true) => format!("{slug}: nothing changed."),
        (Ui::Fr, true) => format!("{slug} : rien n'a changé."),
        (Ui::En, false) => format!(
            "{slug} saved, now at version {version}: its Update was queued for {n} inbox(es)."
        ),
        (Ui::Fr, false) => format!(
            "{slug} enregistrée, désormais en version {version} : son Update a été mis en file pour {n} boîte(s) de réception."
        ),
    };
    v.notice(&text).await?;
    Ok(back("/admin/statements"))
}

#[derive(Template)]
#[template(path = "admin/statements_delete.html")]
struct DeletePage {
    f: Frame,
    slug: String,
    title: String,
}

pub async fn delete_form(
    State(state): State<AppState>,
    Path(s): Path<String>,
    v: Volunteer,
) -> Result<Response> {
    v.require(Duty::Write)?;
    let (slug, row) = match live_row(&state, v.ui, &s).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let heading = match v.ui {
        Ui::En => format!("Delete {slug}?"),
        Ui::Fr => format!("Supprimer {slug} ?"),
    };
    let f = Frame::new(&state, &v, &heading, "/admin/statements").await;
    Ok(render(&DeletePage {
        f,
        slug: slug.to_string(),
        title: row
            .texts
            .first()
            .map(|t| t.title.clone())
            .unwrap_or_default(),
    }))
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn delete(
    State(state): State<AppState>,
    Path(s): Path<String>,
    sub: Submitted<Nothing>,
) -> Result<Response> {
    let v = &sub.who;
    v.require(Duty::Write)?;
    let (slug, _) = match live_row(&state, v.ui, &s).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let p = match statements::delete(&state, &slug).await {
        Ok(p) => p,
        Err(e) => return refused(&state, v, StatementForm::empty(&state), e).await,
    };
    audit::record(
        &state,
        &v.who(),
        "statement delete",
        Some(slug.as_str()),
        None,
    )
    .await?;
    let n = p.inboxes();
    let text = match v.ui {
        Ui::En => format!("{slug} deleted: its Delete was queued for {n} inbox(es)."),
        Ui::Fr => format!(
            "{slug} supprimée : son Delete a été mis en file pour {n} boîte(s) de réception."
        ),
    };
    v.notice(&text).await?;
    Ok(back("/admin/statements"))
}

#[derive(Deserialize)]
pub struct Pin {
    /// `true` to pin, anything else to unpin.
    #[serde(default)]
    pinned: String,
}

pub async fn pin(
    State(state): State<AppState>,
    Path(s): Path<String>,
    sub: Submitted<Pin>,
) -> Result<Response> {
    let v = &sub.who;
    v.require(Duty::Write)?;
    let (slug, _) = match live_row(&state, v.ui, &s).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let pinned = sub.form.pinned == "true";
    if let Err(e) = statements::set_pinned(&state, &slug, pinned).await {
        return refused(&state, v, StatementForm::empty(&state), e).await;
    }
    let action = if pinned {
        "statement pin"
    } else {
        "statement unpin"
    };
    let text = match (v.ui, pinned) {
        (Ui::En, true) => format!("{slug} is pinned."),
        (Ui::En, false) => format!("{slug} is no longer pinned."),
        (Ui::Fr, true) => format!("{slug} est épinglée."),
        (Ui::Fr, false) => format!("{slug} n'est plus épinglée."),
    };
    v.done(
        &state,
        (action, Some(slug.as_str()), None),
        &text,
        "/admin/statements",
    )
    .await
}
