//! Logging in and out, the one-time link, and the two extractors every admin handler takes:
//! `Volunteer` (a logged-in, enabled account, its session young enough) and `Submitted<F>`
//! (the same, for a form whose CSRF token is the session's and whose Origin is ours).

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, Request},
    http::{HeaderMap, Method, header, request::Parts},
};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use super::{ConsoleError, Result};
use crate::{
    app::{
        accounts::{self, Account},
        audit::Who,
        sessions::ACCOUNT,
    },
    domain::accounts::Duty,
    http::i18n::Ui,
    state::AppState,
    util::now_ms,
};

const CSRF: &str = "csrf";
const LOGIN_AT: &str = "login_at";
const LANG: &str = "lang";
const NOTICE: &str = "notice";

/// A logged-in account, checked on this request.
pub struct Volunteer {
    pub account: Account,
    pub csrf: String,
    pub ui: Ui,
    pub address: Option<String>,
    pub(super) session: Session,
}

impl Volunteer {
    pub fn who(&self) -> Who {
        Who::web(&self.account.name, self.address.as_deref())
    }

    /// Refuse what the account's role may not do.
    pub fn require(&self, duty: Duty) -> Result<()> {
        if self.account.role.may(duty) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden(self.ui))
        }
    }

    /// A line to show on the next page.
    pub async fn notice(&self, text: &str) -> Result<()> {
        Ok(self.session.insert(NOTICE, text).await?)
    }

    pub async fn take_notice(&self) -> Option<String> {
        self.session.remove::<String>(NOTICE).await.ok().flatten()
    }

    pub fn say(&self, en: &'static str, fr: &'static str) -> &'static str {
        self.ui.say(en, fr)
    }

    /// The end of a change made from a form: its entry in the audit log, `notice` on the
    /// next page, and the way back to the page at `to`.
    pub async fn done(
        &self,
        state: &AppState,
        (action, target, detail): (&str, Option<&str>, Option<&str>),
        notice: &str,
        to: &str,
    ) -> Result<axum::response::Response> {
        crate::app::audit::record(state, &self.who(), action, target, detail).await?;
        self.notice(notice).await?;
        Ok(super::back(to))
    }
}

fn address(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
}

/// The interface language: `?lang=` (remembered in the session), else the session's, else
/// the browser's, else the coalition's first language.
pub(super) async fn language(parts: &Parts, state: &AppState, session: &Session) -> Ui {
    let asked = url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Ui::from_tag(&v));
    if let Some(ui) = asked {
        let _ = session.insert(LANG, ui.code()).await;
        return ui;
    }
    if let Ok(Some(code)) = session.get::<String>(LANG).await
        && let Some(ui) = Ui::from_tag(&code)
    {
        return ui;
    }
    Ui::choose(None, &parts.headers, state.coalition.languages.first())
}

impl FromRequestParts<AppState> for Volunteer {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Volunteer> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, e)| ConsoleError::Internal(anyhow::anyhow!("session: {e}")))?;
        let ui = language(parts, state, &session).await;
        let safe = matches!(parts.method, Method::GET | Method::HEAD);
        let logged_out = |expired| ConsoleError::LoggedOut { ui, safe, expired };
        let Some(name) = session.get::<String>(ACCOUNT).await? else {
            return Err(logged_out(false));
        };
        let max_ms = i64::from(state.settings.admin.session_max_hours) * 3_600_000;
        let login_at = session.get::<i64>(LOGIN_AT).await?.unwrap_or(0);
        let account = accounts::active(state, &name)
            .await
            .map_err(|e| ConsoleError::Internal(e.into()))?;
        let (Some(account), true) = (account, now_ms() - login_at < max_ms) else {
            session.flush().await?;
            return Err(logged_out(true));
        };
        let csrf = session.get::<String>(CSRF).await?.unwrap_or_default();
        Ok(Volunteer {
            account,
            csrf,
            ui,
            address: address(parts),
            session,
        })
    }
}

/// Unsafe requests must come from our own pages: an `Origin` (or, without one, a
/// `Referer`) naming another origin, or a browser saying the request is cross-site, is
/// refused before anything is read.
fn same_origin(headers: &HeaderMap, state: &AppState, ui: Ui) -> Result<()> {
    let ours = state
        .settings
        .server
        .public_url
        .url()
        .origin()
        .ascii_serialization();
    let named = |h: header::HeaderName| {
        headers
            .get(h)
            .map(|v| v.to_str().ok().and_then(|s| url::Url::parse(s).ok()))
    };
    let ok = match (named(header::ORIGIN), named(header::REFERER)) {
        (Some(origin), _) => origin.is_some_and(|o| o.origin().ascii_serialization() == ours),
        (None, Some(referer)) => referer.is_some_and(|r| r.origin().ascii_serialization() == ours),
        (None, None) => true,
    };
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("same-origin");
    if ok && matches!(fetch_site, "same-origin" | "none") {
        Ok(())
    } else {
        Err(ConsoleError::Origin(ui))
    }
}

/// A form sent by a logged-in account from our own page with this session's CSRF token,
/// URL-encoded or, when it carries a file, `multipart/form-data` (RFC 7578).
pub struct Submitted<F> {
    pub who: Volunteer,
    pub form: F,
    /// The files chosen in the form's file fields (none chosen: none here).
    pub files: Vec<Upload>,
}

/// A file sent with a form.
pub struct Upload {
    /// The form field's name.
    pub field: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl<F> Submitted<F> {
    /// The file chosen in the field `name`.
    pub fn file(&self, name: &str) -> Option<&Upload> {
        self.files.iter().find(|f| f.field == name)
    }
}

/// URL-encoded forms are small; a form with a file may carry a statement with its image.
const FORM_LIMIT: usize = crate::http::MAX_BODY_BYTES;

fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    ct.to_ascii_lowercase()
        .starts_with("multipart/form-data")
        .then(|| multer::parse_boundary(ct).ok())
        .flatten()
}

/// A multipart body's text fields, in order, and its files.
async fn multipart_fields(
    bytes: axum::body::Bytes,
    boundary: String,
) -> std::result::Result<(Vec<(String, String)>, Vec<Upload>), multer::Error> {
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut parts = multer::Multipart::new(body, boundary);
    let (mut pairs, mut files) = (Vec::new(), Vec::new());
    while let Some(part) = parts.next_field().await? {
        let field = part.name().unwrap_or_default().to_owned();
        match part.file_name().map(str::to_owned) {
            // A file field left empty is sent with no name and no bytes.
            Some(file_name) => {
                let bytes = part.bytes().await?;
                if !(file_name.is_empty() && bytes.is_empty()) {
                    files.push(Upload {
                        field,
                        file_name,
                        bytes: bytes.to_vec(),
                    });
                }
            }
            None => pairs.push((field, part.text().await?)),
        }
    }
    Ok((pairs, files))
}

impl<F: DeserializeOwned> FromRequest<AppState> for Submitted<F> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &AppState) -> Result<Submitted<F>> {
        let (mut parts, body) = req.into_parts();
        let who = Volunteer::from_request_parts(&mut parts, state).await?;
        same_origin(&parts.headers, state, who.ui)?;
        let boundary = multipart_boundary(&parts.headers);
        let limit = match boundary {
            Some(_) => crate::app::statements::max_request_bytes(state),
            None => FORM_LIMIT,
        };
        let invalid = |en: &str, fr: &str| {
            ConsoleError::Invalid(
                who.ui,
                match who.ui {
                    Ui::En => en.to_owned(),
                    Ui::Fr => fr.to_owned(),
                },
            )
        };
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
            invalid(
                &format!("This form is too large: at most {limit} bytes."),
                &format!("Ce formulaire est trop grand : {limit} octets au plus."),
            )
        })?;
        let (pairs, files) = match boundary {
            Some(boundary) => multipart_fields(bytes, boundary).await.map_err(|e| {
                invalid(
                    &format!("This form could not be read: {e}."),
                    &format!("Ce formulaire n'a pu être lu : {e}."),
                )
            })?,
            None => (
                url::form_urlencoded::parse(&bytes).into_owned().collect(),
                Vec::new(),
            ),
        };
        let token = pairs
            .iter()
            .find(|(k, _)| k == CSRF)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        let matches =
            !who.csrf.is_empty() && bool::from(token.as_bytes().ct_eq(who.csrf.as_bytes()));
        if !matches {
            return Err(ConsoleError::Csrf(who.ui));
        }
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let form = serde_urlencoded::from_str::<F>(&encoded)
            .map_err(|e| ConsoleError::Invalid(who.ui, format!("{e}")))?;
        Ok(Submitted { who, form, files })
    }
}

/// A form without a session (login, one-time link): the Origin check only.
pub struct Anonymous<F> {
    pub ui: Ui,
    pub session: Session,
    pub address: Option<String>,
    pub form: F,
}

impl<F: DeserializeOwned> FromRequest<AppState> for Anonymous<F> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &AppState) -> Result<Anonymous<F>> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(|(_, e)| ConsoleError::Internal(anyhow::anyhow!("session: {e}")))?;
        let ui = language(&parts, state, &session).await;
        same_origin(&parts.headers, state, ui)?;
        let bytes = axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| {
            ConsoleError::Invalid(
                ui,
                ui.say("This form is too large.", "Ce formulaire est trop grand.")
                    .into(),
            )
        })?;
        let form = serde_urlencoded::from_bytes::<F>(&bytes)
            .map_err(|e| ConsoleError::Invalid(ui, format!("{e}")))?;
        Ok(Anonymous {
            ui,
            session,
            address: address(&parts),
            form,
        })
    }
}

/// Start a session: a fresh id (whatever cookie came in), the account, a CSRF token.
pub(super) async fn start_session(session: &Session, account: &Account, ui: Ui) -> Result<()> {
    session.cycle_id().await?;
    let token = accounts::secret();
    session.insert(ACCOUNT, &account.name).await?;
    session.insert(CSRF, token).await?;
    session.insert(LOGIN_AT, now_ms()).await?;
    session.insert(LANG, ui.code()).await?;
    Ok(())
}
