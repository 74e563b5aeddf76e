//! A whole DARTS search: data parts, the epoch loop, events, checkpoints and result files.
//!
//! Files in the run folder: `config.json` (the resolved config), `source.json` (the data path),
//! `events.jsonl` (one event per line with `seq`), `checkpoint/`, and at the end
//! `genotype.json`, `alphas.json` and `result.json`.
use crate::checkpoint::{self, CheckpointError, Progress};
use crate::config::SearchConfig;
use crate::data::{Dataset, Stats, Task};
use crate::events::{peak_rss_bytes, Event, LogLevel, ParamFree, RunStatus};
use crate::genotype::Genotype;
use crate::network::NetShape;
use crate::optim::cosine_lr;
use crate::rng::Rng;
pub use crate::runlog::{write_json, EventLog};
use crate::scoring::{evaluate, metric_name, metric_of};
use crate::searcher::{Loss, Searcher};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;
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
    #[error("training diverged at epoch {epoch}, step {step} (loss {loss}); lower w_lr, or use the default preset (Adam)")]
    Diverged {
        epoch: usize,
        step: usize,
        loss: f64,
    },
    #[error("cancelled")]
    Cancelled,
}

static SEEDED_INIT: Mutex<()> = Mutex::new(());

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

/// The DARTS rule with the config's skip cap.
fn discretise(normal: &[Vec<f32>], reduce: &[Vec<f32>], cfg: &SearchConfig) -> Genotype {
    Genotype::from_weights(
        normal,
        reduce,
        &cfg.primitives,
        cfg.nodes,
        cfg.max_skip_connects,
    )
}

fn better(task: Task, a: f64, b: f64) -> bool {
    match task {
        Task::Classification => a > b,
        Task::Regression => a < b,
    }
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

/// Runs (or resumes, when `out` holds a checkpoint) a search and writes its files into `out`.
pub fn run(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &Path,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<SearchResult, SearchError> {
    let errors = cfg.validate();
    if !errors.is_empty() {
        return Err(SearchError::Config(errors));
    }
    let device = config_device(&cfg.device)?;
    let loss = Loss::resolve(cfg.loss, data.task).map_err(|m| {
        SearchError::Config(vec![crate::config::FieldError {
            field: "loss".into(),
            message: m,
        }])
    })?;
    std::fs::create_dir_all(out).map_err(|source| SearchError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    write_json(&out.join("config.json"), cfg)?;
    let mut log = EventLog::open(out, listener)?;
    log.emit(Event::Status {
        status: RunStatus::Running,
        message: None,
    })?;

    let parts = parts(data, cfg)?;
    let (c, h, w) = data.image_shape();
    let shape = NetShape::of(data, cfg.init_channels, cfg.layers);
    let mut searcher = {
        // tch's generator is global to the process: hold the lock from seeding to the last draw
        // of the initialisation so concurrent searches in one process stay reproducible.
        let _guard = SEEDED_INIT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        tch::manual_seed(cfg.seed as i64);
        Searcher::new(&shape, cfg, loss, device)
    };
    let n_weights = crate::count_weights(&searcher.weights_vs);
    let mut progress = match checkpoint::find(out) {
        Some(dir) => {
            let p = checkpoint::load(&dir, &mut searcher)?;
            log.emit(Event::log(
                LogLevel::Info,
                format!("resumed from the checkpoint of epoch {}", p.epoch),
            ))?;
            p
        }
        None => Progress::default(),
    };
    log.emit(Event::log(
        LogLevel::Info,
        format!(
            "{}: {} samples of {c}x{h}x{w}, {} for weights, {} for architecture; supernet of {n_weights} weights on {}",
            data.name,
            data.len(),
            parts.weights.len(),
            parts.arch.len(),
            crate::device::describe(device)
        ),
    ))?;

    let started = Instant::now();
    let b = cfg.batch_size;
    let steps_all = parts
        .weights
        .len()
        .div_ceil(b)
        .min(parts.arch.len().div_ceil(b));
    let steps = cfg
        .max_steps_per_epoch
        .map_or(steps_all, |m| m.min(steps_all));
    for epoch in progress.epoch + 1..=cfg.epochs {
        let epoch_start = Instant::now();
        searcher
            .w_opt
            .set_lr(cosine_lr(cfg.w_lr, cfg.w_lr_min, epoch - 1, cfg.epochs));
        let (mut w_order, mut a_order) = (parts.weights.clone(), parts.arch.clone());
        Rng::derive(cfg.seed, 1, epoch as u64).shuffle(&mut w_order);
        Rng::derive(cfg.seed, 2, epoch as u64).shuffle(&mut a_order);
        let (mut loss_sum, mut metric_sum, mut seen) = (0.0, 0.0, 0usize);
        let mut last_step_event = Instant::now();
        for step in 0..steps {
            if cancel.load(Ordering::Relaxed) {
                log.emit(Event::Status {
                    status: RunStatus::Cancelled,
                    message: Some(format!("cancelled in epoch {epoch}")),
                })?;
                return Err(SearchError::Cancelled);
            }
            let wb = &w_order[step * b..((step + 1) * b).min(w_order.len())];
            let ab = &a_order[step * b..((step + 1) * b).min(a_order.len())];
            let (xt, yt) = data.batch(wb, &parts.stats, device);
            let (xv, yv) = data.batch(ab, &parts.stats, device);
            searcher.alpha_step((&xt, &yt), (&xv, &yv), None);
            let (l, out) = searcher.weight_step(&xt, &yt);
            if !l.is_finite() {
                return Err(SearchError::Diverged {
                    epoch,
                    step: step + 1,
                    loss: l,
                });
            }
            loss_sum += l * wb.len() as f64;
            metric_sum += metric_of(
                data.task,
                &out.to_device(Device::Cpu),
                &yt.to_device(Device::Cpu),
                &parts.stats,
                data.names.len(),
            ) * wb.len() as f64;
            seen += wb.len();
            if step == 0 || last_step_event.elapsed().as_secs_f64() >= 0.5 || step + 1 == steps {
                log.emit(Event::Step {
                    epoch,
                    step: step + 1,
                    steps,
                    train_loss: l,
                })?;
                last_step_event = Instant::now();
            }
        }
        let val = evaluate(&searcher, data, &parts.arch, &parts.stats, device, 2 * b);
        let val_metric = val
            .metrics
            .get(metric_name(data.task))
            .copied()
            .unwrap_or(f64::NAN);
        let (normal, reduce) = searcher.alphas.softmaxed();
        let genotype = discretise(&normal, &reduce, cfg);
        let uncapped = Genotype::from_weights(&normal, &reduce, &cfg.primitives, cfg.nodes, None);
        let (pf_normal, pf_reduce) = genotype.param_free();
        log.emit(Event::Alphas {
            epoch,
            primitives: cfg.primitives.clone(),
            normal,
            reduce,
        })?;
        log.emit(Event::Genotype {
            epoch,
            genotype,
            param_free: ParamFree {
                normal: pf_normal,
                reduce: pf_reduce,
            },
        })?;
        let raw_skips = uncapped
            .normal
            .iter()
            .filter(|(p, _)| *p == crate::ops::Primitive::SkipConnect)
            .count();
        if raw_skips > 2 {
            log.emit(Event::log(LogLevel::Warn, format!("the normal cell's strongest ops include {raw_skips} skip connections: the search may be collapsing into parameter-free cells")))?;
        }
        let epoch_event = Event::Epoch {
            epoch,
            epochs: cfg.epochs,
            train_loss: loss_sum / seen.max(1) as f64,
            train_metric: metric_sum / seen.max(1) as f64,
            val_loss: val.loss,
            val_metric,
            seconds: epoch_start.elapsed().as_secs_f64(),
            memory_bytes: peak_rss_bytes(),
        };
        progress.epoch = epoch;
        if progress
            .best_val_metric
            .is_none_or(|best| better(data.task, val_metric, best))
        {
            progress.best_val_metric = Some(val_metric);
        }
        progress.val_metrics = val.metrics;
        progress.history.push(epoch_event.clone());
        let mut saved = progress.clone();
        saved.seconds += started.elapsed().as_secs_f64();
        checkpoint::save(out, &searcher, &saved)?;
        log.emit(epoch_event)?;
    }

    let (normal, reduce) = searcher.alphas.softmaxed();
    let genotype = discretise(&normal, &reduce, cfg);
    let final_val = match progress.history.last() {
        Some(Event::Epoch { val_metric, .. }) => *val_metric,
        _ => f64::NAN,
    };
    let test = (!data.splits.test.is_empty()).then(|| {
        evaluate(
            &searcher,
            data,
            &data.splits.test,
            &parts.stats,
            device,
            b.max(64),
        )
    });
    // Multiply-adds of the supernet on one image: every op of every edge runs.
    let macs = crate::nn::count_macs(|| {
        let _ = searcher.predict(&tch::Tensor::zeros(
            [1, c, h, w],
            (tch::Kind::Float, device),
        ));
    });
    let result = SearchResult {
        macs: Some(macs),
        supernet_test_metric: test
            .as_ref()
            .and_then(|t| t.metrics.get(metric_name(data.task)).copied()),
        supernet_test_metrics: test.map(|t| t.metrics).unwrap_or_default(),
        genotype: genotype.clone(),
        metric: metric_name(data.task).into(),
        val_metrics: progress.val_metrics.clone(),
        higher_is_better: data.task == Task::Classification,
        best_val_metric: progress.best_val_metric.unwrap_or(f64::NAN),
        final_val_metric: final_val,
        epochs: cfg.epochs,
        seconds: progress.seconds + started.elapsed().as_secs_f64(),
        weights: n_weights,
        device: crate::device::describe(device),
        dartboard_version: env!("CARGO_PKG_VERSION").into(),
        pytorch_version: option_env!("DARTBOARD_TORCH_VERSION")
            .unwrap_or("unknown")
            .into(),
    };
    write_json(&out.join("genotype.json"), &genotype)?;
    write_json(
        &out.join("alphas.json"),
        &serde_json::json!({"primitives": cfg.primitives, "normal": normal, "reduce": reduce}),
    )?;
    crate::runlog::succeed(&mut log, out, &result)?;
    Ok(result)
}
