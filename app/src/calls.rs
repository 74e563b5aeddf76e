//! Server functions: run on the server during rendering, called over HTTP (`/fn/...`) from the
//! browser after hydration.
use crate::types::{DatasetRow, RunRow};
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
