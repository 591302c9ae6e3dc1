//! The admin API, under `/api/admin/`, behind `Authorization: Bearer <admin.token>`.
//! The token is kept only as its SHA-256 and compared in constant time; without a valid
//! token, every route answers 401 (also when no token is configured: the API is then off).

use axum::{
    Json, Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{HttpError, Result};
use crate::{
    app::{
        members::{self, MemberError},
        statements::{self, Published, StatementError},
    },
    db,
    domain::{
        accounts::Duty,
        statement::{InputError, Slug},
    },
    state::AppState,
};

mod auth;
mod statement_body;
pub use auth::{Admin, audit};
use statement_body::read_statement;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/statements", get(list).post(publish))
        .route(
            "/api/admin/statements/{slug}",
            axum::routing::put(edit).delete(delete),
        )
        .route("/api/admin/statements/{slug}/pin", post(pin).delete(unpin))
        .route("/api/admin/statements/{slug}/cosigners", get(cosigners))
        .route("/api/admin/statements/{slug}/cosigners/hide", post(hide))
        .route(
            "/api/admin/statements/{slug}/cosigners/unhide",
            post(unhide),
        )
        .route(
            "/api/admin/members",
            get(members).post(add_member).delete(remove_member),
        )
        .route("/api/admin/relay/pending", get(pending))
        .route("/api/admin/relay/approve", post(approve))
        .route("/api/admin/relay/reject", post(reject))
}

impl From<StatementError> for HttpError {
    fn from(e: StatementError) -> Self {
        match e {
            StatementError::Input(InputError { field, problem }) => {
                HttpError::Invalid { field, problem }
            }
            StatementError::TooLong(InputError { field, problem }) => {
                HttpError::TooLarge { field, problem }
            }
            StatementError::Conflict(m) => HttpError::Conflict(m),
            StatementError::NotFound(slug) => HttpError::NotFound(format!("no statement {slug}")),
            StatementError::Gone(slug) => {
                HttpError::Gone(format!("the statement {slug} was deleted"))
            }
            StatementError::Internal(e) => HttpError::Internal(e),
        }
    }
}

fn published(p: &Published) -> Value {
    json!({
        "slug": p.slug,
        "id": p.object_id,
        "activities": p.activities.iter().map(|q| json!({"id": q.id, "type": q.kind.as_str(), "inboxes": q.inboxes})).collect::<Vec<_>>(),
    })
}

pub(super) fn slug(s: &str) -> Result<Slug> {
    Slug::parse(s).map_err(|problem| HttpError::Invalid {
        field: "slug".into(),
        problem,
    })
}

async fn list(admin: Admin, State(state): State<AppState>) -> Result<Json<Value>> {
    admin.require(Duty::Look)?;
    let mut out = Vec::new();
    for row in db::read::statements::list(&state.db, true).await? {
        let texts = &row.texts;
        out.push(json!({
            "slug": row.slug,
            "id": crate::protocol::note::statement_url(&state.coalition, &row.slug),
            "version": row.current_version,
            "pinned": row.pinned,
            "published": row.published_at,
            "updated": row.updated_at,
            "deleted": row.deleted_at,
            "titles": texts.iter().map(|t| json!({"lang": t.lang, "title": t.title})).collect::<Vec<_>>(),
        }));
    }
    Ok(Json(Value::Array(out)))
}

async fn publish(
    admin: Admin,
    data: activitypub_federation::config::Data<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    admin.require(Duty::Write)?;
    let (draft, image) = read_statement(&data, &headers, body).await?;
    let mentions = statements::resolve_mentions(&data, &draft).await?;
    let p = statements::publish(&data, &draft, image, &mentions).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, p.object_id.clone())],
        Json(published(&p)),
    )
        .into_response())
}

async fn edit(
    admin: Admin,
    data: activitypub_federation::config::Data<AppState>,
    Path(s): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>> {
    admin.require(Duty::Write)?;
    let slug = slug(&s)?;
    let (draft, image) = read_statement(&data, &headers, body).await?;
    let mentions = statements::resolve_mentions(&data, &draft).await?;
    let state: &AppState = &data;
    Ok(Json(published(
        &statements::edit(state, &slug, &draft, image, &mentions).await?,
    )))
}

async fn delete(
    admin: Admin,
    State(state): State<AppState>,
    Path(s): Path<String>,
) -> Result<Json<Value>> {
    admin.require(Duty::Write)?;
    Ok(Json(published(
        &statements::delete(&state, &slug(&s)?).await?,
    )))
}

async fn pin(
    admin: Admin,
    State(state): State<AppState>,
    Path(s): Path<String>,
) -> Result<Json<Value>> {
    admin.require(Duty::Write)?;
    Ok(Json(published(
        &statements::set_pinned(&state, &slug(&s)?, true).await?,
    )))
}

async fn unpin(
    admin: Admin,
    State(state): State<AppState>,
    Path(s): Path<String>,
) -> Result<Json<Value>> {
    admin.require(Duty::Write)?;
    Ok(Json(published(
        &statements::set_pinned(&state, &slug(&s)?, false).await?,
    )))
}

/// The export of `tribune cosigners list --format json`: `count`, and every current signer
/// with class, version signed and dates (hidden ones marked).
async fn cosigners(
    admin: Admin,
    State(state): State<AppState>,
    Path(s): Path<String>,
) -> Result<Json<Value>> {
    admin.require(Duty::Look)?;
    let slug = slug(&s)?;
    crate::app::export::signers(&state, slug.as_str())
        .await?
        .map(Json)
        .ok_or_else(|| HttpError::not_found(format!("no statement {slug}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HideRequest {
    actor: String,
    reason: String,
}

async fn hide(
    admin: Admin,
    State(state): State<AppState>,
    Path(s): Path<String>,
    super::error::Body(body): super::error::Body,
) -> Result<Json<Value>> {
    admin.require(Duty::Moderate)?;
    let slug = slug(&s)?;
    let req: HideRequest = serde_json::from_slice(&body)
        .map_err(|e| HttpError::bad_request(format!("expected {{\"actor\", \"reason\"}}: {e}")))?;
    if req.reason.trim().is_empty() {
        return Err(HttpError::Invalid {
            field: "reason".into(),
            problem: "must say why".into(),
        });
    }
    let hidden = crate::app::moderation::hide(&state, slug.as_str(), &req.actor, req.reason.trim())
        .await
        .map_err(|e| HttpError::Internal(anyhow::anyhow!("{e}")))?;
    if hidden.is_empty() {
        return Err(HttpError::not_found(format!(
            "{} has no visible signature on {slug}",
            req.actor
        )));
    }
    Ok(Json(json!({"hidden": hidden})))
}

async fn unhide(
    admin: Admin,
    State(state): State<AppState>,
    Path(s): Path<String>,
    super::error::Body(body): super::error::Body,
) -> Result<Json<Value>> {
    admin.require(Duty::Moderate)?;
    let slug = slug(&s)?;
    let req: ActorRequest = serde_json::from_slice(&body)
        .map_err(|e| HttpError::bad_request(format!("expected {{\"actor\"}}: {e}")))?;
    match crate::app::moderation::unhide(&state, slug.as_str(), &req.actor).await {
        Ok(shown) => Ok(Json(json!({"shown": shown}))),
        Err(e @ crate::app::cosign::CosignError::NotHidden) => {
            Err(HttpError::not_found(e.to_string()))
        }
        Err(e) => Err(HttpError::Internal(anyhow::anyhow!("{e}"))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorRequest {
    actor: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostRequest {
    post: String,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T> {
    serde_json::from_slice(body)
        .map_err(|e| HttpError::bad_request(format!("expected {shape}: {e}")))
}

async fn members(admin: Admin, State(state): State<AppState>) -> Result<Json<Value>> {
    admin.require(Duty::Look)?;
    let members: Vec<Value> = db::read::relays::members(&state.db)
        .await?
        .into_iter()
        .map(|m| {
            json!({"actor": m.actor_id, "name": m.name, "type": m.kind,
                        "handle": m.preferred_username.zip(m.host).map(|(u, h)| format!("{u}@{h}")),
                        "added": m.added_at})
        })
        .collect();
    Ok(Json(json!({"count": members.len(), "members": members})))
}

async fn add_member(
    admin: Admin,
    data: activitypub_federation::config::Data<AppState>,
    super::error::Body(body): super::error::Body,
) -> Result<Response> {
    admin.require(Duty::Moderate)?;
    let req: ActorRequest = json_body(&body, "{\"actor\": \"@user@host or URL\"}")?;
    let (actor, added) = members::add(&data, &req.actor).await.map_err(|e| match e {
        MemberError::Unresolved(problem) => HttpError::Invalid {
            field: "actor".into(),
            problem,
        },
        e => HttpError::Internal(e.into()),
    })?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({"actor": actor, "added": added}))).into_response())
}

async fn remove_member(
    admin: Admin,
    State(state): State<AppState>,
    super::error::Body(body): super::error::Body,
) -> Result<Json<Value>> {
    admin.require(Duty::Moderate)?;
    let req: ActorRequest = json_body(&body, "{\"actor\": \"URL\"}")?;
    match members::remove(&state, &req.actor)
        .await
        .map_err(|e| HttpError::Internal(e.into()))?
    {
        Some(undone) => Ok(Json(json!({"removed": req.actor, "relays_undone": undone}))),
        None => Err(HttpError::not_found(format!(
            "{} is not a member",
            req.actor
        ))),
    }
}

async fn pending(admin: Admin, State(state): State<AppState>) -> Result<Json<Value>> {
    admin.require(Duty::Look)?;
    let items: Vec<Value> = db::read::relays::pending(&state.db)
        .await?
        .into_iter()
        .map(|p| json!({"post": p.post_id, "actor": p.actor_id, "reason": p.reason, "received": p.received_at,
                        "create": serde_json::from_str::<Value>(&p.create_json).unwrap_or(Value::Null)}))
        .collect();
    Ok(Json(Value::Array(items)))
}

fn relay_error(e: crate::app::relay::RelayError) -> HttpError {
    use crate::app::relay::RelayError;
    match e {
        RelayError::NotPending(p) => HttpError::not_found(format!("no pending post {p}")),
        e @ RelayError::NotPublic(_) => HttpError::Invalid {
            field: "post".into(),
            problem: e.to_string(),
        },
        RelayError::TooLarge { limit } => HttpError::PayloadTooLarge(limit),
        RelayError::Internal(e) => HttpError::Internal(e),
    }
}

async fn approve(
    admin: Admin,
    State(state): State<AppState>,
    super::error::Body(body): super::error::Body,
) -> Result<Json<Value>> {
    admin.require(Duty::Moderate)?;
    let req: PostRequest = json_body(&body, "{\"post\": \"URL\"}")?;
    crate::app::relay::approve(&state, &req.post)
        .await
        .map_err(relay_error)?;
    Ok(Json(json!({"relayed": req.post})))
}

async fn reject(
    admin: Admin,
    State(state): State<AppState>,
    super::error::Body(body): super::error::Body,
) -> Result<Json<Value>> {
    admin.require(Duty::Moderate)?;
    let req: PostRequest = json_body(&body, "{\"post\": \"URL\"}")?;
    crate::app::relay::reject(&state, &req.post)
        .await
        .map_err(relay_error)?;
    Ok(Json(json!({"rejected": req.post})))
}
