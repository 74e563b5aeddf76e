//! The JSON API (`/api/...`) and the share page, over the store, the hub and the runner.
pub(crate) mod artifacts;
mod auth;
pub(crate) mod comparison;
pub(crate) mod dataset_comparison;
pub(crate) mod datasets;
pub(crate) mod estimate;
pub(crate) mod groups;
mod guard;
pub use guard::Hosts;
mod model_card;
pub(crate) mod runs;
pub(crate) mod share;
mod stream;
pub(crate) mod system;
mod throttle;
mod training;
pub(crate) mod transfer;
mod uploads;
pub(crate) mod verdict;

use crate::hub::Hub;
use crate::runner::Runner;
use crate::store::{Store, StoreError};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// What `dartboard serve` was started with.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest upload (both files together), bytes.
    pub upload_bytes: u64,
    /// Largest JSON request body, bytes.
    pub body_bytes: usize,
    /// Most runs waiting in the queue.
    pub queued_runs: i64,
    /// Free bytes the data directory keeps: below them no run starts and no upload is taken.
    pub min_free_bytes: u64,
}

pub struct AppState {
    pub store: Store,
    pub hub: Arc<Hub>,
    pub runner: Arc<Runner>,
    pub data_dir: PathBuf,
    pub admin_token: Option<String>,
    pub limits: Limits,
    /// The site files (`pkg/` with the wasm, JS and CSS).
    pub site_root: PathBuf,
    /// The host names the server answers to (DNS-rebinding guard).
    pub hosts: guard::Hosts,
    /// Clients whose admin token or login failed lately.
    pub throttle: throttle::Throttle,
    /// Held while a request checks the queue's room and inserts its runs (`runs::room`).
    pub admission: tokio::sync::Mutex<()>,
    /// Runs imports in child processes, a few at a time.
    pub importer: crate::importer::Importer,
    /// Estimates at once (each builds a supernet in a child process).
    pub estimates: tokio::sync::Semaphore,
}

pub type State = axum::extract::State<Arc<AppState>>;

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

pub fn router(state: Arc<AppState>) -> Router {
    let upload_limit = usize::try_from(state.limits.upload_bytes).unwrap_or(usize::MAX);
    let api = Router::new()
        .route("/api/system", get(system::system))
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route(
            "/api/datasets",
            get(datasets::list)
                .post(uploads::upload)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/datasets/{id}",
            get(datasets::get)
                .patch(datasets::patch)
                .delete(datasets::delete),
        )
        .route("/api/datasets/{id}/samples.png", get(datasets::samples))
        .route(
            "/api/datasets/{id}/comparison",
            get(dataset_comparison::comparison),
        )
        .route("/api/runs", get(runs::list).post(runs::create))
        .route("/api/estimate", post(estimate::estimate))
        .route("/api/runs/{id}", get(runs::get).delete(runs::delete))
        .route("/api/runs/{id}/cancel", post(runs::cancel))
        .route("/api/runs/{id}/resume", post(runs::resume))
        .route("/api/runs/{id}/ws", get(stream::ws))
        .route("/api/runs/{id}/comparison", get(comparison::comparison))
        .route("/api/runs/{id}/artifacts", get(artifacts::artifacts))
        .route("/api/runs/{id}/artifacts/{name}", get(artifacts::artifact))
        .route(
            "/api/runs/{id}/share",
            post(share::create).delete(share::revoke),
        )
        .route("/api/share/{token}", get(share::page))
        .route(
            "/api/sweeps",
            get(crate::sweep::api::list).post(crate::sweep::api::create),
        )
        .route("/api/sweeps/{id}", get(crate::sweep::api::get))
        .route("/api/sweeps/{id}/cancel", post(crate::sweep::api::cancel))
        .route("/api/sweeps/{id}/sweep.csv", get(crate::sweep::api::csv))
        .route(
            "/api/sweeps/{id}/share",
            post(crate::sweep::api::share_create),
        )
        .route("/api/share/sweeps/{token}", get(crate::sweep::api::shared))
        .route(
            "/api/share/sweeps/{token}/sweep.csv",
            get(crate::sweep::api::shared_csv),
        )
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async { ApiError::not_found() }),
        );
    let site = crate::site::router(Arc::clone(&state), &state.site_root);
    api.with_state(Arc::clone(&state))
        .merge(site)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            auth::gate,
        ))
        // Outside the gate: a rebinding or cross-site request is refused before anything else.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::guard,
        ))
        .layer(DefaultBodyLimit::max(state.limits.body_bytes))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
