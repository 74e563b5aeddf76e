//! `GET /api/runs/{id}/artifacts[/{name}]`: a run's downloads, from its folder (a search keeps
//! its weights in its checkpoint, a trained network at the top) or written when asked for (the
//! events from the store, the model card).
use super::auth::{readable_run, Access};
use super::error::{ApiError, ApiResult};
use super::runs::TokenQuery;
use super::state::State;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

/// Files a run offers for download: (name, where it may be inside the run folder; the first
/// that exists). A search keeps its weights in its checkpoint, a trained network at the top.
const ARTIFACTS: [(&str, &[&str]); 10] = [
    ("config.json", &["config.json"]),
    // From the store, with the server's status events (an empty list: written when asked for).
    ("events.jsonl", &[]),
    ("genotype.json", &["genotype.json"]),
    ("alphas.json", &["alphas.json"]),
    // ProxylessNAS: the layers found, and the milliseconds the search weighed.
    ("architecture.json", &["architecture.json"]),
    ("latency.json", &["latency.json"]),
    ("result.json", &["result.json"]),
    (
        "weights.safetensors",
        &["weights.safetensors", "checkpoint/weights.safetensors"],
    ),
    ("model.pt", &["model.pt"]),
    ("MODEL.md", &[]),
];

/// Where an artifact is, if the run has it.
fn locate(dir: &std::path::Path, candidates: &[&str]) -> Option<std::path::PathBuf> {
    candidates.iter().map(|c| dir.join(c)).find(|p| p.is_file())
}

/// The run's events as stored (with the server's status events), one JSON object per line.
async fn events_jsonl(state: &State, id: i64) -> ApiResult<String> {
    let events = state.store.events_after(id, -1).await?;
    Ok(events.into_iter().map(|e| e.body + "\n").collect())
}

/// The artifacts written when asked for: the events from the store, the model card.
async fn generated(state: &State, id: i64, name: &str) -> ApiResult<Option<String>> {
    match name {
        "events.jsonl" => Ok(Some(events_jsonl(state, id).await?)),
        "MODEL.md" => match state.store.run(id).await? {
            Some(run) => super::model_card::card(state, &run).await,
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

/// The run's downloads that exist now: name, size and URL.
pub async fn artifact_list(state: &State, id: i64) -> ApiResult<Vec<Value>> {
    let dir = crate::runner::run_dir(&state.data_dir, id);
    let mut list = vec![];
    for (name, rel) in ARTIFACTS {
        let bytes = if rel.is_empty() {
            generated(state, id, name).await?.map(|t| t.len() as u64)
        } else {
            locate(&dir, rel)
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
        };
        if let Some(bytes) = bytes {
            list.push(json!({"name": name, "bytes": bytes, "url": format!("/api/runs/{id}/artifacts/{name}")}));
        }
    }
    Ok(list)
}

pub async fn artifacts(
    state: State,
    Path(id): Path<i64>,
    Extension(access): Extension<Access>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Value>> {
    readable_run(&state, access, q.token.as_deref(), id).await?;
    Ok(Json(Value::Array(artifact_list(&state, id).await?)))
}

pub async fn artifact(
    state: State,
    Path((id, name)): Path<(i64, String)>,
    Extension(access): Extension<Access>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Response> {
    readable_run(&state, access, q.token.as_deref(), id).await?;
    let (_, rel) = ARTIFACTS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(ApiError::not_found)?;
    let body = if rel.is_empty() {
        generated(&state, id, &name)
            .await?
            .ok_or_else(ApiError::not_found)?
            .into_bytes()
    } else {
        let path = locate(&crate::runner::run_dir(&state.data_dir, id), rel)
            .ok_or_else(ApiError::not_found)?;
        tokio::fs::read(path)
            .await
            .map_err(|_| ApiError::not_found())?
    };
    let kind = match name.rsplit('.').next() {
        Some("json") => "application/json",
        Some("jsonl") => "application/x-ndjson",
        Some("md") => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    };
    let disposition = format!("attachment; filename=\"run{id}-{name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
