//! What the pages show, as the server sends it to the browser.
use serde::{Deserialize, Serialize};

mod sweep;
pub use sweep::{SweepAxis, SweepCell, SweepDetail, SweepMember, SweepRow, SweetSpot};

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
    /// The config's seed.
    #[serde(default)]
    pub seed: Option<u64>,
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
    #[serde(with = "crate::live::nan_as_null")]
    pub min: f64,
    #[serde(with = "crate::live::nan_as_null")]
    pub max: f64,
    #[serde(with = "crate::live::nan_as_null")]
    pub mean: f64,
    #[serde(with = "crate::live::nan_as_null")]
    pub sd: f64,
    /// Counts in equal-width bins from min to max; empty for datasets imported before it.
    pub histogram: Vec<i64>,
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
    /// Which mirror images and quarter turns training may make: none, flip, rot90, dihedral.
    #[serde(default)]
    pub symmetry: String,
    pub runs: Vec<RunRow>,
    /// Every network trained on the dataset with its measured speed.
    #[serde(default)]
    pub networks: Vec<NetworkPoint>,
    /// Every method trained on the dataset, transferred cells included.
    #[serde(default)]
    pub comparison: Option<Comparison>,
}

/// A trained network as the dataset's accuracy-against-latency scatter draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkPoint {
    pub run: i64,
    /// `darts`, `proxyless`, `resnet18`, `random`, ...
    pub architecture: String,
    pub latency_ms: f64,
    pub test_metric: f64,
    pub higher_is_better: bool,
    pub metric: String,
}

/// A file a run offers for download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub name: String,
    pub bytes: u64,
    pub url: String,
}

/// Everything the run page (live, result and share) shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub row: RunRow,
    pub source_run: Option<i64>,
    /// The failure or cancellation message.
    pub message: Option<String>,
    /// The resolved config, key by key, as JSON text.
    pub config: Vec<(String, String)>,
    pub seed: Option<u64>,
    /// The dataset's task: classification or regression.
    pub task: String,
    pub dataset_sha256: String,
    /// `result.json` once the run has succeeded.
    pub weights: Option<i64>,
    pub device: Option<String>,
    pub higher_is_better: Option<bool>,
    pub dartboard_version: String,
    pub pytorch_version: String,
    pub artifacts: Vec<Artifact>,
    /// The run's share token, for the admin; None on the share page itself.
    pub share_token: Option<String>,
    /// True on the share page: no edit controls.
    pub read_only: bool,
    /// Query suffix for reads made with a share token (`?token=...`), else empty.
    pub token_query: String,
    pub state: crate::live::RunState,
    /// A search's comparison with the runs made from it.
    pub comparison: Option<Comparison>,
    /// A search asked to be followed by its study: what the study trains, and its budget.
    #[serde(default)]
    pub study: Option<String>,
    /// A training's end: why it stopped and which epoch's weights it kept.
    #[serde(default)]
    pub stopped: Option<StopMark>,
    /// The runs made from this one, or from any search of its seed group (retraining,
    /// baselines).
    pub derived: Vec<RunRow>,
    /// A search repeated with several seeds: the group's searches, this one included.
    #[serde(default)]
    pub group: Vec<RunRow>,
    /// Where the run executes on a cluster: "Slurm job 12 (RUNNING)"; None for local runs.
    #[serde(default)]
    pub job: Option<String>,
    /// A cell trained on other data than its search's: where it came from and what was rebuilt.
    #[serde(default)]
    pub transfer: Option<String>,
    /// For a transferred cell: the comparison of everything trained on its dataset.
    #[serde(default)]
    pub dataset_comparison: Option<Comparison>,
}

/// Why a training stopped (result.json `stopped`), as the run page marks it on the curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopMark {
    /// `plateau`, `budget` or `epochs`.
    pub reason: String,
    pub epochs_run: usize,
    pub planned_epochs: usize,
    pub kept_epoch: usize,
    /// The same in words: "stopped after epoch 22: the held-out accuracy did not improve ...".
    pub message: String,
}

/// One method of a comparison (`GET /api/runs/{id}/comparison` returns these too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    pub method: String,
    /// The runs measured; more than one means repeated seeds.
    pub runs: Vec<i64>,
    pub params: Option<i64>,
    /// Multiply-adds of one forward pass on one image.
    pub macs: Option<i64>,
    /// Mean batch-1 forward milliseconds on the device the network was trained on.
    #[serde(default)]
    pub latency_ms: Option<f64>,
    /// Mean images per second of batch-64 forward passes there.
    #[serde(default)]
    pub throughput: Option<f64>,
    /// Mean seconds spent searching (the search itself for DARTS; sampling for random search).
    pub search_seconds: Option<f64>,
    /// Random search: the seconds its sampling was given (the source search's).
    pub budget_seconds: Option<f64>,
    /// Mean seconds spent training the final network.
    pub train_seconds: Option<f64>,
    pub test_metric_mean: Option<f64>,
    /// Sample standard deviation over the runs; None for one run.
    pub test_metric_sd: Option<f64>,
    /// What the training augmented with: "crop (pad 4), flips" or "none".
    #[serde(default)]
    pub trained_with: Option<String>,
    /// Why each run's training stopped: "plateau, kept epoch 14 of 22".
    #[serde(default)]
    pub stopped: Vec<String>,
}

/// A search (or its seed group) next to its retrained cells and the baselines, measured the
/// same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub run: i64,
    /// The searches compared: the run's seed group, or the run alone.
    pub searches: Vec<i64>,
    pub metric: String,
    pub higher_is_better: bool,
    /// How the DARTS rows were searched: "strategy pc-darts, regulariser beta, selection
    /// perturbation".
    #[serde(default)]
    pub searched_with: String,
    pub rows: Vec<ComparisonRow>,
    /// Whether the search won: the derived network against every other by a paired bootstrap
    /// on the same test images; None before anything was scored beside it.
    #[serde(default)]
    pub verdict: Option<StudyVerdict>,
}

/// The derived network against one other network of a study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictRow {
    pub method: String,
    /// Derived minus other, in the test metric (mean over the seeds).
    pub difference: f64,
    /// The 95% percentile interval of the difference.
    pub low: f64,
    pub high: f64,
    pub seeds: usize,
    /// `better`, `tie` or `worse` (of the derived network).
    pub verdict: String,
}

/// A study's verdict (engine `verdict::study::StudyVerdict`, as `comparison.json` has it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyVerdict {
    pub derived: String,
    pub picked_by: String,
    pub against: Vec<VerdictRow>,
    pub sentence: String,
    /// The searches whose study it is (the seed group).
    #[serde(default)]
    pub searches: Vec<i64>,
}

/// A device a search can run on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceChoice {
    /// The config value: `auto`, `cpu`, `cuda:0`, ...
    pub value: String,
    pub label: String,
}

/// What the new-search form offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchForm {
    pub datasets: Vec<DatasetRow>,
    /// (preset name, its config as a JSON object text).
    pub presets: Vec<(String, String)>,
    pub primitives: Vec<String>,
    pub devices: Vec<DeviceChoice>,
}

/// A bad field (`""` for the request as a whole) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

/// The answer to starting a run: its id, or why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Started {
    Run(i64),
    Invalid(Vec<FieldMessage>),
}

/// What `/api/estimate` measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateFigures {
    pub weights: i64,
    pub memory_bytes: u64,
    #[serde(with = "crate::live::nan_as_null")]
    pub seconds_per_epoch: f64,
    pub steps_per_epoch: u64,
    pub device: String,
    pub fits: Option<bool>,
    pub reason: Option<String>,
    /// ProxylessNAS: the fastest and slowest network of the space, batch-1 ms on the device.
    #[serde(default)]
    pub latency_ms: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Estimated {
    Figures(EstimateFigures),
    Invalid(Vec<FieldMessage>),
}
