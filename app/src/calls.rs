//! Server functions: run on the server during rendering, called over HTTP (`/fn/...`) from the
//! browser after hydration.
use crate::types::{DatasetDetail, DatasetRow, RunRow};
use leptos::prelude::*;

#[server(prefix = "/fn")]
pub async fn list_runs() -> Result<Vec<RunRow>, ServerFnError> {
    crate::backend::backend()?
        .runs()
        .await
        .map_err(ServerFnError::new)
}

#[server(prefix = "/fn")]
pub async fn list_datasets() -> Result<Vec<DatasetRow>, ServerFnError> {
    crate::backend::backend()?
        .datasets()
        .await
        .map_err(ServerFnError::new)
}

#[server(prefix = "/fn")]
pub async fn get_dataset(id: String) -> Result<Option<DatasetDetail>, ServerFnError> {
    crate::backend::backend()?
        .dataset(id)
        .await
        .map_err(ServerFnError::new)
}
