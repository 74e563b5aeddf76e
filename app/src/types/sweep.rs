//! A sweep as its page shows it: the axes, each point's metric over seeds, the runs, the sweet
//! spot. The server folds the runs into these; the page and the CSV read them.
use serde::{Deserialize, Serialize};

/// One varied config key and its values as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepAxis {
    pub key: String,
    pub values: Vec<String>,
}

/// One point of the map: its index into each axis, and its runs folded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepCell {
    pub point: Vec<usize>,
    /// "alpha_lr=0.001, w_lr=0.003".
    pub label: String,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// Seeds that succeeded with a metric.
    pub n: usize,
    /// Runs that failed (divergence is a result).
    pub failed: usize,
    /// Runs still queued or running (or whose study is).
    pub pending: usize,
    /// Mean count of parameter-free ops in the final cells (searches).
    pub parameter_free: Option<f64>,
    pub runs: Vec<i64>,
}

/// One run of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepMember {
    pub run: i64,
    /// Index into the sweep's cells.
    pub point: usize,
    pub seed: u64,
    /// The run's status, or its study's once the search succeeded.
    pub status: String,
    pub metric: Option<f64>,
    pub parameter_free: Option<usize>,
    pub message: Option<String>,
}

/// How wide the good region is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweetSpot {
    pub best: String,
    pub best_mean: f64,
    /// A fraction of the best's value.
    pub tolerance: f64,
    /// Points within the tolerance of the best, of the points with a mean.
    pub within: usize,
    pub scored: usize,
    /// Keys at whose first or last value the best lies (of axes with more than two values).
    pub on_edge: Vec<String>,
}

/// A sweep as the sweeps list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    pub id: i64,
    pub kind: String,
    pub dataset_name: String,
    /// "alpha_lr x w_lr".
    pub keys: String,
    pub status: String,
    pub runs: usize,
    pub done: usize,
    pub created_at: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepDetail {
    pub row: SweepRow,
    pub dataset_id: String,
    pub axes: Vec<SweepAxis>,
    pub seeds: u64,
    /// "grid of 9 points" or "random sample of 5 of the grid's 9 points".
    pub mode: String,
    /// What each point's value is: "test accuracy of the retrained cell".
    pub measure: String,
    /// The metric's name: accuracy, rmse, ...
    pub metric: String,
    pub higher_is_better: bool,
    pub cells: Vec<SweepCell>,
    pub members: Vec<SweepMember>,
    pub sweet_spot: Option<SweetSpot>,
    /// Searches: the parameter-free ops map is drawn.
    pub searches: bool,
    /// The config every point shares, key by key (as JSON text).
    pub base: Vec<(String, String)>,
    pub share_token: Option<String>,
    pub read_only: bool,
    /// Where the CSV downloads from (with the share token on the share page).
    pub csv_url: String,
}
