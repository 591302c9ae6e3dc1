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

use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    let database = crate::db::ready(&state.db).await;
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
