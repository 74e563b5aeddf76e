//! The training loop every trained network shares (a retrained cell, a ResNet, a random-search
//! candidate): SGD with a cosine learning rate, the auxiliary head, drop path growing linearly,
//! augmentation, gradient clipping; then predictions in evaluation mode.
use super::augment::Augment;
use super::config::TrainConfig;
use super::net::{Architecture, Net};
use crate::data::{Dataset, Stats, Task};
use crate::events::{peak_rss_bytes, Event, RunStatus};
use crate::network::NetShape;
use crate::nn::Mode;
use crate::optim::{clip_grad_norm, cosine_lr, Sgd};
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
}

/// Where a fit reports: the run's event log, and whether its steps and epochs are shown (a
/// random-search candidate only reports its score).
pub struct Report<'l, 'a> {
    pub log: &'l mut EventLog<'a>,
    pub quiet: bool,
    pub cancel: &'l AtomicBool,
}

/// The augmentation the config asks for on images of `h` x `w`.
pub fn augmentation(cfg: &TrainConfig, task: Task, h: i64) -> Augment {
    let natural = task == Task::Classification;
    let flip = cfg.flip.unwrap_or(natural);
    let pad = cfg
        .crop_padding
        .unwrap_or(if natural { 0.125 } else { 0.0 });
    Augment {
        flip,
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

/// Trains `arch` on the samples `train` for the config's epochs (a pruned network from its
/// supernet's weights, a new one from its seeded initialisation).
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
    let stats = data.stats(train);
    let (_, h, _) = data.image_shape();
    let (vs, net, params) = build(data, arch, cfg, device);
    if let Architecture::Pruned(source) = arch {
        source.load(&vs)?;
    }
    let weights = vs.trainable_variables();
    let mut opt = Sgd::new(weights.len(), cfg.lr, cfg.momentum, cfg.weight_decay);
    let aug = augmentation(cfg, data.task, h);
    let b = cfg.batch_size;
    let steps = steps_per_epoch(cfg, train.len());
    for epoch in 1..=cfg.epochs {
        let epoch_start = std::time::Instant::now();
        opt.lr = cosine_lr(cfg.lr, cfg.lr_min, epoch - 1, cfg.epochs);
        let drop_prob = cfg.drop_path * (epoch - 1) as f64 / cfg.epochs as f64;
        let mut order = train.to_vec();
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
        if !report.quiet {
            report.log.emit(Event::Epoch {
                epoch,
                epochs: cfg.epochs,
                train_loss: loss_sum / seen.max(1) as f64,
                train_metric: metric_sum / seen.max(1) as f64,
                // No validation part: it is trained on; the test split is scored once, at the end.
                val_loss: f64::NAN,
                val_metric: f64::NAN,
                seconds: epoch_start.elapsed().as_secs_f64(),
                memory_bytes: peak_rss_bytes(),
            })?;
        }
    }
    Ok(Fitted {
        vs,
        net,
        params,
        stats,
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
    let used = &indices[..indices.len().min(samples)];
    let batch = batch.clamp(2, used.len().max(2));
    // Whole batches only: a last batch of one sample has no batch variance.
    for (k, chunk) in used.chunks(batch).filter(|c| c.len() > 1).enumerate() {
        let (x, _) = data.batch(chunk, stats, device);
        let _ = net.forward(&x, Mode::Calibrate(k as u32 + 1), 0.0);
    }
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
