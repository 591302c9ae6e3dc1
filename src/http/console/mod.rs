//! The web admin under `/admin` (docs/admin.md): server-rendered pages for the coalition's
//! volunteers, no JavaScript. Sessions are `tower-sessions`' with their rows in the database
//! (`app::sessions`); every form carries the session's CSRF token and every unsafe request
//! is checked for its Origin (`auth`). Nothing here is cached by a browser or a proxy.

mod accounts;
mod audit;
mod auth;
mod cosigners;
mod deliveries;
mod home;
mod login;
mod moderation;
mod moderation_blocks;
mod moderation_members;
mod signatories;
mod statements;

use askama::Template;
use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

pub use auth::{Submitted, Volunteer};

use super::i18n::Ui;
use crate::{app::sessions::DbSessions, db, domain::accounts::Duty, state::AppState};

/// The session cookie's name: with the `__Host-` prefix on https (the browser then insists
/// on Secure, Path=/ and no Domain), plain on http (a local test or demo).
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-tribune_admin"
    } else {
        "tribune_admin"
    }
}

pub fn router(state: &AppState) -> Router<AppState> {
    let https = state.settings.server.public_url.url().scheme() == "https";
    let idle = i64::from(state.settings.admin.session_idle_minutes);
    let sessions = SessionManagerLayer::new(DbSessions::new(state.db.clone()))
        .with_name(cookie_name(https))
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        // Saved on each request, so that the idle expiry counts from the last one.
        .with_always_save(true)
        .with_expiry(Expiry::OnInactivity(Duration::minutes(idle)));
    Router::new()
        .route("/admin", get(home::home))
        .route("/admin/login", get(login::login_form).post(login::login))
        .route("/admin/logout", post(login::logout))
        .route("/admin/logout-everywhere", post(login::logout_everywhere))
        .route(
            "/admin/setup/{secret}",
            get(login::setup_form).post(login::setup),
        )
        .route("/admin/accounts", get(accounts::page).post(accounts::add))
        .route("/admin/accounts/{name}", post(accounts::change))
        .route("/admin/tokens", get(accounts::tokens).post(accounts::create_token))
        .route("/admin/tokens/revoke", post(accounts::revoke_token))
        .route(
            "/admin/statements",
            get(statements::list).post(statements::publish),
        )
        .route("/admin/statements/new", get(statements::new))
        .route("/admin/statements/preview", post(statements::preview))
        .route("/admin/statements/{slug}", post(statements::save))
        .route("/admin/statements/{slug}/edit", get(statements::edit_form))
        .route("/admin/statements/{slug}/versions", get(statements::versions))
        .route(
            "/admin/statements/{slug}/delete",
            get(statements::delete_form).post(statements::delete),
        )
        .route("/admin/statements/{slug}/pin", post(statements::pin))
        .route("/admin/audit", get(audit::page))
        .route("/admin/audit.csv", get(audit::export))
        .route("/admin/deliveries", get(deliveries::page))
        .route("/admin/deliveries/retry", post(deliveries::retry))
        .route("/admin/signatories", get(signatories::index))
        .route(
            "/admin/statements/{slug}/signatories",
            get(signatories::page).post(signatories::add),
        )
        .route(
            "/admin/statements/{slug}/signatories/import",
            post(signatories::import),
        )
        .route(
            "/admin/statements/{slug}/signatories/withdraw",
            post(signatories::withdraw),
        )
        .route(
            "/admin/statements/{slug}/cosigners/{action}",
            post(cosigners::moderate),
        )
        .route("/admin/follows", get(moderation::follows).post(moderation::decide_follow))
        .route("/admin/relay", get(moderation::relay_queue).post(moderation::decide_post))
        .route("/admin/members", get(moderation_members::page).post(moderation_members::add))
        .route("/admin/members/preview", post(moderation_members::preview))
        .route("/admin/members/remove", post(moderation_members::remove))
        .route("/admin/blocks", get(moderation_blocks::page).post(moderation_blocks::add))
        .route("/admin/blocks/remove", post(moderation_blocks::remove))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(state.clone(), only_with_accounts))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data: https: http:; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// The web admin is off until `tribune admin add` made an account.
async fn only_with_accounts(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match db::read::accounts::count(&state.db).await {
        Ok(0) => {
            let ui = Ui::choose(req.uri().query(), req.headers(), None);
            Refusal::new(
                StatusCode::NOT_FOUND,
                ui,
                ui.say(
                    "The web admin is off: no account exists yet. On the server, create the first with: tribune admin add NAME --role owner",
                    "L'administration web est fermée : aucun compte n'existe encore. Sur le serveur, créez le premier avec : tribune admin add NOM --role owner",
                ),
            )
            .into_response()
        }
        Ok(_) => next.run(req).await,
        Err(e) => ConsoleError::Internal(e.into()).into_response(),
    }
}

/// A link of the admin's menu.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every admin page's frame needs.
pub struct Frame {
    pub ui: Ui,
    pub title: String,
    pub site: String,
    pub account: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// What the last action did, shown once.
    pub notice: Option<String>,
    /// Reload the page after this many seconds (progress bars).
    pub refresh: Option<u32>,
    pub version: &'static str,
}

impl Frame {
    pub async fn new(state: &AppState, v: &Volunteer, title: &str, here: &str) -> Frame {
        let ui = v.ui;
        let role = v.account.role;
        let all: [(&'static str, &'static str, &'static str, Duty); 11] = [
            ("/admin", "Dashboard", "Tableau de bord", Duty::Look),
            (
                "/admin/statements",
                "Statements",
                "Déclarations",
                Duty::Look,
            ),
            ("/admin/deliveries", "Deliveries", "Envois", Duty::Look),
            // Editors record signatories there, moderators hide co-signatures.
            (
                "/admin/signatories",
                "Signatories",
                "Signataires",
                Duty::Look,
            ),
            ("/admin/audit", "Audit log", "Journal", Duty::Look),
            ("/admin/tokens", "API tokens", "Jetons d'API", Duty::Look),
            (
                "/admin/follows",
                "Follow requests",
                "Demandes d'abonnement",
                Duty::Moderate,
            ),
            (
                "/admin/relay",
                "Held posts",
                "Publications en attente",
                Duty::Moderate,
            ),
            ("/admin/members", "Members", "Membres", Duty::Moderate),
            ("/admin/blocks", "Blocks", "Blocages", Duty::Moderate),
            ("/admin/accounts", "Accounts", "Comptes", Duty::Govern),
        ];
        let nav = all
            .into_iter()
            .filter(|(_, _, _, duty)| role.may(*duty))
            .map(|(href, en, fr, _)| NavItem {
                href,
                label: ui.say(en, fr),
                current: href == here,
            })
            .collect();
        Frame {
            ui,
            title: title.to_owned(),
            site: state.coalition.name.clone(),
            account: v.account.name.clone(),
            role: match role {
                crate::domain::accounts::Role::Owner => ui.say("owner", "propriétaire"),
                crate::domain::accounts::Role::Editor => ui.say("editor", "rédaction"),
                crate::domain::accounts::Role::Moderator => ui.say("moderator", "modération"),
            },
            csrf: v.csrf.clone(),
            nav,
            notice: v.take_notice().await,
            refresh: None,
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Render a page.
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ConsoleError::Internal(e.into()).into_response(),
    }
}

/// Back to a page after a change (303: the browser GETs it).
pub fn back(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A refusal shown as a page of its own, in the interface language.
#[derive(Template)]
#[template(path = "admin/refusal.html")]
pub struct Refusal {
    pub status: StatusCode,
    pub ui: Ui,
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, ui: Ui, message: &str) -> Refusal {
        Refusal {
            status,
            ui,
            message: message.to_owned(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = self.status;
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.message).into_response(),
        }
    }
}

/// Why an admin request was not carried out. Nothing was changed in each case.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// Not logged in (or the session ended): GETs go to the login form.
    #[error("log in first")]
    LoggedOut { ui: Ui, safe: bool, expired: bool },
    #[error("your role may not do this")]
    Forbidden(Ui),
    #[error("the form's security token is missing or not this session's")]
    Csrf(Ui),
    #[error("the request comes from another site")]
    Origin(Ui),
    #[error("{1}")]
    Invalid(Ui, String),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl ConsoleError {
    /// A refusal that changed nothing: its status, language, and why (English, French).
    fn unchanged(&self) -> Option<(StatusCode, Ui, &'static str, &'static str)> {
        Some(match *self {
            ConsoleError::LoggedOut {
                ui, expired: true, ..
            } => (
                StatusCode::UNAUTHORIZED,
                ui,
                "Your session has ended: log in again.",
                "Votre session a pris fin : reconnectez-vous.",
            ),
            ConsoleError::LoggedOut { ui, .. } => (
                StatusCode::UNAUTHORIZED,
                ui,
                "You are not logged in.",
                "Vous n'êtes pas connecté·e.",
            ),
            ConsoleError::Forbidden(ui) => (
                StatusCode::FORBIDDEN,
                ui,
                "Your role does not allow this.",
                "Votre rôle ne le permet pas.",
            ),
            ConsoleError::Csrf(ui) => (
                StatusCode::FORBIDDEN,
                ui,
                "This form's security token is missing or belongs to another session: reload the page and try again.",
                "Le jeton de sécurité du formulaire manque ou appartient à une autre session : rechargez la page et recommencez.",
            ),
            ConsoleError::Origin(ui) => (
                StatusCode::FORBIDDEN,
                ui,
                "This request was sent from another site.",
                "Cette requête a été envoyée depuis un autre site.",
            ),
            ConsoleError::Invalid(..) | ConsoleError::Internal(_) => return None,
        })
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if let ConsoleError::LoggedOut { safe: true, .. } = self {
            return Redirect::to("/admin/login").into_response();
        }
        if let Some((status, ui, en, fr)) = self.unchanged() {
            let text = format!(
                "{}{}",
                ui.say(en, fr),
                ui.say(" Nothing was changed.", " Rien n'a été modifié.")
            );
            return Refusal::new(status, ui, &text).into_response();
        }
        match self {
            ConsoleError::Invalid(ui, message) => {
                Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, ui, &message).into_response()
            }
            e => {
                tracing::error!(error = %e, "web admin");
                Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Ui::En,
                    "Something went wrong on the server; the error is in its log.",
                )
                .into_response()
            }
        }
    }
}

impl From<db::DbError> for ConsoleError {
    fn from(e: db::DbError) -> Self {
        ConsoleError::Internal(e.into())
    }
}

impl From<tower_sessions::session::Error> for ConsoleError {
    fn from(e: tower_sessions::session::Error) -> Self {
        ConsoleError::Internal(anyhow::anyhow!("session: {e}"))
    }
}

pub type Result<T, E = ConsoleError> = std::result::Result<T, E>;
