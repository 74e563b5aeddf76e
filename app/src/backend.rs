//! What the server functions need from the server (its store, runner and API), provided as
//! context so this crate stays free of the database and of tch.
use crate::types::{
    DatasetDetail, DatasetRow, Estimated, RunDetail, RunRow, SearchForm, Started, SweepDetail,
    SweepRow,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type Reply<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// What a run page can ask the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAction {
    Cancel,
    Resume,
    Delete,
    Share,
    Unshare,
}

pub trait Backend: Send + Sync {
    fn runs(&self) -> Reply<'_, Vec<RunRow>>;
    fn datasets(&self) -> Reply<'_, Vec<DatasetRow>>;
    /// None when there is no such dataset.
    fn dataset(&self, id: String) -> Reply<'_, Option<DatasetDetail>>;
    /// None when there is no such run.
    fn run(&self, id: i64) -> Reply<'_, Option<RunDetail>>;
    /// The run a share token opens, read-only; None for a wrong or revoked token.
    fn shared(&self, token: String) -> Reply<'_, Option<RunDetail>>;
    /// Ok(Some(text)): done, with the share token for `Share`; Err: refused, with the reason.
    fn act(&self, id: i64, action: RunAction) -> Reply<'_, Option<String>>;
    /// Starts `retrain` or `baselines` runs from a finished search; their ids.
    fn derive(
        &self,
        source: i64,
        what: String,
        preset: String,
        device: String,
    ) -> Reply<'_, Vec<i64>>;
    fn search_form(&self) -> Reply<'_, SearchForm>;
    /// `config` is a JSON object of config keys; `plan` one of the API's `study` and `seeds`.
    fn start_search(&self, dataset_id: String, config: String, plan: String) -> Reply<'_, Started>;
    /// Err: refused, with the reason.
    fn delete_dataset(&self, id: String) -> Reply<'_, ()>;
    /// Which mirror images and quarter turns training may make of a dataset's images
    /// (`none`, `flip`, `rot90`, `dihedral`); Err: refused, with the reason.
    fn set_symmetry(&self, id: String, symmetry: String) -> Reply<'_, ()>;
    fn estimate(&self, dataset_id: String, config: String) -> Reply<'_, Estimated>;
    fn sweeps(&self) -> Reply<'_, Vec<SweepRow>>;
    /// None when there is no such sweep.
    fn sweep(&self, id: i64) -> Reply<'_, Option<SweepDetail>>;
    /// The sweep a share token opens, read-only; None for a wrong token.
    fn shared_sweep(&self, token: String) -> Reply<'_, Option<SweepDetail>>;
    /// `request` is the sweep as JSON (a run request with axes, seeds, mode, ...); its id, or
    /// Err with every refused field.
    fn start_sweep(&self, request: String) -> Reply<'_, i64>;
    /// `cancel` or `share`: Ok(Some(token)) for `share`.
    fn sweep_act(&self, id: i64, action: String) -> Reply<'_, Option<String>>;
}

/// The backend the server put into the request's context.
pub fn backend() -> Result<Arc<dyn Backend>, leptos::prelude::ServerFnError> {
    leptos::prelude::use_context::<Arc<dyn Backend>>()
        .ok_or_else(|| leptos::prelude::ServerFnError::new("no backend in context"))
}
