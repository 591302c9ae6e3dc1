//! Who calls the admin API: a bearer token, `admin.token` or an account's own, with its
//! role; and the audit log's record of each change made through it (docs/admin.md).

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
    response::Response,
};
use subtle::ConstantTimeEq;

use crate::{
    domain::accounts::{Duty, Role},
    http::error::{HttpError, Result},
    state::AppState,
};

/// Proof that the request carries an admin token: `admin.token` (an owner's rights, for
/// scripts set up by the operator) or an account's own API token (that account's role).
pub struct Admin {
    pub role: Role,
}

impl Admin {
    /// Refuse what the token's role may not do (docs/admin.md).
    pub fn require(&self, duty: Duty) -> Result<()> {
        if self.role.may(duty) {
            Ok(())
        } else {
            Err(HttpError::Forbidden(format!(
                "the role {} may not do this",
                self.role
            )))
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin> {
        // The audit layer identified the caller of a change already: its token is looked up
        // once per request.
        if let Some(Caller { role, .. }) = parts.extensions.get::<Caller>() {
            return Ok(Admin { role: *role });
        }
        let (role, _) = identify(&parts.headers, state).await?;
        Ok(Admin { role })
    }
}

/// The caller `audit` identified, handed to the handler's `Admin` extractor.
#[derive(Clone)]
struct Caller {
    role: Role,
    name: String,
}

/// The role and name a request's bearer token acts with: `admin.token` is `admin.token`, an
/// owner; an account's token is that account.
async fn identify(headers: &HeaderMap, state: &AppState) -> Result<(Role, String)> {
    // RFC 9110 §11.1: the scheme is case-insensitive.
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| HttpError::Unauthorized("an admin bearer token is required".into()))?;
    // Compare hashes: equal lengths, and the time taken says nothing about the token.
    if let Some(expected) = state.admin_token_hash
        && bool::from(crate::util::token_hash(presented).ct_eq(&expected))
    {
        return Ok((Role::Owner, "admin.token".into()));
    }
    match crate::app::accounts::token_holder(state, presented).await {
        Ok(Some((account, _label))) => Ok((account.role, account.name)),
        Ok(None) => Err(HttpError::Unauthorized(
            "the admin token is not valid".into(),
        )),
        Err(e) => Err(HttpError::Internal(anyhow::anyhow!("{e}"))),
    }
}

/// Each change made through the API that succeeded is an entry of the audit log
/// (docs/admin.md): `METHOD path`, by the token's account.
pub async fn audit(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) {
        return next.run(req).await;
    }
    let action = format!("{} {}", req.method(), req.uri().path());
    // A bad token is refused by the handler's extractor, with its message.
    let caller = identify(req.headers(), &state)
        .await
        .ok()
        .map(|(role, name)| Caller { role, name });
    if let Some(caller) = &caller {
        req.extensions_mut().insert(caller.clone());
    }
    let address = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let res = next.run(req).await;
    if res.status().is_success()
        && let Some(Caller { name, .. }) = caller
    {
        let who = crate::app::audit::Who::api(&name, address.as_deref());
        if let Err(e) = crate::app::audit::record(&state, &who, &action, None, None).await {
            tracing::warn!(error = %e, "the audit log did not record an API change");
        }
    }
    res
}
