//! Server functions: run on the server during rendering, called over HTTP (`/fn/...`) from the
//! browser after hydration. They reach the server only through `backend::Backend`.
use crate::types::{
    DatasetDetail, DatasetRow, Estimated, RunDetail, RunRow, SearchForm, Started, SweepDetail,
    SweepRow,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn failed(e: String) -> ServerFnError {
    ServerFnError::new(e)
}

#[server(prefix = "/fn")]
pub async fn list_runs() -> Result<Vec<RunRow>, ServerFnError> {
    crate::backend::backend()?.runs().await.map_err(failed)
}

#[server(prefix = "/fn")]
pub async fn list_datasets() -> Result<Vec<DatasetRow>, ServerFnError> {
    crate::backend::backend()?.datasets().await.map_err(failed)
}

#[server(prefix = "/fn")]
pub async fn get_dataset(id: String) -> Result<Option<DatasetDetail>, ServerFnError> {
    crate::backend::backend()?.dataset(id).await.map_err(failed)
}

#[server(prefix = "/fn")]
pub async fn get_run(id: i64) -> Result<Option<RunDetail>, ServerFnError> {
    crate::backend::backend()?.run(id).await.map_err(failed)
}

/// The run behind a share link (the page answers 404 for a wrong token).
#[server(prefix = "/fn")]
pub async fn get_shared(token: String) -> Result<Option<RunDetail>, ServerFnError> {
    crate::backend::backend()?
        .shared(token)
        .await
        .map_err(failed)
}

/// The runs of `/compare?runs=3,7,9`, in that order; ids that are not runs are left out. More
/// than `compare::MOST` different ids are refused (422), so the page's cost never grows with
/// its URL.
#[server(prefix = "/fn")]
pub async fn get_runs(ids: String) -> Result<Vec<RunDetail>, ServerFnError> {
    let ids = match crate::pages::compare::compare_ids(&ids) {
        Ok(ids) => ids,
        Err(m) => {
            if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
                r.set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
            }
            return Err(ServerFnError::new(m));
        }
    };
    let b = crate::backend::backend()?;
    let mut out = vec![];
    for id in ids {
        if let Some(r) = b.run(id).await.map_err(failed)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// `action`: cancel, resume, delete, share or unshare. Ok(Err(reason)) when refused.
#[server(prefix = "/fn")]
pub async fn run_action(
    id: i64,
    action: String,
) -> Result<Result<Option<String>, String>, ServerFnError> {
    use crate::backend::RunAction;
    let action = match action.as_str() {
        "cancel" => RunAction::Cancel,
        "resume" => RunAction::Resume,
        "delete" => RunAction::Delete,
        "share" => RunAction::Share,
        "unshare" => RunAction::Unshare,
        other => return Ok(Err(format!("unknown action {other}"))),
    };
    Ok(crate::backend::backend()?.act(id, action).await)
}

#[server(prefix = "/fn")]
pub async fn load_search_form() -> Result<SearchForm, ServerFnError> {
    crate::backend::backend()?
        .search_form()
        .await
        .map_err(failed)
}

/// `plan`: what follows the search, a JSON object of the API's `study` and `seeds` (`{}` for
/// the search alone).
#[server(prefix = "/fn")]
pub async fn start_search(
    dataset_id: String,
    config: String,
    plan: String,
) -> Result<Started, ServerFnError> {
    crate::backend::backend()?
        .start_search(dataset_id, config, plan)
        .await
        .map_err(failed)
}

#[server(prefix = "/fn")]
pub async fn estimate_search(
    dataset_id: String,
    config: String,
) -> Result<Estimated, ServerFnError> {
    crate::backend::backend()?
        .estimate(dataset_id, config)
        .await
        .map_err(failed)
}

/// Ok(Err(reason)) when refused (a dataset runs still use).
#[server(prefix = "/fn")]
pub async fn delete_dataset(id: String) -> Result<Result<(), String>, ServerFnError> {
    Ok(crate::backend::backend()?.delete_dataset(id).await)
}

/// Ok(Err(reason)) when refused (not a symmetry).
#[server(prefix = "/fn")]
pub async fn set_symmetry(
    id: String,
    symmetry: String,
) -> Result<Result<(), String>, ServerFnError> {
    Ok(crate::backend::backend()?.set_symmetry(id, symmetry).await)
}

/// `what`: retrain or baselines. Ok(Err(reason)) when refused.
#[server(prefix = "/fn")]
pub async fn derive_runs(
    source: i64,
    what: String,
    preset: String,
    device: String,
) -> Result<Result<Vec<i64>, String>, ServerFnError> {
    Ok(crate::backend::backend()?
        .derive(source, what, preset, device)
        .await)
}

#[server(prefix = "/fn")]
pub async fn list_sweeps() -> Result<Vec<SweepRow>, ServerFnError> {
    crate::backend::backend()?.sweeps().await.map_err(failed)
}

#[server(prefix = "/fn")]
pub async fn get_sweep(id: i64) -> Result<Option<SweepDetail>, ServerFnError> {
    crate::backend::backend()?.sweep(id).await.map_err(failed)
}

/// The sweep behind a share link. A wrong token answers 404 on the page.
#[server(prefix = "/fn")]
pub async fn get_shared_sweep(token: String) -> Result<Option<SweepDetail>, ServerFnError> {
    let sweep = crate::backend::backend()?
        .shared_sweep(token)
        .await
        .map_err(failed)?;
    if sweep.is_none() {
        if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
            r.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    Ok(sweep)
}

/// Ok(Err(reason)) when refused (every bad field, one a line).
#[server(prefix = "/fn")]
pub async fn start_sweep(request: String) -> Result<Result<i64, String>, ServerFnError> {
    Ok(crate::backend::backend()?.start_sweep(request).await)
}

/// `action`: cancel or share. Ok(Err(reason)) when refused.
#[server(prefix = "/fn")]
pub async fn sweep_action(
    id: i64,
    action: String,
) -> Result<Result<Option<String>, String>, ServerFnError> {
    Ok(crate::backend::backend()?.sweep_act(id, action).await)
}
