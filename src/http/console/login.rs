//! The login form, logging out, and the one-time link where an account's holder chooses a
//! password.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    ConsoleError, Refusal, Result,
    auth::{Anonymous, Submitted, language, start_session},
    render,
};
use crate::{
    app::accounts::{self, AccountError, LoginError},
    http::i18n::Ui,
    state::AppState,
    transport::limits::client_key,
};

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    ui: Ui,
    site: String,
    name: String,
    error: Option<String>,
    status_note: Option<&'static str>,
}

pub async fn login_form(
    State(state): State<AppState>,
    session: Session,
    parts: axum::http::request::Parts,
) -> Response {
    let ui = language(&parts, &state, &session).await;
    let bye = parts.uri.query().is_some_and(|q| q.contains("bye"));
    render(&LoginPage {
        ui,
        site: state.coalition.name.clone(),
        name: String::new(),
        error: None,
        status_note: bye.then(|| ui.say("You are logged out.", "Vous êtes déconnecté·e.")),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

pub async fn login(State(state): State<AppState>, a: Anonymous<LoginForm>) -> Result<Response> {
    let ui = a.ui;
    let again = |status: StatusCode, error: String| {
        (
            status,
            render(&LoginPage {
                ui,
                site: state.coalition.name.clone(),
                name: a.form.name.clone(),
                error: Some(error),
                status_note: None,
            }),
        )
            .into_response()
    };
    let key = a
        .address
        .as_deref()
        .and_then(|s| s.parse().ok())
        .map(client_key)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    if let Err(wait) = state.logins.check(&key) {
        let text = match ui {
            Ui::En => format!("Too many login attempts from your address: wait {wait} seconds."),
            Ui::Fr => {
                format!("Trop de tentatives depuis votre adresse : attendez {wait} secondes.")
            }
        };
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, text));
    }
    match accounts::login(
        &state,
        a.form.name.trim(),
        &a.form.password,
        a.address.as_deref(),
    )
    .await
    {
        Ok(account) => {
            start_session(&a.session, &account, ui).await?;
            Ok(Redirect::to("/admin").into_response())
        }
        Err(LoginError::Wrong) => Ok(again(
            StatusCode::UNAUTHORIZED,
            ui.say("Wrong name or password.", "Nom ou mot de passe incorrect.")
                .into(),
        )),
        Err(LoginError::Locked(minutes)) => {
            let text = match ui {
                Ui::En => format!(
                    "Too many failed attempts: this account is locked for {minutes} more minute(s)."
                ),
                Ui::Fr => {
                    format!("Trop d'échecs : ce compte est bloqué encore {minutes} minute(s).")
                }
            };
            Ok(again(StatusCode::TOO_MANY_REQUESTS, text))
        }
        Err(LoginError::Internal(e)) => Err(ConsoleError::Internal(e)),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(State(state): State<AppState>, s: Submitted<Empty>) -> Result<Response> {
    crate::app::audit::record(&state, &s.who.who(), "logout", None, None).await?;
    s.who.session.flush().await?;
    Ok(Redirect::to("/admin/login?bye").into_response())
}

/// End every session of the account, this one included.
pub async fn logout_everywhere(
    State(state): State<AppState>,
    s: Submitted<Empty>,
) -> Result<Response> {
    let ended = accounts::logout_everywhere(&state, &s.who.who())
        .await
        .map_err(|e| ConsoleError::Internal(e.into()))?;
    tracing::info!(account = %s.who.account.name, ended, "logged out everywhere");
    s.who.session.flush().await?;
    Ok(Redirect::to("/admin/login?bye").into_response())
}

#[derive(Template)]
#[template(path = "admin/setup.html")]
struct SetupPage {
    ui: Ui,
    site: String,
    name: String,
    error: Option<String>,
}

pub async fn setup_form(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    session: Session,
    parts: axum::http::request::Parts,
) -> Result<Response> {
    let ui = language(&parts, &state, &session).await;
    match accounts::link_holder(&state, &secret).await {
        Ok(holder) => Ok(render(&SetupPage {
            ui,
            site: state.coalition.name.clone(),
            name: holder.name,
            error: None,
        })),
        Err(AccountError::BadLink) => Ok(bad_link(ui)),
        Err(e) => Err(ConsoleError::Internal(e.into())),
    }
}

fn bad_link(ui: Ui) -> Response {
    Refusal::new(
        StatusCode::NOT_FOUND,
        ui,
        ui.say(
            "This link is not valid (used, expired or unknown): ask an owner for a new one.",
            "Ce lien n'est pas valable (déjà utilisé, expiré ou inconnu) : demandez-en un nouveau à un·e propriétaire.",
        ),
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct SetupForm {
    password: String,
    again: String,
}

pub async fn setup(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    a: Anonymous<SetupForm>,
) -> Result<Response> {
    let ui = a.ui;
    match accounts::complete_setup(
        &state,
        &secret,
        &a.form.password,
        &a.form.again,
        a.address.as_deref(),
    )
    .await
    {
        Ok(account) => {
            start_session(&a.session, &account, ui).await?;
            Ok(Redirect::to("/admin").into_response())
        }
        Err(AccountError::Rule(rule)) => {
            let name = accounts::link_holder(&state, &secret)
                .await
                .map(|h| h.name)
                .unwrap_or_default();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&SetupPage {
                    ui,
                    site: state.coalition.name.clone(),
                    name,
                    error: Some(super::accounts::rule_text(ui, rule)),
                }),
            )
                .into_response())
        }
        Err(AccountError::BadLink) => Ok(bad_link(ui)),
        Err(e) => Err(ConsoleError::Internal(e.into())),
    }
}
