//! Share links: `POST/DELETE /api/runs/{id}/share` and the shared run as JSON at
//! `/api/share/{token}` (the page `/share/{token}` is the site's).
use super::error::{ApiError, ApiResult};
use super::state::State;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// 128 random bits as 32 hex digits.
pub(crate) fn new_token() -> ApiResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

pub async fn create(state: State, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    state.store.run(id).await?.ok_or_else(ApiError::not_found)?;
    let token = state.store.share(id, &new_token()?).await?;
    Ok(Json(
        json!({"token": token, "url": format!("/share/{token}")}),
    ))
}

pub async fn revoke(state: State, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    state.store.run(id).await?.ok_or_else(ApiError::not_found)?;
    if state.store.unshare(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// The shared run as JSON, with the runs made from it and where its artifacts are.
pub async fn page(state: State, Path(token): Path<String>) -> ApiResult<Json<Value>> {
    let id = state
        .store
        .shared_run(&token)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let run = state.store.run(id).await?.ok_or_else(ApiError::not_found)?;
    let mut derived = vec![];
    for r in state.store.runs().await? {
        if r.id != id && state.store.descends_from(r.id, id).await? {
            derived.push(r);
        }
    }
    Ok(Json(json!({
        "run": run,
        "derived": derived,
        "artifacts": format!("/api/runs/{id}/artifacts?token={token}"),
        "events": format!("/api/runs/{id}/ws?token={token}"),
    })))
}
