//! `GET/DELETE /api/datasets[/{id}]` and the sample grid.
use super::{ApiError, ApiResult, State};
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::data::store;
use serde_json::Value;

pub async fn list(state: State) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::to_value(state.store.datasets().await?).map_err(ApiError::internal)?,
    ))
}

pub async fn get(state: State, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let d = state
        .store
        .dataset(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(serde_json::to_value(d).map_err(ApiError::internal)?))
}

pub async fn delete(state: State, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let d = state
        .store
        .dataset(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !state.store.delete_dataset(&id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "dataset {id} is used by {} run(s); delete them first",
                d.runs
            ),
        ));
    }
    let dir = store::dataset_dir(&state.data_dir, &id);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::warn!("{}: {e}", dir.display());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A PNG grid of example images (a row per class, or in target order for regression), drawn
/// once and kept beside the dataset.
pub async fn samples(state: State, Path(id): Path<String>) -> ApiResult<Response> {
    state
        .store
        .dataset(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let dir = store::dataset_dir(&state.data_dir, &id);
    let data_dir = state.data_dir.clone();
    let png = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let cached = dir.join("samples.png");
        if let Ok(bytes) = std::fs::read(&cached) {
            return Ok(bytes);
        }
        let (data, _) = store::load(&data_dir, &id).map_err(|e| e.to_string())?;
        let bytes = engine::data::samples::grid_png(&data)?;
        let tmp = dir.join("samples.png.tmp");
        if std::fs::write(&tmp, &bytes).is_ok() {
            let _ = std::fs::rename(&tmp, &cached);
        }
        Ok(bytes)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
