//! The sweep pages' data and buttons, through the sweep API's own functions.
use crate::api::state::AppState;
use crate::sweep::api;
use app::types::{SweepDetail, SweepRow};
use std::sync::Arc;

/// An API error as the page says it (each refused field, or the error).
fn reason(e: crate::api::error::ApiError) -> String {
    super::detail::refusal(e)
}

pub async fn list(state: &Arc<AppState>) -> Result<Vec<SweepRow>, String> {
    let all = state.store.runs().await.map_err(|e| e.to_string())?;
    let names = super::rows::names(&state.store).await?;
    Ok(state
        .store
        .sweeps()
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|s| {
            crate::sweep::fold::row(s, &all, names.get(&s.dataset_id).map_or("", String::as_str))
        })
        .collect())
}

/// None when there is no such sweep.
pub async fn detail(
    state: &Arc<AppState>,
    id: i64,
    token: Option<&str>,
) -> Result<Option<SweepDetail>, String> {
    match api::detail(state, id, token).await {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => Ok(None),
        Err(e) => Err(reason(e)),
    }
}

pub async fn shared(state: &Arc<AppState>, token: &str) -> Result<Option<SweepDetail>, String> {
    match state
        .store
        .shared_sweep(token)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(id) => detail(state, id, Some(token)).await,
        None => Ok(None),
    }
}

pub async fn start(state: &Arc<AppState>, request: &str) -> Result<i64, String> {
    let v: serde_json::Value =
        serde_json::from_str(request).map_err(|e| format!("the sweep is not JSON: {e}"))?;
    api::start(state, v).await.map(|(id, _)| id).map_err(reason)
}

pub async fn act(state: &Arc<AppState>, id: i64, action: &str) -> Result<Option<String>, String> {
    match action {
        "cancel" => api::cancel_all(state, id)
            .await
            .map(|_| None)
            .map_err(reason),
        "share" => {
            let token = crate::api::share::new_token().map_err(reason)?;
            state
                .store
                .share_sweep(id, &token)
                .await
                .map(Some)
                .map_err(|e| e.to_string())
        }
        other => Err(format!("unknown action {other}")),
    }
}
