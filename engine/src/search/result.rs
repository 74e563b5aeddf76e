//! What a cell search's `result.json` holds.
use super::checkpoint::Progress;
use super::epochs::last_val_metric;
use crate::data::{Dataset, Task};
use crate::genotype::Genotype;
use crate::scoring::metric_name;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What `result.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    pub genotype: Genotype,
    /// The metric's name: `accuracy` (classification) or `rmse` (regression, original units).
    pub metric: String,
    pub higher_is_better: bool,
    /// The supernet's best metric on the validation part over all epochs.
    pub best_val_metric: f64,
    /// The supernet's metric on the validation part at the last epoch.
    pub final_val_metric: f64,
    /// Every metric of the task on the validation part at the last epoch.
    pub val_metrics: BTreeMap<String, f64>,
    pub epochs: usize,
    pub seconds: f64,
    pub weights: i64,
    pub device: String,
    /// The supernet's metric on the test split, scored once after the search (it chooses
    /// nothing): beside the retrained network's, the discretisation gap.
    #[serde(default)]
    pub supernet_test_metric: Option<f64>,
    /// Multiply-adds of the supernet's forward pass on one image (every op on every edge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macs: Option<i64>,
    #[serde(default)]
    pub supernet_test_metrics: BTreeMap<String, f64>,
    /// What ran it, for reproducibility.
    #[serde(default)]
    pub dartboard_version: String,
    #[serde(default)]
    pub pytorch_version: String,
}

/// What a cell search ends with, besides what its progress holds.
pub struct Searched {
    pub genotype: Genotype,
    pub epochs: usize,
    /// Seconds of the whole run (every session).
    pub seconds: f64,
    pub weights: i64,
    pub device: tch::Device,
    pub test_metrics: BTreeMap<String, f64>,
    pub macs: i64,
}

impl SearchResult {
    /// The result of a cell search on `data` whose epochs left `progress`.
    pub fn new(data: &Dataset, progress: &Progress, s: Searched) -> SearchResult {
        let metric = metric_name(data.task);
        SearchResult {
            macs: Some(s.macs),
            supernet_test_metric: s.test_metrics.get(metric).copied(),
            supernet_test_metrics: s.test_metrics,
            genotype: s.genotype,
            metric: metric.into(),
            val_metrics: progress.val_metrics.clone(),
            higher_is_better: data.task == Task::Classification,
            best_val_metric: progress.best_val_metric.unwrap_or(f64::NAN),
            final_val_metric: last_val_metric(progress),
            epochs: s.epochs,
            seconds: s.seconds,
            weights: s.weights,
            device: crate::device::describe(s.device),
            dartboard_version: dartboard_version(),
            pytorch_version: pytorch_version(),
        }
    }
}

/// This build's version, as results record it.
pub fn dartboard_version() -> String {
    env!("CARGO_PKG_VERSION").into()
}

/// The PyTorch this build links, as results record it.
pub fn pytorch_version() -> String {
    option_env!("DARTBOARD_TORCH_VERSION")
        .unwrap_or("unknown")
        .into()
}
