//! `/api/runs`: create (validated, queued), list, read, cancel, resume, delete, artifacts.
use super::auth::{readable_run, Access};
use super::error::{body, ApiError, ApiResult, Body};
use super::prepare::prepare;
use super::request::parse_create;
use super::state::{AppState, State};
use crate::store::Status;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    pub token: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    dataset: Option<String>,
    kind: Option<String>,
}

/// 429 unless `n` more runs fit in the queue; 507 or 503 (nothing stored) when the data
/// directory is below its free-space reserve or cannot be written. The answer holds the queue's
/// admission until it is dropped: insert the runs before, so parallel requests cannot pass the
/// limit together.
pub async fn room(state: &AppState, n: u64) -> ApiResult<tokio::sync::MutexGuard<'_, ()>> {
    writable(state).await?;
    let admitted = state.admission.lock().await;
    let queued = state.store.count_status(Status::Queued).await?;
    if queued + n as i64 > state.limits.queued_runs {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "{queued} runs are already queued and {n} more would pass the limit of {} (dartboard serve --max-queued); wait for some to start",
                state.limits.queued_runs
            ),
        ));
    }
    Ok(admitted)
}

/// 507 or 503 unless the data directory keeps its reserve free and can be written.
pub async fn writable(state: &AppState) -> ApiResult<()> {
    let (dir, reserve) = (state.data_dir.clone(), state.limits.min_free_bytes);
    let checked = tokio::task::spawn_blocking(move || crate::faults::check_writable(&dir, reserve))
        .await
        .map_err(ApiError::internal)?;
    checked.map_err(|f| ApiError::fault(f, format!("{} before writing", state.data_dir.display())))
}

/// `POST /api/runs`.
pub async fn create(state: State, request: Body<Value>) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = parse_create(body(request)?)?;
    let seeds = super::groups::seeds(body.seeds)?;
    let new = prepare(&state.store, body).await?;
    let admitted = room(&state, seeds).await?;
    let ids = super::groups::insert(&state.store, &state.hub, new, seeds).await?;
    drop(admitted);
    state.runner.poke();
    let first = ids.first().copied().unwrap_or(0);
    let group = (ids.len() > 1).then_some(first);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": first, "ids": ids, "group": group })),
    ))
}

pub async fn list(state: State, Query(q): Query<ListQuery>) -> ApiResult<Json<Value>> {
    let runs: Vec<_> = state
        .store
        .runs()
        .await?
        .into_iter()
        .filter(|r| q.status.as_deref().is_none_or(|s| r.status.as_str() == s))
        .filter(|r| q.dataset.as_deref().is_none_or(|d| r.dataset_id == d))
        .filter(|r| q.kind.as_deref().is_none_or(|k| r.kind == k))
        .collect();
    Ok(Json(
        serde_json::to_value(runs).map_err(ApiError::internal)?,
    ))
}

pub async fn get(
    state: State,
    Path(id): Path<i64>,
    Extension(access): Extension<Access>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Value>> {
    let run = readable_run(&state, access, q.token.as_deref(), id).await?;
    let mut v = serde_json::to_value(&run).map_err(ApiError::internal)?;
    let end = run.finished_at.unwrap_or_else(crate::store::now);
    v["seconds"] = run.started_at.map(|s| end - s).into();
    Ok(Json(v))
}

pub async fn cancel(state: State, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let run = state.store.run(id).await?.ok_or_else(ApiError::not_found)?;
    if let Some(owner) = run.owner.as_deref().filter(|o| {
        run.status == Status::Running && run.job_id.is_none() && *o != state.runner.owner()
    }) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "run {id} runs as a child process of server {owner}; cancel it through that server"
            ),
        ));
    }
    if !state.runner.cancel(id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("run {id} is {}, not queued or running", run.status.as_str()),
        ));
    }
    Ok(Json(json!({"id": id, "cancelling": true})))
}

pub async fn resume(state: State, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let run = state.store.run(id).await?.ok_or_else(ApiError::not_found)?;
    if !state.runner.resume(id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "run {id} is {}; only interrupted, failed or cancelled runs resume",
                run.status.as_str()
            ),
        ));
    }
    Ok(Json(json!({"id": id, "status": "queued"})))
}

pub async fn delete(state: State, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let run = state.store.run(id).await?.ok_or_else(ApiError::not_found)?;
    if !state.store.delete_run(id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("run {id} is {}; cancel it first", run.status.as_str()),
        ));
    }
    state.hub.forget(id);
    let dir = crate::runner::run_dir(&state.data_dir, id);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::debug!("{}: {e}", dir.display());
    }
    Ok(StatusCode::NO_CONTENT)
}
