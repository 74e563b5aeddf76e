//! The new-search form: what it offers (datasets, presets, primitives, devices), and starting or
//! estimating a search through the API's own handlers, so the form shows the API's 422 messages.
use crate::api::state::AppState;
use crate::api::{estimate, runs};
use app::types::{DeviceChoice, EstimateFigures, Estimated, FieldMessage, SearchForm, Started};
use axum::extract::State;
use axum::Json;
use engine::config::Preset;
use engine::ops::Primitive;
use serde_json::{json, Value};
use std::sync::Arc;

fn text<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub async fn search_form(state: &Arc<AppState>) -> Result<SearchForm, String> {
    let datasets = state.store.datasets().await.map_err(|e| e.to_string())?;
    let cuda = tokio::task::spawn_blocking(crate::api::system::cuda_devices)
        .await
        .unwrap_or_default();
    let mut devices = vec![
        DeviceChoice {
            value: "auto".into(),
            label: "auto (the first GPU when there is one, else the CPU)".into(),
        },
        DeviceChoice {
            value: "cpu".into(),
            label: format!(
                "CPU ({} threads)",
                std::thread::available_parallelism().map_or(1, |n| n.get())
            ),
        },
    ];
    for d in cuda {
        let gb = |k: &str| {
            d[k].as_u64()
                .map_or("?".into(), |b| format!("{:.1}", b as f64 / 1e9))
        };
        devices.push(DeviceChoice {
            value: d["device"].as_str().unwrap_or("cuda").into(),
            label: format!(
                "{}: {} ({} GB, {} GB free)",
                d["device"].as_str().unwrap_or("cuda"),
                d["name"].as_str().unwrap_or("GPU"),
                gb("memory_bytes"),
                gb("free_memory_bytes")
            ),
        });
    }
    Ok(SearchForm {
        datasets: datasets.into_iter().map(super::rows::dataset_row).collect(),
        presets: Preset::ALL
            .iter()
            .map(|p| {
                (
                    text(p),
                    serde_json::to_string(&p.config()).unwrap_or_default(),
                )
            })
            .collect(),
        primitives: Primitive::ALL.iter().map(text).collect(),
        devices,
    })
}

/// The API's error body as messages by field.
fn messages(body: &Value) -> Vec<FieldMessage> {
    match body["errors"].as_array() {
        Some(list) => list
            .iter()
            .map(|e| FieldMessage {
                field: e["field"].as_str().unwrap_or("").into(),
                message: e["message"].as_str().unwrap_or("").into(),
            })
            .collect(),
        None => vec![FieldMessage {
            field: String::new(),
            message: body["error"].as_str().unwrap_or("refused").into(),
        }],
    }
}

fn parse(config: &str) -> Result<Value, Vec<FieldMessage>> {
    serde_json::from_str(config).map_err(|e| {
        vec![FieldMessage {
            field: "config".into(),
            message: format!("not JSON: {e}"),
        }]
    })
}

/// Starts the search `config` describes; `plan` adds the API's `study` and `seeds` (nothing
/// else: the form cannot ask for another kind of run).
pub async fn start(
    state: &Arc<AppState>,
    dataset_id: String,
    config: String,
    plan: String,
) -> Started {
    let (config, plan) = match (
        parse(&config),
        parse(if plan.is_empty() { "{}" } else { &plan }),
    ) {
        (Ok(c), Ok(p)) => (c, p),
        (Err(m), _) | (_, Err(m)) => return Started::Invalid(m),
    };
    let mut request = json!({"kind": "search", "config": config});
    for key in ["study", "seeds"] {
        if let Some(v) = plan.get(key).filter(|v| !v.is_null()) {
            request[key] = v.clone();
        }
    }
    if !dataset_id.is_empty() {
        request["dataset_id"] = dataset_id.into();
    }
    match runs::create(State(Arc::clone(state)), Ok(Json(request))).await {
        Ok((_, Json(v))) => match v["id"].as_i64() {
            Some(id) => Started::Run(id),
            None => Started::Invalid(messages(&json!({"error": "no run id"}))),
        },
        Err(e) => Started::Invalid(messages(&e.body)),
    }
}

pub async fn estimate(state: &Arc<AppState>, dataset_id: String, config: String) -> Estimated {
    let config = match parse(&config) {
        Ok(c) => c,
        Err(m) => return Estimated::Invalid(m),
    };
    let request = estimate::EstimateRequest {
        dataset_id: Some(dataset_id).filter(|d| !d.is_empty()),
        config: Some(config),
    };
    match estimate::estimate(State(Arc::clone(state)), Ok(Json(request))).await {
        Ok(Json(v)) => Estimated::Figures(EstimateFigures {
            weights: v["weights"].as_i64().unwrap_or(0),
            memory_bytes: v["memory_bytes"].as_u64().unwrap_or(0),
            seconds_per_epoch: v["seconds_per_epoch"].as_f64().unwrap_or(f64::NAN),
            steps_per_epoch: v["steps_per_epoch"].as_u64().unwrap_or(0),
            device: v["device"].as_str().unwrap_or("").into(),
            fits: v["fits"].as_bool(),
            reason: v["reason"].as_str().map(str::to_string),
            latency_ms: v["latency"]["fastest_ms"]
                .as_f64()
                .zip(v["latency"]["slowest_ms"].as_f64()),
        }),
        Err(e) => Estimated::Invalid(messages(&e.body)),
    }
}
