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
