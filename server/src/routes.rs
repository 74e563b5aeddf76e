//! Where the server is assembled: the JSON API's routes (`/api/...`), the sweeps', and the
//! site's pages under one router, behind the guard (rebinding, cross-site requests), the
//! access gate, the body limit, compression and the request trace. The handlers live with what
//! they serve (`api`, `sweep::api`, `site`); this file only composes them.
use crate::api::{self, state::AppState};
use crate::sweep::api as sweep;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The server's whole router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let upload_limit = usize::try_from(state.limits.upload_bytes).unwrap_or(usize::MAX);
    let api = Router::new()
        .route("/api/system", get(api::system::system))
        .route("/api/login", post(api::auth::login))
        .route("/api/logout", post(api::auth::logout))
        .route(
            "/api/datasets",
            get(api::datasets::list)
                .post(api::uploads::upload)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/datasets/{id}",
            get(api::datasets::get)
                .patch(api::datasets::patch)
                .delete(api::datasets::delete),
        )
        .route(
            "/api/datasets/{id}/samples.png",
            get(api::datasets::samples),
        )
        .route(
            "/api/datasets/{id}/comparison",
            get(api::dataset_comparison::comparison),
        )
        .route("/api/runs", get(api::runs::list).post(api::runs::create))
        .route("/api/estimate", post(api::estimate::estimate))
        .route(
            "/api/runs/{id}",
            get(api::runs::get).delete(api::runs::delete),
        )
        .route("/api/runs/{id}/cancel", post(api::runs::cancel))
        .route("/api/runs/{id}/resume", post(api::runs::resume))
        .route("/api/runs/{id}/ws", get(api::stream::ws))
        .route(
            "/api/runs/{id}/comparison",
            get(api::comparison::comparison),
        )
        .route("/api/runs/{id}/artifacts", get(api::artifacts::artifacts))
        .route(
            "/api/runs/{id}/artifacts/{name}",
            get(api::artifacts::artifact),
        )
        .route(
            "/api/runs/{id}/share",
            post(api::share::create).delete(api::share::revoke),
        )
        .route("/api/share/{token}", get(api::share::page))
        .route("/api/sweeps", get(sweep::list).post(sweep::create))
        .route("/api/sweeps/{id}", get(sweep::get))
        .route("/api/sweeps/{id}/cancel", post(sweep::cancel))
        .route("/api/sweeps/{id}/sweep.csv", get(sweep::csv))
        .route("/api/sweeps/{id}/share", post(sweep::share_create))
        .route("/api/share/sweeps/{token}", get(sweep::shared))
        .route(
            "/api/share/sweeps/{token}/sweep.csv",
            get(sweep::shared_csv),
        )
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async { api::error::ApiError::not_found() }),
        );
    let site = crate::site::router(Arc::clone(&state), &state.site_root);
    api.with_state(Arc::clone(&state))
        .merge(site)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            api::auth::gate,
        ))
        // Outside the gate: a rebinding or cross-site request is refused before anything else.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            api::guard::guard,
        ))
        .layer(DefaultBodyLimit::max(state.limits.body_bytes))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
