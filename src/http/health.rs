//! `/healthz`: the process answers. `/readyz`: the database answers, its migrations are all
//! applied, and the delivery workers are running.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Prometheus metrics, when `metrics.enabled`; behind a bearer token when `metrics.token`.
async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    use subtle::ConstantTimeEq;
    let settings = &state.settings.metrics;
    if !settings.enabled {
        return super::error::HttpError::not_found("metrics are off (metrics.enabled)")
            .into_response();
    }
    if !settings.token.is_empty() {
        let presented = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let ok = crate::util::token_hash(presented.trim())
            .ct_eq(&crate::util::token_hash(&settings.token));
        if !bool::from(ok) {
            return super::error::HttpError::Unauthorized(
                "a metrics bearer token is required".into(),
            )
            .into_response();
        }
    }
    let gauges = match crate::db::read::deliveries::gauges(&state.db).await {
        Ok((depth, oldest, followers, cosignatures, relays)) => crate::metrics::Gauges {
            queue_depth: depth,
            oldest_due_seconds: oldest
                .map(|t| ((crate::util::now_ms() - t) / 1000).max(0))
                .unwrap_or(0),
            followers,
            cosignatures,
            relays,
        },
        Err(e) => return super::error::HttpError::Internal(e.into()).into_response(),
    };
    match state.metrics.render(&gauges) {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => super::error::HttpError::Internal(anyhow::anyhow!("{e}")).into_response(),
    }
}

async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    let database = crate::db::read::ready(&state.db).await;
    let workers = state.workers_alive();
    let ok = database.is_ok() && workers;
    let body = json!({
        "status": if ok { "ready" } else { "not ready" },
        "database": match &database { Ok(()) => "ok".to_owned(), Err(e) => e.to_string() },
        "workers": if workers { "running" } else { "not running" },
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}
