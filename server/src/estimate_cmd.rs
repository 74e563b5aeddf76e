//! `dartboard estimate --data-dir DIR --dataset ID --config JSON`: measures a few steps of the
//! search in this process and prints the estimate as one JSON line (the server runs it as a
//! child so the measurement is not disturbed by, and cannot disturb, the server).
use crate::args::Args;
use anyhow::{anyhow, Result};
use engine::config::SearchConfig;
use serde_json::Value;
use std::path::PathBuf;

pub fn run(mut args: Args) -> Result<()> {
    let data_dir = PathBuf::from(args.require("data-dir")?);
    let id = args.require("dataset")?;
    let config: Value = serde_json::from_str(&args.require("config")?)
        .map_err(|e| anyhow!("--config: not JSON: {e}"))?;
    args.reject_rest()?;
    let Value::Object(map) = config else {
        return Err(anyhow!("--config: expected a JSON object of config keys"));
    };
    let cfg = SearchConfig::resolve(std::slice::from_ref(&map)).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        anyhow!("invalid config: {}", lines.join("; "))
    })?;
    let (data, _) = engine::data::store::load(&data_dir, &id)?;
    let tables = crate::latency_cmd::tables_dir(&data_dir);
    let estimate = engine::estimate::estimate(&data, &cfg, &memory, Some(&tables))?;
    println!("{}", serde_json::to_string(&estimate)?);
    Ok(())
}

/// CPU: this process's peak resident memory. CUDA: this process's GPU memory as nvidia-smi
/// reports it (libtorch's C API has no memory statistics).
fn memory(device: tch::Device) -> u64 {
    if !matches!(device, tch::Device::Cuda(_)) {
        return engine::estimate::cpu_memory(device);
    }
    let me = std::process::id().to_string();
    std::process::Command::new("nvidia-smi")
        .args([
            "--query-compute-apps=pid,used_memory",
            "--format=csv,noheader,nounits",
        ])
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout).lines().find_map(|l| {
                let mut f = l.split(',').map(str::trim);
                (f.next() == Some(me.as_str())).then(|| f.next()?.parse::<u64>().ok())?
            })
        })
        .map_or(0, |mib| mib * 1024 * 1024)
}
