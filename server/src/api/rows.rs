//! The rows of a comparison table: a trained method's figures over its seeds (mean and spread
//! of the test metric, size, speed, how it was trained and why it stopped), and random
//! search's row. Shared by a search's comparison, a dataset's, the transferred cells' rows,
//! the verdict and the sweeps' summaries.
use crate::store::RunRow;
use app::types::ComparisonRow as Row;
use serde_json::Value;

/// Mean and sample standard deviation (None for fewer than two values).
pub fn mean_sd(values: &[f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.len() > 1)
        .then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    (Some(mean), sd)
}

pub(crate) fn mean_of(results: &[&Value], key: &str) -> Option<f64> {
    mean_sd(
        &results
            .iter()
            .filter_map(|r| r[key].as_f64())
            .collect::<Vec<_>>(),
    )
    .0
}

/// The measured speeds of trained networks' results (`speed` in result.json).
fn speeds<'a>(results: &[&'a Value]) -> Vec<&'a Value> {
    results
        .iter()
        .map(|r| &r["speed"])
        .filter(|s| s.is_object())
        .collect()
}

/// The random-search row's name: how many candidates its best was picked from, and how.
pub fn random_method(candidates: &[usize]) -> String {
    let mut counts: Vec<String> = candidates.iter().map(usize::to_string).collect();
    counts.dedup();
    format!(
        "Random search (best of {} sampled, successive halving)",
        counts.join(", ")
    )
}

/// A row of trained networks: `search_seconds` is what finding them cost (random search adds
/// its sampling).
pub(crate) fn trained(method: &str, runs: &[&RunRow], search_seconds: Option<f64>) -> Row {
    let results: Vec<&Value> = runs.iter().filter_map(|r| r.result.as_ref()).collect();
    let metrics: Vec<f64> = results
        .iter()
        .filter_map(|r| r["test_metric"].as_f64())
        .collect();
    let (mean, sd) = mean_sd(&metrics);
    let sampled: Vec<&Value> = results
        .iter()
        .map(|r| &r["random_search"])
        .filter(|s| s.is_object())
        .collect();
    Row {
        method: method.into(),
        runs: runs.iter().map(|r| r.id).collect(),
        params: results.first().and_then(|r| r["params"].as_i64()),
        macs: results.first().and_then(|r| r["macs"].as_i64()),
        latency_ms: mean_of(&speeds(&results), "latency_ms"),
        throughput: mean_of(&speeds(&results), "throughput"),
        search_seconds: search_seconds.or_else(|| mean_of(&sampled, "sampling_seconds")),
        budget_seconds: mean_sd(
            &sampled
                .iter()
                .filter_map(|s| s["budget"]["seconds"].as_f64())
                .collect::<Vec<_>>(),
        )
        .0,
        train_seconds: mean_of(&results, "seconds"),
        test_metric_mean: mean,
        test_metric_sd: sd,
        trained_with: results
            .first()
            .and_then(|r| augmentation(&r["augmentation"])),
        stopped: results
            .iter()
            .filter_map(|r| stop_text(&r["stopped"]))
            .collect(),
    }
}

/// A training's augmentation in words (result.json `augmentation`); None for results without one.
pub fn augmentation(a: &Value) -> Option<String> {
    if !a.is_object() {
        return None;
    }
    let mut parts = vec![];
    if let Some(p) = a["pad"].as_i64().filter(|&p| p > 0) {
        parts.push(format!("crop (pad {p})"));
    }
    if a["flip"] == true {
        parts.push("flips".into());
    }
    if a["rot90"] == true {
        parts.push("quarter turns".into());
    }
    if let Some(c) = a["cutout"].as_i64().filter(|&c| c > 0) {
        parts.push(format!("cutout {c}"));
    }
    Some(if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    })
}

/// Why a training stopped (result.json `stopped`): "plateau, kept epoch 14 of 22 run".
pub fn stop_text(s: &Value) -> Option<String> {
    let reason = s["reason"].as_str()?;
    let run = s["epochs_run"].as_u64()?;
    let kept = s["kept_epoch"].as_u64()?;
    Some(format!("{reason}, kept epoch {kept} of {run} run"))
}

/// The random-search row of `random`'s runs.
pub(crate) fn random_row(random: &[&RunRow]) -> Row {
    let counts: Vec<usize> = random
        .iter()
        .filter_map(|r| r.result.as_ref())
        .filter_map(|r| r["random_search"]["candidates"].as_array().map(Vec::len))
        .collect();
    trained(&random_method(&counts), random, None)
}
