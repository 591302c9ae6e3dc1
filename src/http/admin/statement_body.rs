//! A statement as the admin API receives it: the file as the body, or JSON with an image;
//! too large a body or too long a text refused with a JSON 413 naming the limit.

use axum::{
    body::Body,
    http::{HeaderMap, header},
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde::Deserialize;

use super::super::error::{HttpError, Result};
use crate::{
    app::statements::{self, ImageUpload, MAX_STATEMENT_IMAGE},
    domain::statement::{InputError, StatementDraft, parse},
    state::AppState,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonStatement {
    source: String,
    image_base64: Option<String>,
}

/// The statement file as the body (`text/markdown` or `text/plain`), or JSON
/// `{"source": "…", "image_base64": "…"}` when it has an image.
pub(super) async fn read_statement(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatementDraft, Option<ImageUpload>)> {
    // Too large a body gets the same kind of answer as too long a text, before it is read
    // when its length is announced.
    let limit = statements::max_request_bytes(state);
    let too_large = || HttpError::TooLarge {
        field: "body".into(),
        problem: format!(
            "larger than {limit} bytes: a statement has at most {} bytes per language \
             (statements.max_bytes_per_language), an image at most {MAX_STATEMENT_IMAGE} bytes",
            state.settings.statements.max_bytes_per_language
        ),
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let (source, image_data) = if is_json {
        let j: JsonStatement = serde_json::from_slice(&bytes)
            .map_err(|e| HttpError::bad_request(format!("the JSON body is not valid: {e}")))?;
        (j.source, j.image_base64)
    } else {
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| HttpError::bad_request("the body is not UTF-8 text"))?;
        (text, None)
    };
    let draft = parse(&source, &state.coalition.languages)
        .map_err(|InputError { field, problem }| HttpError::Invalid { field, problem })?;
    statements::check_size(state, &draft)?;
    let image = match (&draft.image, image_data) {
        (None, None) => None,
        (Some(image), Some(data)) => Some(ImageUpload {
            bytes: BASE64.decode(data.trim()).map_err(|_| HttpError::Invalid {
                field: "image_base64".into(),
                problem: "not base64".into(),
            })?,
            alt: image.alt.clone(),
        }),
        (Some(_), None) => {
            return Err(HttpError::Invalid {
                field: "image".into(),
                problem: "send the image's bytes as image_base64 in a JSON body".into(),
            });
        }
        (None, Some(_)) => {
            return Err(HttpError::Invalid {
                field: "image_base64".into(),
                problem: "given, but the front matter names no image".into(),
            });
        }
    };
    Ok((draft, image))
}
