//! The web pages: the Leptos app rendered on the server (and hydrated by the wasm in `pkg/`),
//! with the store behind its server functions.
use crate::api::AppState;
use app::backend::{Backend, Reply};
use app::types::{DatasetRow, RunRow};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The store as the pages see it.
struct StoreBackend(Arc<AppState>);

impl Backend for StoreBackend {
    fn runs(&self) -> Reply<'_, Vec<RunRow>> {
        Box::pin(async move {
            let store = &self.0.store;
            let names: HashMap<String, String> = store
                .datasets()
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect();
            let runs = store.runs().await.map_err(|e| e.to_string())?;
            Ok(runs
                .into_iter()
                .map(|r| RunRow {
                    id: r.id,
                    kind: r.kind,
                    dataset_name: names
                        .get(&r.dataset_id)
                        .cloned()
                        .unwrap_or_else(|| r.dataset_id.clone()),
                    dataset_id: r.dataset_id,
                    status: r.status.as_str().into(),
                    epoch: r.epoch,
                    epochs: r.epochs,
                    best_metric: r.best_metric,
                    metric: r
                        .result
                        .as_ref()
                        .and_then(|v| v["metric"].as_str())
                        .map(str::to_string),
                    created_at: r.created_at,
                    seconds: r
                        .started_at
                        .map(|s| r.finished_at.unwrap_or_else(crate::store::now) - s),
                })
                .collect())
        })
    }

    fn datasets(&self) -> Reply<'_, Vec<DatasetRow>> {
        Box::pin(async move {
            let sets = self.0.store.datasets().await.map_err(|e| e.to_string())?;
            Ok(sets
                .into_iter()
                .map(|d| {
                    let dim = |k: &str| d.summary[k].as_i64().unwrap_or(0);
                    DatasetRow {
                        task: d.summary["task"].as_str().unwrap_or("").into(),
                        n: dim("n"),
                        shape: format!("{}x{}x{}", dim("channels"), dim("height"), dim("width")),
                        runs: d.runs,
                        id: d.id,
                        name: d.name,
                    }
                })
                .collect())
        })
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
