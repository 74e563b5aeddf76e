//! `GET/PATCH/DELETE /api/datasets[/{id}]` and the sample grid.
use super::error::{ApiError, ApiResult};
use super::state::State;
use crate::importer::ImportError;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::data::store;
use serde_json::Value;

/// Dataset names by id (comparisons name the data a transferred cell came from).
pub async fn names(
    store: &crate::store::Store,
) -> ApiResult<std::collections::HashMap<String, String>> {
    Ok(store
        .datasets()
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

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

/// `PATCH /api/datasets/{id}` with `{"symmetry": "none|flip|rot90|dihedral"}`: which mirror
/// images and quarter turns training may make of the dataset's images (runs started after it
/// read the new word). The dataset as `GET` shows it.
pub async fn patch(
    state: State,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let row = state
        .store
        .dataset(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let unprocessable = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m);
    let fields = body.as_object().ok_or_else(|| {
        unprocessable("the body is a JSON object: {\"symmetry\": \"flip\"}".into())
    })?;
    if let Some(k) = fields.keys().find(|k| *k != "symmetry") {
        return Err(unprocessable(format!(
            "{k}: not a field that can be changed (only symmetry)"
        )));
    }
    let text = fields
        .get("symmetry")
        .and_then(Value::as_str)
        .ok_or_else(|| unprocessable("symmetry: missing (none, flip, rot90 or dihedral)".into()))?;
    let symmetry =
        engine::data::parse_symmetry(text).map_err(|m| unprocessable(format!("symmetry: {m}")))?;
    store::set_symmetry(&state.data_dir, &id, symmetry).map_err(ApiError::internal)?;
    let mut summary = row.summary.clone();
    summary["symmetry"] = symmetry.name().into();
    state.store.update_dataset_summary(&id, &summary).await?;
    get(state, Path(id)).await
}

pub async fn delete(state: State, Path(id): Path<String>) -> ApiResult<StatusCode> {
    // The store deletes only a dataset no run uses, in one statement; a refusal is explained
    // from a fresh read (the runs that blocked it may have been deleted since: try again then).
    for _ in 0..3 {
        if state.store.delete_dataset(&id).await? {
            let dir = store::dataset_dir(&state.data_dir, &id);
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!("{}: {e}", dir.display());
            }
            return Ok(StatusCode::NO_CONTENT);
        }
        let d = state
            .store
            .dataset(&id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        if d.runs > 0 {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "dataset {id} is used by {} run(s); delete them first",
                    d.runs
                ),
            ));
        }
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        format!("dataset {id} is being used by runs as they are created; try again"),
    ))
}

/// A PNG grid of example images (a row per class, or in target order for regression), drawn
/// by the import's child process and kept beside the dataset (drawn by a child now for a dataset
/// imported before that).
pub async fn samples(state: State, Path(id): Path<String>) -> ApiResult<Response> {
    state
        .store
        .dataset(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let cached = store::dataset_dir(&state.data_dir, &id).join("samples.png");
    if !cached.is_file() {
        state
            .importer
            .draw_samples(&id)
            .await
            .map_err(|e| match e {
                ImportError::Refused(m) | ImportError::Internal(m) => ApiError::internal(m),
            })?;
    }
    let png = tokio::fs::read(&cached).await.map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
