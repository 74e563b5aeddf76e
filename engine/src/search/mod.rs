//! Architecture search: the supernet and its cells, the strategies that weigh their edges, the
//! regularisers of the architecture step, the bilevel steps, checkpoints and the epoch loop.
//!
//! Files in the run folder: `config.json` (the resolved config), `source.json` (the data path),
//! `events.jsonl` (one event per line with `seq`), `checkpoint/`, and at the end
//! `genotype.json`, `alphas.json` and `result.json`.
pub mod architect;
pub mod cell;
pub mod checkpoint;
pub mod pruned;
pub mod regularizer;
mod run;
pub mod searcher;
pub mod selection;
pub mod strategy;
pub mod supernet;

pub use crate::runlog::{write_json, EventLog};
pub use run::{run, validation_sample};

use crate::config::SearchConfig;
use crate::data::{Dataset, Stats};
use crate::genotype::Genotype;
use crate::rng::Rng;
use checkpoint::CheckpointError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tch::Device;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("invalid config: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Config(Vec<crate::config::FieldError>),
    #[error("{0}")]
    Data(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("training diverged at epoch {epoch}, step {step} (loss {loss:.4e}); lower w_lr, or use the default preset (Adam)")]
    Diverged {
        epoch: usize,
        step: usize,
        loss: f64,
    },
    #[error("cancelled")]
    Cancelled,
}

/// What a search found: a cell (DARTS and its variants) or ProxylessNAS's layers. In JSON,
/// the result itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    Cell(SearchResult),
    Layers(crate::proxyless::result::ProxylessResult),
}

/// Runs (or resumes) the search `cfg.strategy` names: a cell search (`run`), or ProxylessNAS's
/// (`crate::proxyless::run::run`, with the devices' latency tables kept under `tables`).
pub fn run_any(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &std::path::Path,
    tables: Option<&std::path::Path>,
    cancel: &std::sync::atomic::AtomicBool,
    listener: &mut dyn FnMut(u64, &crate::events::Event),
) -> Result<Outcome, SearchError> {
    if cfg.strategy.searches_cells() {
        run(data, cfg, out, cancel, listener).map(Outcome::Cell)
    } else {
        crate::proxyless::run::run(data, cfg, out, tables, cancel, listener).map(Outcome::Layers)
    }
}

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

/// tch's random generator is global to the process: whatever initialises weights holds this
/// (`initialise`), so a search's draws from its seed to the last of its initialisation are its
/// own and concurrent work in one process stays reproducible.
static SEEDED_INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `init` (which builds weights from tch's global generator) alone among initialisations
/// of this process, after seeding the generator with `seed` when one is given.
/// A validation loss above this has exploded even where batch norm kept every training step
/// finite (chance is ln K for K classes, and 1 for standardized regression targets): with SGD at
/// w_lr 10 the supernet's validation loss reaches 1e8 to 1e11 within an epoch.
pub const EXPLODED_LOSS: f64 = 1e6;

/// Whether a loss means the search diverged: not finite, or exploded.
pub fn exploded(loss: f64) -> bool {
    !loss.is_finite() || loss > EXPLODED_LOSS
}

pub fn initialise<T>(seed: Option<u64>, init: impl FnOnce() -> T) -> T {
    let _guard = SEEDED_INIT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(seed) = seed {
        tch::manual_seed(seed as i64);
    }
    init()
}

/// Which samples train the weights, which the architecture; normalisation statistics.
#[derive(Debug, Clone)]
pub struct Parts {
    pub weights: Vec<i64>,
    pub arch: Vec<i64>,
    pub stats: Stats,
}

/// The dataset's own validation split when it has one, else `arch_fraction` of train (shuffled
/// with the run's seed). The test split is never used.
pub fn parts(data: &Dataset, cfg: &SearchConfig) -> Result<Parts, SearchError> {
    let (weights, arch) = if data.splits.val.is_empty() {
        let mut train = data.splits.train.clone();
        Rng::derive(cfg.seed, 0, 0).shuffle(&mut train);
        let n_arch = ((train.len() as f64 * cfg.arch_fraction).round() as usize)
            .clamp(1, train.len().saturating_sub(1));
        let arch = train.split_off(train.len() - n_arch);
        (train, arch)
    } else {
        (data.splits.train.clone(), data.splits.val.clone())
    };
    if weights.is_empty() || arch.is_empty() {
        return Err(SearchError::Data(format!(
            "{}: too few training samples to search ({})",
            data.name,
            data.splits.train.len()
        )));
    }
    let all: Vec<i64> = weights.iter().chain(&arch).copied().collect();
    let stats = data.stats(&all);
    Ok(Parts {
        weights,
        arch,
        stats,
    })
}

/// What every search starts with: its device and loss from the config, the run folder with
/// `config.json`, and its event log with the run marked running.
pub(crate) fn begin<'a>(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &std::path::Path,
    listener: &'a mut dyn FnMut(u64, &crate::events::Event),
) -> Result<(Device, searcher::Loss, EventLog<'a>), SearchError> {
    let device = config_device(&cfg.device)?;
    let loss = searcher::Loss::resolve(cfg.loss, data.task)
        .map_err(|m| SearchError::Config(vec![crate::config::FieldError::new("loss", m)]))?;
    std::fs::create_dir_all(out).map_err(|source| SearchError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    write_json(&out.join("config.json"), cfg)?;
    // What the found cell was searched on: a transfer to other data says what it rebuilt.
    write_json(
        &out.join(crate::data::about::FILE),
        &crate::data::about::About::of(data),
    )?;
    let mut log = EventLog::open(out, listener)?;
    log.emit(crate::events::Event::Status {
        status: crate::events::RunStatus::Running,
        message: None,
    })?;
    Ok((device, loss, log))
}

/// The progress of the checkpoint in `out`, loaded into `searcher` (and said in the log), or a
/// fresh start.
pub(crate) fn resume(
    out: &std::path::Path,
    searcher: &mut dyn checkpoint::Resumable,
    log: &mut EventLog,
) -> Result<checkpoint::Progress, SearchError> {
    Ok(match checkpoint::find(out) {
        Some(dir) => {
            let p = checkpoint::load(&dir, searcher)?;
            log.emit(crate::events::Event::log(
                crate::events::LogLevel::Info,
                format!("resumed from the checkpoint of epoch {}", p.epoch),
            ))?;
            p
        }
        None => checkpoint::Progress::default(),
    })
}

/// The config's `device` key as a device, or the config error naming it.
pub(crate) fn config_device(text: &str) -> Result<Device, SearchError> {
    crate::device::parse(text).map_err(|m| {
        SearchError::Config(vec![crate::config::FieldError {
            field: "device".into(),
            message: m,
        }])
    })
}
