//! `/api/sweeps`: create (every point checked as `POST /api/runs` checks a run, then all queued
//! at once within `--max-queued`), list, read, cancel as a whole, the CSV, and read-only share
//! links (`/api/share/sweeps/{token}`, the page at `/share/sweeps/{token}`).
use super::fold;
use super::spec::{self, Spec};
use crate::api::error::{body, ApiError, ApiResult, Body};
use crate::api::prepare::prepare;
use crate::api::request::{field, parse_create, unprocessable};
use crate::api::runs::room;
use crate::api::state::{AppState, State};
use crate::api::{datasets, groups, share};
use crate::store::{Status, SweepRow};
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::config::FieldError;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The keys a sweep adds to a run request.
const SWEEP_KEYS: [&str; 6] = [
    "axes",
    "seeds",
    "mode",
    "samples",
    "sample_seed",
    "tolerance",
];

/// The run request a sweep varies (without its own keys; `seeds` is per point here).
fn run_request(body: &Map<String, Value>) -> Value {
    Value::Object(
        body.iter()
            .filter(|(k, _)| !SWEEP_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// Every point's run, checked; the errors of all points at once, each named by its point.
async fn plan(
    state: &AppState,
    spec: &Spec,
    request: &Value,
) -> ApiResult<Vec<(usize, crate::store::NewRun)>> {
    let mut runs = vec![];
    let mut errors: Vec<FieldError> = vec![];
    for (i, point) in spec.points().iter().enumerate() {
        let mut r = request.clone();
        if !r["config"].is_object() {
            r["config"] = json!({});
        }
        for (k, v) in spec.values(point) {
            r["config"][k] = v;
        }
        let checked = match parse_create(r) {
            Ok(body) => prepare(&state.store, body).await,
            Err(e) => Err(e),
        };
        match checked {
            Ok(new) => runs.push((i, new)),
            Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                for x in e.body["errors"].as_array().into_iter().flatten() {
                    let f = x["field"].as_str().unwrap_or("");
                    let m = x["message"].as_str().unwrap_or("");
                    let message = format!("at {}: {m}", spec.label(point));
                    // The same problem at every point is said once.
                    if !errors
                        .iter()
                        .any(|e| e.field == f && e.message.ends_with(m))
                    {
                        errors.push(field(f, message));
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    match errors.is_empty() {
        true => Ok(runs),
        false => Err(unprocessable(errors)),
    }
}

/// Creates the sweep and queues its runs (a seed group per point); its id and run ids.
pub async fn start(state: &Arc<AppState>, v: Value) -> ApiResult<(i64, Vec<i64>)> {
    let Value::Object(map) = &v else {
        return Err(unprocessable(vec![field(
            "body",
            "must be a JSON object: a run request with axes, seeds, mode, ...",
        )]));
    };
    let request = run_request(map);
    let spec = spec::parse(&v).map_err(unprocessable)?;
    let kind = request["kind"].as_str().unwrap_or("search").to_string();
    let runs = plan(state, &spec, &request).await?;
    let total = runs.len() as u64 * spec.seeds;
    let admitted = room(state, total).await?;
    let dataset = runs
        .first()
        .map(|(_, r)| r.dataset_id.clone())
        .unwrap_or_default();
    let mut stored = request.clone();
    for k in SWEEP_KEYS {
        if let Some(x) = map.get(k) {
            stored[k] = x.clone();
        }
    }
    let id = state.store.insert_sweep(&kind, &dataset, &stored).await?;
    let mut ids = vec![];
    for (point, new) in runs {
        for run in groups::insert(&state.store, &state.hub, new, spec.seeds).await? {
            state.store.set_sweep(run, id, point as i64).await?;
            ids.push(run);
        }
    }
    drop(admitted);
    state.runner.poke();
    Ok((id, ids))
}

pub async fn create(state: State, request: Body<Value>) -> ApiResult<(StatusCode, Json<Value>)> {
    let (id, ids) = start(&state, body(request)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "runs": ids, "url": format!("/sweeps/{id}")})),
    ))
}

async fn sweep(state: &AppState, id: i64) -> ApiResult<SweepRow> {
    state.store.sweep(id).await?.ok_or_else(ApiError::not_found)
}

/// The sweep as its page shows it; `token`: read through a share link.
pub async fn detail(
    state: &AppState,
    id: i64,
    token: Option<&str>,
) -> ApiResult<app::types::SweepDetail> {
    let s = sweep(state, id).await?;
    let all = state.store.runs().await?;
    let names = datasets::names(&state.store).await?;
    let name = names.get(&s.dataset_id).cloned().unwrap_or_default();
    let share = match token {
        Some(_) => None,
        None => state.store.sweep_share_token(id).await?,
    };
    Ok(fold::detail(&s, &all, &name, token, share))
}

pub async fn list(state: State) -> ApiResult<Json<Value>> {
    let all = state.store.runs().await?;
    let names = datasets::names(&state.store).await?;
    let rows: Vec<_> = state
        .store
        .sweeps()
        .await?
        .iter()
        .map(|s| fold::row(s, &all, names.get(&s.dataset_id).map_or("", String::as_str)))
        .collect();
    Ok(Json(
        serde_json::to_value(rows).map_err(ApiError::internal)?,
    ))
}

pub async fn get(state: State, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let d = detail(&state, id, None).await?;
    Ok(Json(serde_json::to_value(d).map_err(ApiError::internal)?))
}

/// Cancels every queued and running run of the sweep and of its searches' studies; the sweep
/// is marked cancelled first, so no study starts after. The runs cancelled.
pub async fn cancel_all(state: &AppState, id: i64) -> ApiResult<Vec<i64>> {
    sweep(state, id).await?;
    state.store.cancel_sweep(id).await?;
    let all = state.store.runs().await?;
    let members: Vec<i64> = all
        .iter()
        .filter(|r| r.sweep_id == Some(id))
        .map(|r| r.id)
        .collect();
    let mut cancelled = vec![];
    for r in all
        .iter()
        .filter(|r| members.contains(&r.id) || r.source_run.is_some_and(|s| members.contains(&s)))
    {
        if matches!(r.status, Status::Queued | Status::Running) && state.runner.cancel(r.id).await?
        {
            cancelled.push(r.id);
        }
    }
    Ok(cancelled)
}

pub async fn cancel(state: State, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let runs = cancel_all(&state, id).await?;
    Ok(Json(json!({"id": id, "cancelled": runs})))
}

fn csv_response(d: &app::types::SweepDetail) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"sweep-{}.csv\"", d.row.id),
            ),
        ],
        fold::csv(d),
    )
        .into_response()
}

pub async fn csv(state: State, Path(id): Path<i64>) -> ApiResult<Response> {
    Ok(csv_response(&detail(&state, id, None).await?))
}

pub async fn share_create(state: State, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    sweep(&state, id).await?;
    let token = state.store.share_sweep(id, &share::new_token()?).await?;
    Ok(Json(
        json!({"token": token, "url": format!("/share/sweeps/{token}")}),
    ))
}

async fn shared_id(state: &AppState, token: &str) -> ApiResult<i64> {
    state
        .store
        .shared_sweep(token)
        .await?
        .ok_or_else(ApiError::not_found)
}

pub async fn shared(state: State, Path(token): Path<String>) -> ApiResult<Json<Value>> {
    let id = shared_id(&state, &token).await?;
    let d = detail(&state, id, Some(&token)).await?;
    Ok(Json(serde_json::to_value(d).map_err(ApiError::internal)?))
}

pub async fn shared_csv(state: State, Path(token): Path<String>) -> ApiResult<Response> {
    let id = shared_id(&state, &token).await?;
    Ok(csv_response(&detail(&state, id, Some(&token)).await?))
}
