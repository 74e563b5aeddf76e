//! The store's rows as the pages show them.
use app::types::{DatasetDetail, DatasetRow, RunRow, TargetStat};
use serde_json::Value;
use std::collections::HashMap;

pub fn run_row(r: crate::store::RunRow, names: &HashMap<String, String>) -> RunRow {
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
        seed: r.config["seed"].as_u64(),
        seconds: r
            .started_at
            .map(|s| r.finished_at.unwrap_or_else(crate::store::now) - s),
    }
}

pub fn dataset_row(d: crate::store::DatasetRow) -> DatasetRow {
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

pub fn detail(d: crate::store::DatasetRow, runs: Vec<RunRow>) -> DatasetDetail {
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
            histogram: t["histogram"]
                .as_array()
                .map(|h| h.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default(),
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
        symmetry: s["symmetry"].as_str().unwrap_or("none").to_string(),
        channel_mean: numbers(&s["channel_mean"]),
        channel_sd: numbers(&s["channel_sd"]),
        duplicates: s["duplicates"].as_i64().unwrap_or(0),
        warnings: list("warnings")
            .iter()
            .filter_map(|w| w.as_str().map(str::to_string))
            .collect(),
        sha256: s["sha256"].as_str().unwrap_or("").into(),
        runs,
        networks: vec![],
        comparison: None,
        row: dataset_row(d),
    }
}

/// A trained network (a `train` or `baseline` run that succeeded) as a point of the dataset's
/// accuracy-against-latency scatter; None without a measured speed.
pub fn network(r: &crate::store::RunRow) -> Option<app::types::NetworkPoint> {
    let result = r.result.as_ref()?;
    if !matches!(r.kind.as_str(), "train" | "baseline") {
        return None;
    }
    Some(app::types::NetworkPoint {
        run: r.id,
        architecture: result["architecture"].as_str()?.to_string(),
        latency_ms: result["speed"]["latency_ms"].as_f64()?,
        test_metric: result["test_metric"].as_f64()?,
        higher_is_better: result["higher_is_better"].as_bool().unwrap_or(true),
        metric: result["metric"].as_str().unwrap_or("metric").to_string(),
    })
}

/// Dataset names by id.
pub async fn names(store: &crate::store::Store) -> Result<HashMap<String, String>, String> {
    crate::api::datasets::names(store)
        .await
        .map_err(|e| e.body.to_string())
}
