//! The epoch bookkeeping every search method shares (the DARTS family, ENAS, ProxylessNAS):
//! the steps an epoch takes and the order of its samples, the training pass with its cancel
//! check, divergence check, running tallies and step events, and the end of an epoch (the
//! `epoch` event, the best metric, the checkpoint). A method's own loop says what one step does
//! and what it scores; this says what every epoch records.
use super::checkpoint::{self, Progress, Resumable};
use super::error::SearchError;
use super::session::Parts;
use crate::config::SearchConfig;
use crate::data::Dataset;
use crate::events::{peak_rss_bytes, Event, RunStatus};
use crate::rng::Rng;
use crate::runlog::EventLog;
use crate::scoring::{metric_name, metric_of, Score};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tch::{Device, Tensor};

/// Seconds between two step events of one epoch (its first and last step always have one).
const STEP_EVENT_SECONDS: f64 = 0.5;

/// Steps in an epoch: the weight part's batches (and, where each step also takes a batch of
/// the architecture part, no more than that part's), capped by `max_steps_per_epoch`.
pub fn steps(parts: &Parts, cfg: &SearchConfig, paired: bool) -> usize {
    let b = cfg.batch_size;
    let mut all = parts.weights.len().div_ceil(b);
    if paired {
        all = all.min(parts.arch.len().div_ceil(b));
    }
    cfg.max_steps_per_epoch.map_or(all, |m| m.min(all))
}

/// The epoch's order of the weight part and of the architecture part: derived from the seed
/// and the epoch, so a resumed run takes the same batches.
pub fn orders(parts: &Parts, seed: u64, epoch: usize) -> (Vec<i64>, Vec<i64>) {
    let (mut w, mut a) = (parts.weights.clone(), parts.arch.clone());
    Rng::derive(seed, 1, epoch as u64).shuffle(&mut w);
    Rng::derive(seed, 2, epoch as u64).shuffle(&mut a);
    (w, a)
}

/// Batch `step` of `order` in batches of `b`.
pub fn batch_of(order: &[i64], step: usize, b: usize) -> &[i64] {
    &order[(step * b).min(order.len())..((step + 1) * b).min(order.len())]
}

/// What one training step reports: the samples it took, its loss, and the network's outputs
/// with their targets (for the running metric).
pub struct Stepped {
    pub samples: usize,
    pub loss: f64,
    pub outputs: Tensor,
    pub targets: Tensor,
}

/// The training pass's mean loss and metric over the samples it took.
#[derive(Debug, Clone, Copy)]
pub struct Trained {
    pub loss: f64,
    pub metric: f64,
}

/// One epoch's training pass: `steps` calls of `step` (given the step's index), stopped by
/// `cancel` (the `cancelled` status, then `SearchError::Cancelled`) or by a loss that is not
/// finite (`SearchError::Diverged`), with a step event at the first and last step and at most
/// every half second between.
pub fn train(
    log: &mut EventLog,
    data: &Dataset,
    parts: &Parts,
    (epoch, steps): (usize, usize),
    cancel: &AtomicBool,
    mut step: impl FnMut(usize) -> Stepped,
) -> Result<Trained, SearchError> {
    let (mut loss_sum, mut metric_sum, mut seen) = (0.0, 0.0, 0usize);
    let mut last_event = Instant::now();
    for k in 0..steps {
        if cancel.load(Ordering::Relaxed) {
            log.emit(Event::Status {
                status: RunStatus::Cancelled,
                message: Some(format!("cancelled in epoch {epoch}")),
            })?;
            return Err(SearchError::Cancelled);
        }
        let s = step(k);
        if !s.loss.is_finite() {
            return Err(SearchError::Diverged {
                epoch,
                step: k + 1,
                loss: s.loss,
            });
        }
        loss_sum += s.loss * s.samples as f64;
        metric_sum += metric_of(
            data.task,
            &s.outputs.to_device(Device::Cpu),
            &s.targets.to_device(Device::Cpu),
            &parts.stats,
            data.names.len(),
        ) * s.samples as f64;
        seen += s.samples;
        if k == 0 || last_event.elapsed().as_secs_f64() >= STEP_EVENT_SECONDS || k + 1 == steps {
            log.emit(Event::Step {
                epoch,
                step: k + 1,
                steps,
                train_loss: s.loss,
            })?;
            last_event = Instant::now();
        }
    }
    Ok(Trained {
        loss: loss_sum / seen.max(1) as f64,
        metric: metric_sum / seen.max(1) as f64,
    })
}

/// The headline metric of a score (NaN when it has none).
pub fn headline(data: &Dataset, score: &Score) -> f64 {
    score
        .metrics
        .get(metric_name(data.task))
        .copied()
        .unwrap_or(f64::NAN)
}

/// An epoch's figures, as its `epoch` event carries them.
pub struct EpochEnd {
    pub epoch: usize,
    pub epochs: usize,
    pub trained: Trained,
    pub val: Score,
    /// When the epoch started.
    pub started: Instant,
}

/// The end of an epoch: the progress moved on (its epoch, the best validation metric, the
/// validation metrics, the epoch event in its history), the checkpoint saved with the run's
/// seconds so far (`run_started`: when this session of the run started), then the `epoch`
/// event.
pub fn finish(
    log: &mut EventLog,
    out: &Path,
    data: &Dataset,
    searcher: &dyn Resumable,
    progress: &mut Progress,
    end: EpochEnd,
    run_started: Instant,
) -> Result<(), SearchError> {
    let val_metric = headline(data, &end.val);
    let event = Event::Epoch {
        epoch: end.epoch,
        epochs: end.epochs,
        train_loss: end.trained.loss,
        train_metric: end.trained.metric,
        val_loss: end.val.loss,
        val_metric,
        seconds: end.started.elapsed().as_secs_f64(),
        memory_bytes: peak_rss_bytes(),
    };
    progress.epoch = end.epoch;
    if progress
        .best_val_metric
        .is_none_or(|best| data.task.better(val_metric, best))
    {
        progress.best_val_metric = Some(val_metric);
    }
    progress.val_metrics = end.val.metrics;
    progress.history.push(event.clone());
    let mut saved = progress.clone();
    saved.seconds += run_started.elapsed().as_secs_f64();
    checkpoint::save(out, searcher, &saved)?;
    log.emit(event)
}

/// The validation metric of the last finished epoch (NaN before the first).
pub fn last_val_metric(progress: &Progress) -> f64 {
    match progress.history.last() {
        Some(Event::Epoch { val_metric, .. }) => *val_metric,
        _ => f64::NAN,
    }
}

/// The log line and `network` event that open a search's epochs: the data, how it is split
/// between weights and `arch_part` (the architecture, the controller), and the network it
/// trains (`network`, which says its `weights`).
pub fn announce(
    log: &mut EventLog,
    data: &Dataset,
    parts: &Parts,
    arch_part: &str,
    network: &str,
    weights: i64,
    device: Device,
) -> Result<(), SearchError> {
    let (c, h, w) = data.image_shape();
    log.emit(Event::log(
        crate::events::LogLevel::Info,
        format!(
            "{}: {} samples of {c}x{h}x{w}, {} for weights, {} for {arch_part}; {network} on {}",
            data.name,
            data.len(),
            parts.weights.len(),
            parts.arch.len(),
            crate::device::describe(device)
        ),
    ))?;
    log.emit(Event::Network {
        weights: weights as u64,
    })
}
