//! The coalition's avatar and header, served from memory.

use axum::{
    Router,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};

use super::error::{HttpError, Result};
use crate::{db, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/media/{file}", get(image))
}

async fn image(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response> {
    let c = &state.coalition;
    // The name carries a hash of the content, so it never changes under the same URL.
    let headers = |media_type: String| {
        [
            (header::CONTENT_TYPE, media_type),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_owned(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ]
    };
    if let Some(image) = [&c.avatar, &c.header]
        .into_iter()
        .find(|i| i.file_name == file)
    {
        return Ok((headers(image.media_type.to_owned()), image.bytes.clone()).into_response());
    }
    // Statement images: `<sha256>.<ext>`.
    let hash = file.split('.').next().unwrap_or_default();
    if hash.len() == 64
        && hash.chars().all(|c| c.is_ascii_hexdigit())
        && let Some((media_type, bytes)) = db::read::statements::media(&state.db, hash).await?
    {
        return Ok((headers(media_type), bytes).into_response());
    }
    Err(HttpError::not_found("no such file"))
}
