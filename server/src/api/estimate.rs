//! `POST /api/estimate {"dataset_id", "config"}`: parameters, peak memory and seconds per epoch,
//! measured by `dartboard estimate` in a child process and extrapolated, and whether the search
//! fits in the device's free memory. A config whose memory lower bound (from the shapes alone)
//! passes the free memory is answered `fits: false` at once, without building anything.
use super::error::{body, ApiError, ApiResult, Body};
use super::prepare::validate;
use super::state::State;
use super::system::{cuda_devices, free_memory};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// The longest an estimate may take; a config that needs longer is answered without a figure.
const LIMIT: Duration = Duration::from_secs(120);
/// Estimates at once: each builds the supernet in a child process (hundreds of MB).
pub const AT_ONCE: usize = 1;

#[derive(Deserialize)]
pub struct EstimateRequest {
    pub dataset_id: Option<String>,
    pub config: Option<Value>,
}

pub async fn estimate(state: State, request: Body<EstimateRequest>) -> ApiResult<Json<Value>> {
    let body = body(request)?;
    let (cfg, d) = validate(
        &state.store,
        body.dataset_id.as_deref(),
        "search",
        body.config,
    )
    .await?;
    let free = match engine::device::parse(&cfg.device) {
        Ok(tch::Device::Cuda(n)) => {
            let devs = tokio::task::spawn_blocking(cuda_devices)
                .await
                .unwrap_or_default();
            devs.get(n).and_then(|d| d["free_memory_bytes"].as_u64())
        }
        _ => free_memory(),
    };
    // What cannot fit is refused from the shapes alone, at once, without building anything.
    let input = input_shape(&d.summary);
    if let (Some(input), Some(free)) = (input, free) {
        if let Err(too_large) = engine::estimate::check_fits(&cfg, &input, free) {
            return Ok(Json(json!({
                "weights": engine::estimate::supernet_weights(&cfg, &input),
                "memory_bytes": too_large.needed,
                "free_memory_bytes": free,
                "fits": false,
                "reason": too_large.to_string(),
                "device": cfg.device,
                "measured": false,
            })));
        }
    }
    let config = serde_json::to_string(&cfg).map_err(ApiError::internal)?;
    let _turn = state
        .estimates
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    let exe = std::env::current_exe().map_err(ApiError::internal)?;
    let child = tokio::process::Command::new(exe)
        .args([
            "estimate",
            "--dataset",
            &d.id,
            "--config",
            &config,
            "--data-dir",
        ])
        .arg(&state.data_dir)
        // As a worker runs: ProxylessNAS's latency table is measured at the workers' threads.
        .env(
            crate::worker::THREADS_VAR,
            state.runner.threads().to_string(),
        )
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(LIMIT, child)
        .await
        .map_err(|_| ApiError::new(StatusCode::GATEWAY_TIMEOUT, "the estimate took over 300 s"))?
        .map_err(ApiError::internal)?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the estimate failed: {}", err.trim()),
        ));
    }
    let mut v: Value = serde_json::from_slice(&out.stdout).map_err(ApiError::internal)?;
    let need = v["memory_bytes"].as_u64().unwrap_or(0);
    v["free_memory_bytes"] = free.into();
    v["measured"] = true.into();
    match free {
        Some(f) if need > f => {
            v["fits"] = false.into();
            v["reason"] = format!("needs about {:.1} GB but {:.1} GB is free on {}; lower batch_size, init_channels or layers", need as f64 / 1e9, f as f64 / 1e9, v["device"].as_str().unwrap_or("the device")).into();
        }
        Some(_) => v["fits"] = true.into(),
        None => {
            v["fits"] = Value::Null;
            v["reason"] = "the device's free memory is unknown".into();
        }
    }
    Ok(Json(v))
}

/// A dataset's input shape from its stored summary (no dataset is loaded).
fn input_shape(summary: &Value) -> Option<engine::estimate::InputShape> {
    let outputs = summary["classes"]
        .as_array()
        .or_else(|| summary["targets"].as_array())?
        .len();
    Some(engine::estimate::InputShape {
        channels: summary["channels"].as_i64()?,
        height: summary["height"].as_i64()?,
        width: summary["width"].as_i64()?,
        outputs: i64::try_from(outputs).ok()?,
    })
}
