//! Statements in the web admin (docs/admin.md): the list, a form with the coalition's
//! languages side by side, a preview of the public page and of the federated Note that
//! writes nothing, publishing, editing, the versions' differences, pin and delete.

mod edit;
mod form;
mod preview;
mod versions;

use activitypub_federation::config::Data;
use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};

pub use edit::{delete, delete_form, edit_form, pin, save};
use form::StatementForm;
pub use preview::preview;
pub use versions::versions;

use super::{ConsoleError, Frame, Refusal, Result, Submitted, Volunteer, back, render};
use crate::{
    app::{
        audit,
        statements::{self, ImageUpload, StatementError},
    },
    db,
    domain::{accounts::Duty, statement::InputError},
    http::i18n::Ui,
    state::AppState,
};

/// A form's fields as sent: the languages' fields are named after them.
type Pairs = Vec<(String, String)>;

struct RowView {
    slug: String,
    url: String,
    state: &'static str,
    version: i32,
    title: String,
    deleted: bool,
    pinned: bool,
}

#[derive(Template)]
#[template(path = "admin/statements.html")]
struct ListPage {
    f: Frame,
    rows: Vec<RowView>,
    may_write: bool,
}

pub async fn list(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    v.require(Duty::Look)?;
    let rows = db::read::statements::list(&state.db, true)
        .await?
        .into_iter()
        .map(|row| RowView {
            url: state.coalition.urls.statement(&row.slug),
            state: match (row.deleted_at.is_some(), row.pinned) {
                (true, _) => v.say("deleted", "supprimée"),
                (false, true) => v.say("pinned", "épinglée"),
                (false, false) => v.say("published", "publiée"),
            },
            version: row.current_version,
            title: row
                .texts
                .first()
                .map(|t| t.title.clone())
                .unwrap_or_default(),
            deleted: row.deleted_at.is_some(),
            pinned: row.pinned,
            slug: row.slug,
        })
        .collect();
    let f = Frame::new(
        &state,
        &v,
        v.say("Statements", "Déclarations"),
        "/admin/statements",
    )
    .await;
    Ok(render(&ListPage {
        f,
        rows,
        may_write: v.account.role.may(Duty::Write),
    }))
}

#[derive(Template)]
#[template(path = "admin/statements_form.html")]
struct FormPage {
    f: Frame,
    form: StatementForm,
}

/// The form, filled, with `status` (422 when it holds problems).
async fn form_page(
    state: &AppState,
    v: &Volunteer,
    form: StatementForm,
    status: StatusCode,
) -> Result<Response> {
    let title = match (&form.editing, v.ui) {
        (Some(slug), Ui::En) => format!("Edit {slug}"),
        (Some(slug), Ui::Fr) => format!("Modifier {slug}"),
        (None, ui) => ui.say("New statement", "Nouvelle déclaration").to_owned(),
    };
    let f = Frame::new(state, v, &title, "/admin/statements").await;
    let mut page = render(&FormPage { f, form });
    *page.status_mut() = status;
    Ok(page)
}

pub async fn new(State(state): State<AppState>, v: Volunteer) -> Result<Response> {
    v.require(Duty::Write)?;
    form_page(&state, &v, StatementForm::empty(&state), StatusCode::OK).await
}

/// A refusal of a change: next to its field when it is an input problem.
async fn refused(
    state: &AppState,
    v: &Volunteer,
    mut form: StatementForm,
    e: StatementError,
) -> Result<Response> {
    let problem = match e {
        StatementError::Input(e) | StatementError::TooLong(e) => e,
        StatementError::Conflict(message) => InputError {
            field: "slug".into(),
            problem: message.trim_start_matches("slug: ").to_owned(),
        },
        StatementError::NotFound(slug) => return Ok(not_found(v.ui, &slug)),
        StatementError::Gone(slug) => return Ok(gone(v.ui, &slug)),
        StatementError::Internal(e) => return Err(ConsoleError::Internal(e)),
    };
    form.refuse(v.ui, &problem);
    form_page(state, v, form, StatusCode::UNPROCESSABLE_ENTITY).await
}

fn not_found(ui: Ui, slug: &str) -> Response {
    let text = match ui {
        Ui::En => format!("No statement {slug}."),
        Ui::Fr => format!("Aucune déclaration {slug}."),
    };
    Refusal::new(StatusCode::NOT_FOUND, ui, &text).into_response()
}

fn gone(ui: Ui, slug: &str) -> Response {
    let text = match ui {
        Ui::En => format!("The statement {slug} was deleted."),
        Ui::Fr => format!("La déclaration {slug} a été supprimée."),
    };
    Refusal::new(StatusCode::GONE, ui, &text).into_response()
}

pub async fn publish(data: Data<AppState>, s: Submitted<Pairs>) -> Result<Response> {
    let state: &AppState = &data;
    let v = &s.who;
    v.require(Duty::Write)?;
    let mut form = StatementForm::from_submitted(state, &s);
    form.editing = None;
    form.has_image = false;
    let Some(draft) = form.draft(state, v.ui) else {
        return form_page(state, v, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let mentions = match statements::resolve_mentions(&data, &draft).await {
        Ok(m) => m,
        Err(e) => return refused(state, v, form, e).await,
    };
    let image = form.upload.clone().map(|bytes| ImageUpload {
        bytes,
        alt: form.image_alt.trim().to_owned(),
    });
    let p = match statements::publish(state, &draft, image, &mentions).await {
        Ok(p) => p,
        Err(e) => return refused(state, v, form, e).await,
    };
    audit::record(state, &v.who(), "statement publish", Some(&p.slug), None).await?;
    let title = draft
        .texts
        .first()
        .map(|t| t.title.as_str())
        .unwrap_or_default();
    let n = p.activities.first().map_or(0, |q| q.inboxes);
    let text = match v.ui {
        Ui::En => format!(
            "Statement “{title}” ({}) published: its Create was queued for {n} follower inbox(es).",
            p.slug
        ),
        Ui::Fr => format!(
            "Déclaration « {title} » ({}) publiée : son Create a été mis en file pour {n} boîte(s) de réception d'abonné·es.",
            p.slug
        ),
    };
    v.notice(&text).await?;
    Ok(back("/admin/statements"))
}
