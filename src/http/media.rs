//! The coalition's avatar and header, served from memory.

use axum::{
    Router,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};

use super::error::{HttpError, Result};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/media/{file}", get(image))
}

async fn image(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response> {
    let c = &state.coalition;
    let image = [&c.avatar, &c.header]
        .into_iter()
        .find(|i| i.file_name == file)
        .ok_or_else(|| HttpError::not_found("no such file"))?;
    // The name carries a hash of the content, so it never changes under the same URL.
    Ok((
        [
            (header::CONTENT_TYPE, image.media_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        image.bytes.clone(),
    )
        .into_response())
}
