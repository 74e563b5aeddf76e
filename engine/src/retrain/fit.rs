//! The training loop every trained network shares (a retrained cell, a ResNet, a random-search
//! candidate): SGD with a cosine learning rate, the auxiliary head, drop path growing linearly,
//! augmentation, gradient clipping; then predictions in evaluation mode.
use super::augment::Augment;
use super::config::TrainConfig;
use super::net::{Architecture, Net};
use super::stopping::{restore, snapshot, stop_message};
pub use super::stopping::{split_holdout, BestEpoch, StopReason, Stopped};
use crate::config::WOptimizer;
use crate::data::{Dataset, Stats, Task};
use crate::events::{peak_rss_bytes, Event, LogLevel, RunStatus};
use crate::network::NetShape;
use crate::nn::Mode;
use crate::optim::{clip_grad_norm, cosine_lr, Adam, Sgd, WeightOptimizer};
use crate::rng::Rng;
use crate::runlog::EventLog;
use crate::scoring::metric_of;
use crate::search::searcher::Loss;
use crate::search::SearchError;
use std::sync::atomic::{AtomicBool, Ordering};
use tch::nn::VarStore;
use tch::{Device, Tensor};

/// A trained network with its weights and what its inputs were standardised with.
pub struct Fitted {
    pub vs: VarStore,
    pub net: Net,
    /// Trainable weights without the auxiliary head, as DARTS counts them
    /// (utils.count_parameters_in_MB): the head is a training aid no exported model keeps.
    pub params: i64,
    pub stats: Stats,
    /// How the training ended and which epoch it kept.
    pub stopped: Stopped,
    /// Samples trained on (the rest of `train` was held out).
    pub fitted_samples: usize,
}

/// Where a fit reports: the run's event log, and whether its steps and epochs are shown (a
/// random-search candidate only reports its score).
pub struct Report<'l, 'a> {
    pub log: &'l mut EventLog<'a>,
    pub quiet: bool,
    pub cancel: &'l AtomicBool,
}

/// The augmentation the config asks for on `data`'s images of `h` x `w`: flips and quarter
/// turns as the dataset's symmetry allows (`flip` true forces horizontal flips, false rules out
/// both), random crops for classification.
pub fn augmentation(cfg: &TrainConfig, data: &Dataset, h: i64) -> Augment {
    let natural = data.task == Task::Classification;
    let (flip, rot90) = match cfg.flip {
        None => data.symmetry.moves(),
        Some(true) => (true, data.symmetry.moves().1),
        Some(false) => (false, false),
    };
    let pad = cfg
        .crop_padding
        .unwrap_or(if natural { 0.125 } else { 0.0 });
    Augment {
        flip,
        rot90,
        pad: (pad * h as f64).round() as i64,
        cutout: (cfg.cutout * h as f64).round() as i64,
    }
}

/// A new network for `arch` on `data`'s images, seeded by the config.
pub fn build(
    data: &Dataset,
    arch: &Architecture,
    cfg: &TrainConfig,
    device: Device,
) -> (VarStore, Net, i64) {
    let (_, h, w) = data.image_shape();
    let shape = NetShape::of(data, cfg.init_channels, cfg.layers);
    let vs = VarStore::new(device);
    let net = crate::search::initialise(Some(cfg.seed), || {
        Net::new(&vs.root(), arch, &shape, (h, w), cfg.auxiliary_weight > 0.0)
    });
    let params: i64 = vs
        .variables()
        .iter()
        .filter(|(name, t)| t.requires_grad() && !name.starts_with("auxiliary_head"))
        .map(|(_, t)| t.numel() as i64)
        .sum();
    (vs, net, params)
}

/// Steps in one epoch over `samples` with the config's batch and step cap.
pub fn steps_per_epoch(cfg: &TrainConfig, samples: usize) -> usize {
    let all = samples.div_ceil(cfg.batch_size.max(1));
    cfg.max_steps_per_epoch.map_or(all, |m| m.min(all))
}

/// Trains `arch` on the samples `train` (a pruned network from its supernet's weights, a new
/// one from its seeded initialisation): the config's epochs, or as many as fit its seconds,
/// scoring the held-out share after each and stopping when it stops improving; the best
/// epoch's weights are kept.
pub fn fit(
    data: &Dataset,
    arch: &Architecture,
    cfg: &TrainConfig,
    train: &[i64],
    device: Device,
    report: &mut Report,
) -> Result<Fitted, SearchError> {
    let loss =
        Loss::resolve(crate::config::LossKind::Auto, data.task).map_err(SearchError::Data)?;
    let (fitted, held) = split_holdout(train, cfg);
    let stats = data.stats(&fitted);
    let (_, h, _) = data.image_shape();
    let (vs, net, params) = build(data, arch, cfg, device);
    if let Architecture::Pruned(source) = arch {
        source.load(&vs)?;
    }
    let weights = vs.trainable_variables();
    let mut opt = match cfg.optimizer {
        WOptimizer::Sgd => WeightOptimizer::Sgd(Sgd::new(
            weights.len(),
            cfg.lr,
            cfg.momentum,
            cfg.weight_decay,
        )),
        WOptimizer::Adam => WeightOptimizer::Adam(Adam::new(
            weights.len(),
            cfg.lr,
            (cfg.momentum, 0.999),
            cfg.weight_decay,
        )),
    };
    let aug = augmentation(cfg, data, h);
    let b = cfg.batch_size;
    let steps = steps_per_epoch(cfg, fitted.len());
    let started = std::time::Instant::now();
    let mut planned = cfg.epochs;
    let mut keeper = BestEpoch::new(data.task, cfg.patience);
    let mut kept_weights: Option<Vec<(String, Tensor)>> = None;
    let mut plateau = false;
    let mut curve = vec![];
    let mut epoch = 0;
    let reason = loop {
        if epoch == planned {
            break if planned < cfg.epochs {
                StopReason::Budget
            } else {
                StopReason::Epochs
            };
        }
        epoch += 1;
        let epoch_start = std::time::Instant::now();
        opt.set_lr(cosine_lr(cfg.lr, cfg.lr_min, epoch - 1, planned));
        let drop_prob = cfg.drop_path * (epoch - 1) as f64 / planned as f64;
        let mut order = fitted.clone();
        Rng::derive(cfg.seed, 11, epoch as u64).shuffle(&mut order);
        let mut rng = Rng::derive(cfg.seed, 12, epoch as u64);
        let (mut loss_sum, mut metric_sum, mut seen) = (0.0, 0.0, 0usize);
        for step in 0..steps {
            if report.cancel.load(Ordering::Relaxed) {
                report.log.emit(Event::Status {
                    status: RunStatus::Cancelled,
                    message: Some(format!("cancelled in epoch {epoch}")),
                })?;
                return Err(SearchError::Cancelled);
            }
            let idx = &order[step * b..((step + 1) * b).min(order.len())];
            let (x, y) = data.batch(idx, &stats, device);
            let x = aug.apply(&x, &mut rng);
            let (logits, aux) = net.forward(&x, Mode::Train, drop_prob);
            let mut total = loss.compute(&logits, &y);
            if let Some(aux) = aux {
                total = total + loss.compute(&aux, &y) * cfg.auxiliary_weight;
            }
            let l = total.double_value(&[]);
            if !l.is_finite() {
                return Err(SearchError::Diverged {
                    epoch,
                    step: step + 1,
                    loss: l,
                });
            }
            let mut grads = Tensor::run_backward(&[&total], &weights, false, false);
            clip_grad_norm(&mut grads, cfg.grad_clip);
            opt.step(&weights, &grads);
            loss_sum += l * idx.len() as f64;
            metric_sum += metric_of(
                data.task,
                &logits.detach().to_device(Device::Cpu),
                &y.to_device(Device::Cpu),
                &stats,
                data.names.len(),
            ) * idx.len() as f64;
            seen += idx.len();
            if !report.quiet {
                report.log.emit(Event::Step {
                    epoch,
                    step: step + 1,
                    steps,
                    train_loss: l,
                })?;
            }
        }
        // The held-out share, in evaluation mode as the test split will be scored.
        let (val_loss, val_metric) = if held.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            let (out, y) = predict(&net, data, &held, &stats, device, b.max(64));
            let l = tch::no_grad(|| loss.compute(&out, &y).double_value(&[]));
            (l, metric_of(data.task, &out, &y, &stats, data.names.len()))
        };
        if !held.is_empty() {
            curve.push(val_metric);
            let (improved, stop) = keeper.observe(epoch, val_metric);
            if improved {
                kept_weights = Some(snapshot(&vs));
            }
            plateau = stop;
        }
        let seconds = epoch_start.elapsed().as_secs_f64();
        if epoch <= 2 {
            let elapsed = started.elapsed().as_secs_f64();
            planned = crate::budget::plan_epochs(cfg.seconds, cfg.epochs, epoch, elapsed, seconds);
        }
        if !report.quiet {
            report.log.emit(Event::Epoch {
                epoch,
                epochs: planned,
                train_loss: loss_sum / seen.max(1) as f64,
                train_metric: metric_sum / seen.max(1) as f64,
                // The held-out share (NaN without one); the test split is scored once, at the end.
                val_loss,
                val_metric,
                seconds,
                memory_bytes: peak_rss_bytes(),
            })?;
        }
        if plateau {
            break StopReason::Plateau;
        }
        // The plan was made on the first epoch: stop before an epoch that would pass the
        // seconds by more than half an epoch.
        if let Some(limit) = cfg.seconds {
            let per_epoch = started.elapsed().as_secs_f64() / epoch as f64;
            if epoch < planned
                && started.elapsed().as_secs_f64() + per_epoch > limit + per_epoch / 2.0
            {
                break StopReason::Budget;
            }
        }
    };
    let (kept_epoch, holdout_metric) = match (keeper.best, kept_weights) {
        (Some((e, m)), Some(saved)) => {
            if e != epoch {
                restore(&vs, &saved);
            }
            (e, Some(m))
        }
        _ => (epoch, None),
    };
    let stopped = Stopped {
        reason,
        epochs_run: epoch,
        planned_epochs: planned,
        kept_epoch,
        holdout_metric,
        holdout_samples: held.len(),
        holdout_curve: curve,
        message: stop_message(
            reason,
            epoch,
            planned,
            kept_epoch,
            cfg,
            data.task,
            holdout_metric,
        ),
    };
    if !report.quiet {
        report
            .log
            .emit(Event::log(LogLevel::Info, stopped.message.clone()))?;
    }
    Ok(Fitted {
        vs,
        net,
        params,
        stats,
        stopped,
        fitted_samples: fitted.len(),
    })
}

/// Recomputes the running batch-norm statistics over the first `samples` of `indices` as a
/// cumulative average, without gradients. After a few steps at momentum 0.1 they still lean
/// towards their initial 0 and 1, so a briefly trained network scored in evaluation mode is
/// judged by stale statistics (random search's rungs and every final network: README, "Random
/// search's ranking" and "What was tried").
pub fn recalibrate(
    net: &Net,
    data: &Dataset,
    indices: &[i64],
    stats: &Stats,
    device: Device,
    batch: usize,
    samples: usize,
) {
    let _guard = tch::no_grad_guard();
    let sample = calibration_sample(indices, samples);
    let used = &sample[..];
    let batch = batch.clamp(2, used.len().max(2));
    // Whole batches only: a last batch of one sample has no batch variance.
    for (k, chunk) in used.chunks(batch).filter(|c| c.len() > 1).enumerate() {
        let (x, _) = data.batch(chunk, stats, device);
        let _ = net.forward(&x, Mode::Calibrate(k as u32 + 1), 0.0);
    }
}

/// `samples` of `indices` drawn at random (a fixed seed), in no particular class order: files
/// often store their images sorted by class (the shared MNIST subset starts with 1,001 zeros in
/// its first 1,024), and statistics recomputed on the first samples in file order described
/// one or two classes only (MNIST test accuracy 0.85 where the held-out part scored 0.98).
pub fn calibration_sample(indices: &[i64], samples: usize) -> Vec<i64> {
    let mut order = indices.to_vec();
    Rng::derive(0, 14, 0).shuffle(&mut order);
    order.truncate(samples);
    order
}

/// The network's outputs and the targets on `indices`, in evaluation mode, on the CPU.
pub fn predict(
    net: &Net,
    data: &Dataset,
    indices: &[i64],
    stats: &Stats,
    device: Device,
    batch: usize,
) -> (Tensor, Tensor) {
    let _guard = tch::no_grad_guard();
    let (mut outs, mut ys) = (vec![], vec![]);
    for chunk in indices.chunks(batch.max(1)) {
        let (x, y) = data.batch(chunk, stats, device);
        outs.push(net.forward(&x, Mode::Eval, 0.0).0.to_device(Device::Cpu));
        ys.push(y.to_device(Device::Cpu));
    }
    (Tensor::cat(&outs, 0), Tensor::cat(&ys, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Statistics are recomputed on samples of every class even where the file sorts them.
    #[test]
    fn calibration_draws_across_a_sorted_file() {
        // 10 classes of 1,000 in file order: the first 1,024 are nearly all class 0.
        let sample = calibration_sample(&(0..10_000).collect::<Vec<i64>>(), 1024);
        let mut classes = [0usize; 10];
        for i in &sample {
            classes[(*i / 1000) as usize] += 1;
        }
        assert!(
            classes.iter().all(|&c| (60..150).contains(&c)),
            "{classes:?}"
        );
    }
}
