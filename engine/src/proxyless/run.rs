//! The epoch loop of a ProxylessNAS search (`strategy = proxyless`): per step, a weight step on
//! a training batch through one sampled block per layer, then an architecture step on a
//! validation batch through two (the reference alternates them every 5 steps on ImageNet;
//! every step here, where a search has tens of steps an epoch). Events, checkpoints, resume and
//! cancel as a cell search's; at the end each layer's most likely block is the architecture.
//!
//! Files in the run folder: `config.json`, `events.jsonl`, `latency.json` (the milliseconds
//! the search weighed, kept for a resume), `checkpoint/`, and at the end `architecture.json`
//! and `result.json`.
use super::result::ProxylessResult;
use super::searcher::{LatencyTerm, Objective, ProxylessSearcher};
use super::space::Layout;
use super::table::{LatencyTable, TABLE_REPEATS};
use crate::config::{LatencyLoss, SearchConfig};
use crate::data::{Dataset, Task};
use crate::events::{peak_rss_bytes, Event, LogLevel, RunStatus};
use crate::optim::cosine_lr;
use crate::rng::Rng;
use crate::scoring::{metric_name, metric_of, score};
use crate::search::checkpoint;
use crate::search::searcher::weight_optimizer;
use crate::search::{initialise, parts, write_json, EventLog, SearchError};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tch::Device;

/// What the search weighed: each layer's candidates' and the fixed parts' milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weighed {
    pub device: String,
    pub threads: i64,
    pub candidate_ms: Vec<Vec<f64>>,
    pub frame_ms: f64,
}

/// The config's objective (None without a latency target).
pub fn objective(cfg: &SearchConfig) -> Option<Objective> {
    let target_ms = cfg.latency_target_ms?;
    Some(match cfg.latency_loss {
        LatencyLoss::MulLog => Objective::MulLog {
            target_ms,
            beta: cfg.latency_beta,
        },
        LatencyLoss::Add => Objective::Add {
            target_ms,
            lambda: cfg.latency_lambda,
        },
    })
}

/// The milliseconds a search weighs: the run's own `latency.json` when it resumes; else the
/// device's table under `tables` (measured where it lacks the layout's shapes, and saved back),
/// or a table measured for this run alone.
fn weighed(
    layout: &Layout,
    device: Device,
    out: &Path,
    tables: Option<&Path>,
    log: &mut EventLog,
) -> Result<Weighed, SearchError> {
    let own = out.join("latency.json");
    if let Some(w) = std::fs::read(&own)
        .ok()
        .and_then(|b| serde_json::from_slice::<Weighed>(&b).ok())
    {
        return Ok(w);
    }
    let mut table = match tables {
        Some(dir) => LatencyTable::load_or_empty(dir, device),
        None => LatencyTable::empty(device),
    };
    let started = Instant::now();
    let added = table.measure(layout, device, TABLE_REPEATS);
    if added > 0 {
        log.emit(Event::log(
            LogLevel::Info,
            format!(
                "measured {added} blocks' latency on {} in {:.1} s",
                table.device,
                started.elapsed().as_secs_f64()
            ),
        ))?;
        if let Some(dir) = tables {
            // A shared table that cannot be written is measured again next time; the search
            // goes on.
            if table.save(dir, device).is_err() {
                log.emit(Event::log(
                    LogLevel::Warn,
                    "the device's latency table could not be saved for later searches",
                ))?;
            }
        }
    }
    let missing = || SearchError::Data("the latency table lacks a block it just measured".into());
    let w = Weighed {
        device: table.device.clone(),
        threads: table.threads,
        candidate_ms: table.candidate_ms(layout).ok_or_else(missing)?,
        frame_ms: table.frame_ms(layout).ok_or_else(missing)?,
    };
    write_json(&own, &w)?;
    Ok(w)
}

fn better(task: Task, a: f64, b: f64) -> bool {
    match task {
        Task::Classification => a > b,
        Task::Regression => a < b,
    }
}

/// Runs (or resumes, when `out` holds a checkpoint) a ProxylessNAS search and writes its files
/// into `out`. `tables`: where the devices' latency tables are kept between searches.
pub fn run(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &Path,
    tables: Option<&Path>,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<ProxylessResult, SearchError> {
    let errors = cfg.validate();
    if !errors.is_empty() {
        return Err(SearchError::Config(errors));
    }
    let (device, loss, mut log) = crate::search::begin(data, cfg, out, listener)?;

    let parts = parts(data, cfg)?;
    let (c, h, w) = data.image_shape();
    let outputs = crate::network::NetShape::of(data, cfg.init_channels, 1).outputs;
    let layout = Layout::new(c, (h, w), outputs, cfg.init_channels, cfg.per_stage);
    let weighed = weighed(&layout, device, out, tables, &mut log)?;
    let term = LatencyTerm {
        candidate_ms: weighed.candidate_ms.clone(),
        frame_ms: weighed.frame_ms,
        objective: objective(cfg),
    };
    let mut searcher = initialise(Some(cfg.seed), || {
        ProxylessSearcher::new(
            &layout,
            device,
            loss,
            |n| weight_optimizer(cfg, n),
            cfg.alpha_lr,
            Some(term),
            cfg.grad_clip,
        )
    });
    let n_weights = crate::count_weights(&searcher.weights_vs);
    let mut progress = crate::search::resume(out, &mut searcher, &mut log)?;
    log.emit(Event::log(
        LogLevel::Info,
        format!(
            "{}: {} samples of {c}x{h}x{w}, {} for weights, {} for architecture; ProxylessNAS supernet of {} layers and {n_weights} weights on {}",
            data.name,
            data.len(),
            parts.weights.len(),
            parts.arch.len(),
            layout.layers.len(),
            crate::device::describe(device)
        ),
    ))?;
    log.emit(Event::Network {
        weights: n_weights as u64,
    })?;

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
        let arch_learns = epoch > cfg.warmup_epochs;
        searcher
            .w_opt
            .set_lr(cosine_lr(cfg.w_lr, cfg.w_lr_min, epoch - 1, cfg.epochs));
        let (mut w_order, mut a_order) = (parts.weights.clone(), parts.arch.clone());
        Rng::derive(cfg.seed, 1, epoch as u64).shuffle(&mut w_order);
        Rng::derive(cfg.seed, 2, epoch as u64).shuffle(&mut a_order);
        // The paths drawn this epoch: the same on a resume.
        let mut paths = Rng::derive(cfg.seed, 4, epoch as u64);
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
            let (xt, yt) = data.batch(wb, &parts.stats, device);
            let (l, pred) = searcher.weight_step(&xt, &yt, &mut paths);
            if !l.is_finite() {
                return Err(SearchError::Diverged {
                    epoch,
                    step: step + 1,
                    loss: l,
                });
            }
            if arch_learns {
                let ab = &a_order[step * b..((step + 1) * b).min(a_order.len())];
                let (xv, yv) = data.batch(ab, &parts.stats, device);
                searcher.arch_step(&xv, &yv, &mut paths);
            }
            loss_sum += l * wb.len() as f64;
            metric_sum += metric_of(
                data.task,
                &pred.to_device(Device::Cpu),
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
        // The network of each layer's most likely block, on the validation part.
        let val = score(
            &|x| searcher.predict(x),
            &searcher.loss,
            data,
            &parts.arch,
            &parts.stats,
            device,
            2 * b,
        );
        let val_metric = val
            .metrics
            .get(metric_name(data.task))
            .copied()
            .unwrap_or(f64::NAN);
        log.emit(layers_event(epoch, &searcher, &layout, &weighed))?;
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

    let result = super::result::finish(
        data,
        cfg,
        &layout,
        &searcher,
        &weighed,
        &progress,
        started.elapsed().as_secs_f64(),
    );
    write_json(&out.join("architecture.json"), &result.architecture)?;
    crate::runlog::succeed(&mut log, out, &result)?;
    Ok(result)
}

/// The epoch's `layers` event: each layer's candidates and their probabilities, the expected
/// latency, and the most likely network with its predicted latency.
fn layers_event(
    epoch: usize,
    searcher: &ProxylessSearcher,
    layout: &Layout,
    weighed: &Weighed,
) -> Event {
    let chosen = searcher.choices();
    Event::Layers {
        epoch,
        candidates: layout
            .layers
            .iter()
            .map(|l| l.candidates().iter().map(|c| c.name()).collect())
            .collect(),
        probabilities: searcher
            .probabilities()
            .iter()
            .map(|p| p.iter().map(|v| *v as f32).collect())
            .collect(),
        expected_ms: searcher.expected_ms().unwrap_or(f64::NAN),
        chosen: chosen.iter().map(|c| c.name()).collect(),
        chosen_ms: weighed.predict(layout, &chosen),
    }
}
