//! What the server functions need from the server (its store), provided as context so this
//! crate stays free of the database and of tch.
use crate::types::{DatasetDetail, DatasetRow, RunRow};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type Reply<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

pub trait Backend: Send + Sync {
    fn runs(&self) -> Reply<'_, Vec<RunRow>>;
    fn datasets(&self) -> Reply<'_, Vec<DatasetRow>>;
    /// None when there is no such dataset.
    fn dataset(&self, id: String) -> Reply<'_, Option<DatasetDetail>>;
}

/// The backend the server put into the request's context.
pub fn backend() -> Result<Arc<dyn Backend>, leptos::prelude::ServerFnError> {
    leptos::prelude::use_context::<Arc<dyn Backend>>()
        .ok_or_else(|| leptos::prelude::ServerFnError::new("no backend in context"))
}
