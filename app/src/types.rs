//! What the pages show, as the server sends it to the browser.
use serde::{Deserialize, Serialize};

/// A run as the runs list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub id: i64,
    pub kind: String,
    pub dataset_id: String,
    pub dataset_name: String,
    pub status: String,
    pub epoch: i64,
    pub epochs: i64,
    pub best_metric: Option<f64>,
    pub metric: Option<String>,
    pub created_at: f64,
    pub seconds: Option<f64>,
}

/// A dataset as the datasets list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRow {
    pub id: String,
    pub name: String,
    pub task: String,
    pub n: i64,
    pub shape: String,
    pub runs: i64,
}

/// A regression target's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetStat {
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub sd: f64,
}

/// Everything the dataset page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetDetail {
    pub row: DatasetRow,
    pub bit_depth: i64,
    /// (class name, count), classification only.
    pub classes: Vec<(String, i64)>,
    /// Regression only.
    pub targets: Vec<TargetStat>,
    /// (split, samples) in the order train, val, test.
    pub splits: Vec<(String, i64)>,
    pub test_seed: Option<u64>,
    pub channel_mean: Vec<f64>,
    pub channel_sd: Vec<f64>,
    pub duplicates: i64,
    pub warnings: Vec<String>,
    pub sha256: String,
    pub runs: Vec<RunRow>,
}
