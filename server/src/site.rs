//! The web pages: the Leptos app rendered on the server (and hydrated by the wasm in `pkg/`),
//! with the store behind its server functions.
use crate::api::AppState;
use app::backend::{Backend, Reply};
use app::types::{DatasetDetail, DatasetRow, RunRow, TargetStat};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The store as the pages see it.
struct StoreBackend(Arc<AppState>);

fn run_row(r: crate::store::RunRow, names: &HashMap<String, String>) -> RunRow {
    RunRow {
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
    }
}

fn dataset_row(d: crate::store::DatasetRow) -> DatasetRow {
    let dim = |k: &str| d.summary[k].as_i64().unwrap_or(0);
    DatasetRow {
        task: d.summary["task"].as_str().unwrap_or("").into(),
        n: dim("n"),
        shape: format!("{}x{}x{}", dim("channels"), dim("height"), dim("width")),
        runs: d.runs,
        id: d.id,
        name: d.name,
    }
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn detail(d: crate::store::DatasetRow, runs: Vec<RunRow>) -> DatasetDetail {
    let s = d.summary.clone();
    let list = |k: &str| s[k].as_array().cloned().unwrap_or_default();
    let classes = list("classes")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_string(),
                c["count"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let targets = list("targets")
        .iter()
        .map(|t| TargetStat {
            name: t["name"].as_str().unwrap_or("").into(),
            min: t["min"].as_f64().unwrap_or(f64::NAN),
            max: t["max"].as_f64().unwrap_or(f64::NAN),
            mean: t["mean"].as_f64().unwrap_or(f64::NAN),
            sd: t["sd"].as_f64().unwrap_or(f64::NAN),
        })
        .collect();
    let splits = ["train", "val", "test"]
        .iter()
        .filter_map(|k| Some((k.to_string(), s["splits"][*k].as_i64()?)))
        .collect();
    DatasetDetail {
        bit_depth: s["bit_depth"].as_i64().unwrap_or(0),
        classes,
        targets,
        splits,
        test_seed: s["test_seed"].as_u64(),
        channel_mean: numbers(&s["channel_mean"]),
        channel_sd: numbers(&s["channel_sd"]),
        duplicates: s["duplicates"].as_i64().unwrap_or(0),
        warnings: list("warnings")
            .iter()
            .filter_map(|w| w.as_str().map(str::to_string))
            .collect(),
        sha256: s["sha256"].as_str().unwrap_or("").into(),
        runs,
        row: dataset_row(d),
    }
}

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
            let runs = store.runs().await.map_err(|e| e.to_string())?;
            let runs = runs
                .into_iter()
                .filter(|r| r.dataset_id == id)
                .map(|r| run_row(r, &names))
                .collect();
            Ok(Some(detail(d, runs)))
        })
    }
}

/// Dataset names by id.
async fn names(store: &crate::store::Store) -> Result<HashMap<String, String>, String> {
    Ok(store
        .datasets()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
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
