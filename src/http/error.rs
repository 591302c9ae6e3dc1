//! The one place where errors become HTTP responses: a status and a JSON body
//! `{"error": "…"}`. Details of 5xx errors are logged once and never shown.

use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

pub type Result<T, E = HttpError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// Input too large for a named field: 413 with `field` in the body.
    #[error("{field}: {problem}")]
    TooLarge { field: String, problem: String },
    #[error("{0}")]
    Unprocessable(String),
    /// Input that names the field at fault: 422 with `field` in the body.
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error("too busy; retry shortly")]
    TooBusy,
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl HttpError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::PayloadTooLarge(_) | HttpError::TooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            HttpError::Unprocessable(_) | HttpError::Invalid { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            HttpError::Conflict(_) => StatusCode::CONFLICT,
            HttpError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            HttpError::TooBusy => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            HttpError::Gone(_) => StatusCode::GONE,
            HttpError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        HttpError::NotFound(what.into())
    }

    pub fn bad_request(why: impl Into<String>) -> Self {
        HttpError::BadRequest(why.into())
    }
}

impl From<crate::db::DbError> for HttpError {
    fn from(e: crate::db::DbError) -> Self {
        HttpError::Internal(e.into())
    }
}

impl From<url::ParseError> for HttpError {
    fn from(e: url::ParseError) -> Self {
        HttpError::Internal(e.into())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        if let HttpError::Internal(e) = &self {
            tracing::error!(error = ?e, "request failed");
        }
        let status = self.status_code();
        let mut body = serde_json::json!({ "error": self.to_string() });
        if let HttpError::Invalid { field, .. } | HttpError::TooLarge { field, .. } = &self {
            body["field"] = serde_json::Value::String(field.clone());
        }
        let mut res = (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response();
        if let HttpError::TooManyRequests { retry_after, .. } = &self
            && let Ok(v) = axum::http::HeaderValue::from_str(&retry_after.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if let HttpError::TooBusy = &self {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

/// Answer a panic in a handler with a JSON 500 rather than a dropped connection.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    HttpError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// A request body read whole, with axum's refusals (over `MAX_BODY_BYTES`, a broken
/// stream) given as this API's JSON errors rather than axum's plain text.
#[derive(Debug)]
pub struct Body(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = HttpError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self> {
        match axum::body::Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Body(bytes)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(HttpError::PayloadTooLarge(super::MAX_BODY_BYTES))
            }
            Err(e) => Err(HttpError::bad_request(e.body_text())),
        }
    }
}
