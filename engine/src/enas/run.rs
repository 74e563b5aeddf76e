//! The epoch loop of an ENAS search (`strategy = enas`): the shared weights take a step on each
//! training batch through a cell the controller samples; then the controller takes
//! `enas_controller_steps` REINFORCE steps, each on a sampled cell's metric on a validation
//! batch (accuracy; the negative loss for regression). Each epoch reports the controller's mean
//! reward, entropy and baseline and its most likely cell; the search ends with the best of
//! `enas_samples` sampled cells on the validation part ("best of N", DARTS.md). Events,
//! checkpoints, resume and cancel as a DARTS search's; the same result files.
use super::controller::{Controller, Pick};
use super::{mixing, EnasSearcher};
use crate::config::SearchConfig;
use crate::data::{Dataset, Task};
use crate::events::{peak_rss_bytes, Event, LogLevel, ParamFree, RunStatus};
use crate::genotype::Genotype;
use crate::network::NetShape;
use crate::optim::{cosine_lr, Adam};
use crate::rng::Rng;
use crate::scoring::{evaluate_with, metric_name, metric_of};
use crate::search::checkpoint;
use crate::search::searcher::{Loss, Searcher};
use crate::search::{architect, initialise, parts, write_json};
use crate::search::{SearchError, SearchResult};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tch::nn::VarStore;
use tch::Device;

/// Validation samples each of the final N cells is scored on.
const FINAL_SAMPLES: usize = 256;

fn better(task: Task, a: f64, b: f64) -> bool {
    match task {
        Task::Classification => a > b,
        Task::Regression => a < b,
    }
}

fn genotype_event(epoch: usize, genotype: &Genotype) -> Event {
    let (normal, reduce) = genotype.param_free();
    Event::Genotype {
        epoch,
        genotype: genotype.clone(),
        param_free: ParamFree { normal, reduce },
    }
}

/// The reward of a cell's outputs on a validation batch: accuracy, or the negative loss.
fn reward(
    task: Task,
    loss: &Loss,
    out: &tch::Tensor,
    y: &tch::Tensor,
    classes: usize,
    stats: &crate::data::Stats,
) -> f64 {
    match task {
        Task::Classification => metric_of(task, out, y, stats, classes),
        Task::Regression => -loss.compute(out, y).double_value(&[]),
    }
}

/// Runs (or resumes, when `out` holds a checkpoint) an ENAS search and writes its files.
pub fn run(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &Path,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<SearchResult, SearchError> {
    let (device, loss, mut log) = crate::search::begin(data, cfg, out, listener)?;
    let parts = parts(data, cfg)?;
    let (c, h, w) = data.image_shape();
    let shape = NetShape::of(data, cfg.init_channels, cfg.layers);
    let mut s = initialise(Some(cfg.seed), || {
        let shared = Searcher::new(&shape, cfg, loss, device);
        let controller_vs = VarStore::new(device);
        let controller = Controller::new(&controller_vs.root(), &cfg.primitives, cfg.nodes);
        let n = controller_vs.trainable_variables().len();
        EnasSearcher {
            shared,
            controller,
            controller_opt: Adam::new(n, cfg.enas_controller_lr, (0.0, 0.999), 0.0),
            controller_vs,
        }
    });
    let n_weights = crate::count_weights(&s.shared.weights_vs);
    let mut progress = crate::search::resume(out, &mut s, &mut log)?;
    log.emit(Event::log(
        LogLevel::Info,
        format!(
            "{}: {} samples of {c}x{h}x{w}, {} for weights, {} for the controller; shared supernet of {n_weights} weights on {}",
            data.name,
            data.len(),
            parts.weights.len(),
            parts.arch.len(),
            crate::device::describe(device)
        ),
    ))?;
    log.emit(Event::Network {
        weights: n_weights as u64,
    })?;
    let started = Instant::now();
    let b = cfg.batch_size;
    let steps_all = parts.weights.len().div_ceil(b);
    let steps = cfg
        .max_steps_per_epoch
        .map_or(steps_all, |m| m.min(steps_all));
    let classes = data.names.len();
    let params = s.controller_vs.trainable_variables();
    for epoch in progress.epoch + 1..=cfg.epochs {
        let epoch_start = Instant::now();
        s.shared
            .w_opt
            .set_lr(cosine_lr(cfg.w_lr, cfg.w_lr_min, epoch - 1, cfg.epochs));
        let (mut w_order, mut a_order) = (parts.weights.clone(), parts.arch.clone());
        Rng::derive(cfg.seed, 1, epoch as u64).shuffle(&mut w_order);
        Rng::derive(cfg.seed, 2, epoch as u64).shuffle(&mut a_order);
        let mut cells = Rng::derive(cfg.seed, 5, epoch as u64);
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
            let cell = tch::no_grad(|| s.controller.sample(Pick::Draw(&mut cells), None));
            let mix = mixing(&cell.genotype, &cfg.primitives, cfg.nodes, device);
            let (l, pred) = s.shared.weight_step_with(&xt, &yt, &mix);
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
                &pred.to_device(Device::Cpu),
                &yt.to_device(Device::Cpu),
                &parts.stats,
                classes,
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
        // The controller's REINFORCE steps (none during the warm-up).
        let (mut rewards, mut entropies) = (vec![], vec![]);
        if epoch > cfg.warmup_epochs {
            let mut draws = Rng::derive(cfg.seed, 6, epoch as u64);
            for k in 0..cfg.enas_controller_steps {
                let from = (k * b) % a_order.len();
                let ab = &a_order[from..(from + b).min(a_order.len())];
                let (xv, yv) = data.batch(ab, &parts.stats, device);
                let cell = s.controller.sample(Pick::Draw(&mut draws), None);
                let mix = mixing(&cell.genotype, &cfg.primitives, cfg.nodes, device);
                let out = s.shared.predict_with(&xv, &mix).to_device(Device::Cpu);
                let r = reward(
                    data.task,
                    &s.shared.loss,
                    &out,
                    &yv.to_device(Device::Cpu),
                    classes,
                    &parts.stats,
                );
                // The reference's moving average, started at the first reward.
                let base = progress
                    .controller_baseline
                    .map_or(r, |b| b - (1.0 - cfg.enas_baseline_decay) * (b - r));
                progress.controller_baseline = Some(base);
                let objective =
                    -(&cell.log_prob * (r - base)) - &cell.entropy * cfg.enas_entropy_weight;
                let grads = architect::reached(&objective, &params);
                s.controller_opt.step(&params, &grads);
                rewards.push(r);
                entropies.push(cell.entropy.double_value(&[]));
            }
        }
        let likely = tch::no_grad(|| s.controller.sample(Pick::Greedy, None)).genotype;
        let mix = mixing(&likely, &cfg.primitives, cfg.nodes, device);
        let val = evaluate_with(
            &s.shared,
            Some(&mix),
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
        let mean = |v: &[f64]| {
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        log.emit(genotype_event(epoch, &likely))?;
        log.emit(Event::Controller {
            epoch,
            reward: mean(&rewards),
            entropy: mean(&entropies),
            baseline: progress.controller_baseline.unwrap_or(f64::NAN),
        })?;
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
        checkpoint::save(out, &s, &saved)?;
        log.emit(epoch_event)?;
    }

    // Best of N: sampled cells scored through the shared weights on the validation part.
    let scored = &crate::retrain::fit::calibration_sample(&parts.arch, FINAL_SAMPLES);
    let mut finals = Rng::derive(cfg.seed, 7, 0);
    let mut best: Option<(Genotype, f64)> = None;
    for _ in 0..cfg.enas_samples {
        let cell = tch::no_grad(|| s.controller.sample(Pick::Draw(&mut finals), None)).genotype;
        let mix = mixing(&cell, &cfg.primitives, cfg.nodes, device);
        let m = evaluate_with(
            &s.shared,
            Some(&mix),
            data,
            scored,
            &parts.stats,
            device,
            2 * b,
        )
        .metrics
        .get(metric_name(data.task))
        .copied()
        .unwrap_or(f64::NAN);
        if best
            .as_ref()
            .is_none_or(|(_, bm)| better(data.task, m, *bm))
        {
            best = Some((cell, m));
        }
    }
    let (genotype, best_sampled) = best.unwrap_or_else(|| {
        let g = tch::no_grad(|| s.controller.sample(Pick::Greedy, None)).genotype;
        (g, f64::NAN)
    });
    log.emit(Event::log(
        LogLevel::Info,
        format!(
            "kept the best of {} sampled cells on {} validation samples: {} {best_sampled:.4}",
            cfg.enas_samples,
            scored.len(),
            metric_name(data.task)
        ),
    ))?;
    log.emit(genotype_event(cfg.epochs, &genotype))?;
    let mix = mixing(&genotype, &cfg.primitives, cfg.nodes, device);
    let test_metrics = if data.splits.test.is_empty() {
        Default::default()
    } else {
        evaluate_with(
            &s.shared,
            Some(&mix),
            data,
            &data.splits.test,
            &parts.stats,
            device,
            b.max(64),
        )
        .metrics
    };
    let macs = crate::nn::count_macs(|| {
        let _ = s.shared.predict_with(
            &tch::Tensor::zeros([1, c, h, w], (tch::Kind::Float, device)),
            &mix,
        );
    });
    let final_val = match progress.history.last() {
        Some(Event::Epoch { val_metric, .. }) => *val_metric,
        _ => f64::NAN,
    };
    let result = SearchResult {
        macs: Some(macs),
        supernet_test_metric: test_metrics.get(metric_name(data.task)).copied(),
        supernet_test_metrics: test_metrics,
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
    crate::runlog::succeed(&mut log, out, &result)?;
    Ok(result)
}
