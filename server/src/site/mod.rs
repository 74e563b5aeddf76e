//! The web pages: the Leptos app rendered on the server (and hydrated by the wasm in `pkg/`),
//! with the store behind its server functions.
mod detail;
mod form;
mod rows;
mod sweeps;

use crate::api::state::AppState;
use app::backend::{Backend, Reply, RunAction};
use app::types::{
    DatasetDetail, DatasetRow, Estimated, RunDetail, RunRow, SearchForm, Started, SweepDetail,
    SweepRow,
};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use rows::{dataset_row, detail, names, run_row};
use std::path::Path;
use std::sync::Arc;

/// The store as the pages see it.
struct StoreBackend(Arc<AppState>);

impl Backend for StoreBackend {
    fn runs(&self) -> Reply<'_, Vec<RunRow>> {
        Box::pin(async move {
            let store = &self.0.store;
            let names = names(store).await?;
            let runs = store.runs().await.map_err(|e| e.to_string())?;
            Ok(runs.into_iter().map(|r| run_row(r, &names)).collect())
        })
    }

    fn datasets(&self) -> Reply<'_, Vec<DatasetRow>> {
        Box::pin(async move {
            let sets = self.0.store.datasets().await.map_err(|e| e.to_string())?;
            Ok(sets.into_iter().map(dataset_row).collect())
        })
    }

    fn dataset(&self, id: String) -> Reply<'_, Option<DatasetDetail>> {
        Box::pin(async move {
            let store = &self.0.store;
            let Some(d) = store.dataset(&id).await.map_err(|e| e.to_string())? else {
                return Ok(None);
            };
            let names = names(store).await?;
            let all = store.runs().await.map_err(|e| e.to_string())?;
            let comparison =
                crate::api::dataset_comparison::build(&id, &all, &names, &self.0.data_dir);
            let runs: Vec<_> = all.into_iter().filter(|r| r.dataset_id == id).collect();
            let networks = runs.iter().filter_map(rows::network).collect();
            let runs = runs.into_iter().map(|r| run_row(r, &names)).collect();
            Ok(Some(DatasetDetail {
                networks,
                comparison,
                ..detail(d, runs)
            }))
        })
    }

    fn run(&self, id: i64) -> Reply<'_, Option<RunDetail>> {
        Box::pin(detail::run_detail(&self.0, id, None))
    }

    fn shared(&self, token: String) -> Reply<'_, Option<RunDetail>> {
        Box::pin(async move { detail::shared(&self.0, &token).await })
    }

    fn act(&self, id: i64, action: RunAction) -> Reply<'_, Option<String>> {
        Box::pin(detail::act(&self.0, id, action))
    }

    fn derive(
        &self,
        source: i64,
        what: String,
        preset: String,
        device: String,
    ) -> Reply<'_, Vec<i64>> {
        Box::pin(async move { detail::derive(&self.0, source, &what, &preset, &device).await })
    }

    fn search_form(&self) -> Reply<'_, SearchForm> {
        Box::pin(form::search_form(&self.0))
    }

    fn start_search(&self, dataset_id: String, config: String, plan: String) -> Reply<'_, Started> {
        Box::pin(async move { Ok(form::start(&self.0, dataset_id, config, plan).await) })
    }

    fn delete_dataset(&self, id: String) -> Reply<'_, ()> {
        Box::pin(detail::delete_dataset(&self.0, id))
    }

    fn set_symmetry(&self, id: String, symmetry: String) -> Reply<'_, ()> {
        Box::pin(detail::set_symmetry(&self.0, id, symmetry))
    }

    fn estimate(&self, dataset_id: String, config: String) -> Reply<'_, Estimated> {
        Box::pin(async move { Ok(form::estimate(&self.0, dataset_id, config).await) })
    }

    fn sweeps(&self) -> Reply<'_, Vec<SweepRow>> {
        Box::pin(sweeps::list(&self.0))
    }

    fn sweep(&self, id: i64) -> Reply<'_, Option<SweepDetail>> {
        Box::pin(sweeps::detail(&self.0, id, None))
    }

    fn shared_sweep(&self, token: String) -> Reply<'_, Option<SweepDetail>> {
        Box::pin(async move { sweeps::shared(&self.0, &token).await })
    }

    fn start_sweep(&self, request: String) -> Reply<'_, i64> {
        Box::pin(async move { sweeps::start(&self.0, &request).await })
    }

    fn sweep_act(&self, id: i64, action: String) -> Reply<'_, Option<String>> {
        Box::pin(async move { sweeps::act(&self.0, id, &action).await })
    }
}

/// The site's routes (pages, server functions at `/fn/...`, the wasm and CSS at `/pkg/...`).
pub fn router(state: Arc<AppState>, site_root: &Path) -> Router {
    let options = LeptosOptions::builder()
        .output_name("dartboard")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let backend: Arc<dyn Backend> = Arc::new(StoreBackend(state));
    let context = move || provide_context(Arc::clone(&backend));
    let routes = generate_route_list(app::App);
    let fn_context = context.clone();
    Router::new()
        .route(
            "/fn/{*name}",
            axum::routing::post(move |req| handle_server_fns_with_context(fn_context.clone(), req)),
        )
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .nest_service(
            "/pkg",
            tower_http::services::ServeDir::new(site_root.join("pkg")),
        )
        .with_state(options)
}

/// Where the site files are: `--site DIR`, else `site/` beside the binary's folder
/// (`target/site` for `target/release/dartboard`).
pub fn default_root() -> std::path::PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("site")))
        .unwrap_or_else(|| "site".into())
}
