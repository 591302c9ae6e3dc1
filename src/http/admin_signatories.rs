//! The admin API for signatories gathered off the fediverse, under
//! `/api/admin/statements/{slug}/signatories` (behind the admin token, as the rest of it).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    routing::{delete, get},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    admin::{Admin, slug},
    error::{HttpError, Result},
};
use crate::{
    app::signatories::{self, Recording, SignatoriesError},
    db,
    domain::accounts::Duty,
    domain::signatories::{RawSignatory, check_list, from_csv},
    protocol::cosigners,
    state::AppState,
};

/// Who records, as the ledger says it: the API has one token, so the API itself.
const BY: &str = "admin API";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/admin/statements/{slug}/signatories",
            get(list).post(add),
        )
        .route(
            "/api/admin/statements/{slug}/signatories/{n}",
            delete(remove),
        )
}

fn error(e: SignatoriesError) -> HttpError {
    match e {
        SignatoriesError::NoStatement(_) | SignatoriesError::NoSignatory(_) => {
            HttpError::not_found(e.to_string())
        }
        SignatoriesError::Deleted(_) => HttpError::Gone(e.to_string()),
        SignatoriesError::Invalid(v) => HttpError::Invalid {
            field: format!("signatories[{}].{}", v.line, v.field),
            problem: v.problem,
        },
        e @ SignatoriesError::AlreadyRecorded { .. } => HttpError::Conflict(e.to_string()),
        SignatoriesError::Cosign(e) => HttpError::Internal(anyhow::anyhow!("{e}")),
    }
}

async fn list(
    admin: Admin,
    State(state): State<AppState>,
    Path(s): Path<String>,
) -> Result<Json<Value>> {
    admin.require(Duty::Look)?;
    let slug = slug(&s)?;
    if db::read::statements::get(&state.db, slug.as_str())
        .await?
        .is_none()
    {
        return Err(HttpError::not_found(format!("no statement {slug}")));
    }
    let rows = db::read::signatories::all(&state.db, slug.as_str()).await?;
    Ok(Json(json!({
        "signatories": rows.iter().map(|g| cosigners::recorded(&state.coalition, g)).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddRequest {
    signatories: Vec<RawSignatory>,
    source: Option<String>,
}

/// JSON `{"signatories": [{"name", …}], "source"}`, or a CSV file (`Content-Type: text/csv`,
/// `?source=` not supported: give it in JSON). All or nothing.
async fn add(
    admin: Admin,
    State(state): State<AppState>,
    Path(s): Path<String>,
    headers: HeaderMap,
    super::error::Body(body): super::error::Body,
) -> Result<(StatusCode, Json<Value>)> {
    admin.require(Duty::Sign)?;
    let slug = slug(&s)?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let (list, source) = if is_csv {
        let list = from_csv(&body).map_err(|v| HttpError::Invalid {
            field: format!("line {}: {}", v.line, v.field),
            problem: v.problem,
        })?;
        (list, None)
    } else {
        let req: AddRequest = serde_json::from_slice(&body).map_err(|e| {
            HttpError::bad_request(format!(
                "expected {{\"signatories\": [{{\"name\", \"role\", \"organisation\", \"kind\", \"link\", \"handle\"}}], \"source\"}}: {e}"
            ))
        })?;
        let list = check_list(&req.signatories, 1).map_err(|v| error(v.into()))?;
        if list.is_empty() {
            return Err(HttpError::Invalid {
                field: "signatories".into(),
                problem: "the list is empty".into(),
            });
        }
        (list, req.source)
    };
    let how = Recording {
        by: BY,
        source: source.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        skip_known: false,
    };
    let numbers = signatories::record(&state, slug.as_str(), &list, how)
        .await
        .map_err(error)?;
    Ok((StatusCode::CREATED, Json(json!({"recorded": numbers}))))
}

async fn remove(
    admin: Admin,
    State(state): State<AppState>,
    Path((s, n)): Path<(String, String)>,
) -> Result<Json<Value>> {
    admin.require(Duty::Sign)?;
    let slug = slug(&s)?;
    let n: i64 = n.parse().map_err(|_| HttpError::Invalid {
        field: "n".into(),
        problem: "must be a signatory's number".into(),
    })?;
    signatories::remove(&state, slug.as_str(), n, BY)
        .await
        .map_err(error)?;
    Ok(Json(json!({"withdrawn": n})))
}
