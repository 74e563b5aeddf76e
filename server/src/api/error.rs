//! How the API answers a failure: a status and a JSON body, and the request bodies it refuses.
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// An error answer: a status and a JSON body (`{"error": ...}` or `{"errors": [...]}`), with
/// a `Retry-After` when waiting helps.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl std::fmt::Display) -> Self {
        ApiError {
            status,
            body: json!({ "error": message.to_string() }),
            retry_after: None,
        }
    }

    /// The server's storage failed (507 full, 503 read-only or unreachable): logged with its
    /// cause; the client is told nothing was stored and when to try again.
    pub fn fault(fault: crate::faults::Fault, cause: impl std::fmt::Display) -> Self {
        tracing::warn!("storage fault ({fault:?}): {cause}");
        ApiError {
            retry_after: Some(fault.retry_after()),
            ..ApiError::new(fault.status(), fault.message())
        }
    }

    /// An I/O error of ours: a storage fault when it is one, else internal.
    pub fn io(e: std::io::Error) -> Self {
        match crate::faults::Fault::of_io(&e) {
            Some(f) => ApiError::fault(f, e),
            None => ApiError::internal(e),
        }
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not found")
    }

    /// A failure of ours: logged once here with its cause; the client sees no internals.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {cause}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; the server log has the cause",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            e => match e.fault() {
                Some(f) => ApiError::fault(f, e),
                None => ApiError::internal(e),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON request body, or its rejection as a JSON error: 413 over `--body-limit`, else 422.
pub type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

pub fn body<T>(body: Body<T>) -> ApiResult<T> {
    body.map(|Json(b)| b).map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(e.status(), "the request body is larger than this server's limit (dartboard serve --body-limit)")
        } else {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.body_text())
        }
    })
}
