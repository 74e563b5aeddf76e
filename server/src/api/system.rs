//! `GET /api/system`: versions, devices, free memory and disk, the queue.
use super::error::ApiResult;
use super::state::State;
use crate::store::Status;
use axum::Json;
use serde_json::{json, Value};

/// MemAvailable from /proc/meminfo, bytes.
pub fn free_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// This process's resident memory (VmRSS), bytes.
pub fn resident_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// Each CUDA device with its name and memory, from nvidia-smi (libtorch does not report names).
pub fn cuda_devices() -> Vec<Value> {
    let count = tch::Cuda::device_count();
    let smi = std::process::Command::new("nvidia-smi")
        .args([
            "--query-gpu=index,name,memory.total,memory.free",
            "--format=csv,noheader,nounits",
        ])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    (0..count)
        .map(|i| {
            let row: Option<Vec<String>> = smi
                .lines()
                .map(|l| {
                    l.split(',')
                        .map(|f| f.trim().to_string())
                        .collect::<Vec<_>>()
                })
                .find(|f| f.first().and_then(|x| x.parse::<i64>().ok()) == Some(i));
            let mib = |k: usize| {
                row.as_ref()
                    .and_then(|r| r.get(k)?.parse::<u64>().ok())
                    .map(|m| m * 1024 * 1024)
            };
            json!({
                "device": format!("cuda:{i}"),
                "name": row.as_ref().and_then(|r| r.get(1).cloned()),
                "memory_bytes": mib(2),
                "free_memory_bytes": mib(3),
            })
        })
        .collect()
}

pub async fn system(state: State) -> ApiResult<Json<Value>> {
    let cuda = tokio::task::spawn_blocking(cuda_devices)
        .await
        .unwrap_or_default();
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "pytorch": option_env!("DARTBOARD_TORCH_VERSION"),
        "cpu": {"threads": std::thread::available_parallelism().map_or(1, |n| n.get())},
        "cuda": cuda,
        "free_memory_bytes": free_memory(),
        "free_disk_bytes": crate::faults::free_bytes(&state.data_dir),
        "reserve_disk_bytes": state.limits.min_free_bytes,
        "queued": state.store.count_status(Status::Queued).await?,
        "running": state.store.count_status(Status::Running).await?,
        "store": match state.store.backend() {
            crate::store::Backend::Sqlite => "sqlite",
            crate::store::Backend::Postgres => "postgres",
        },
        "executor": state.runner.executor_name(),
        "workers": state.runner.workers(),
        "active_workers": state.runner.active(),
        // The server's own memory and the runs whose events it fans out now (the soak test's figures).
        "server_rss_bytes": resident_bytes(),
        "event_channels": state.hub.channels(),
    })))
}
