//! Training a network from scratch (run kinds `train` and `baseline`): a discovered cell's
//! evaluation network with its auxiliary head and drop path (../shared/DARTS.md, evaluation), or
//! a ResNet, with the same augmentation and optimiser, trained on train + validation and scored
//! once on the untouched test split.
//!
//! Files in the run folder: `config.json`, `genotype.json` (cells only), `events.jsonl`,
//! `weights.safetensors`, `model.pt` (TorchScript, see `export`) and `result.json`.
pub mod augment;
pub mod config;
pub mod net;

use crate::data::{Dataset, Stats, Task};
use crate::events::{peak_rss_bytes, Event, LogLevel, RunStatus};
use crate::genotype::Genotype;
use crate::network::NetShape;
use crate::nn::Mode;
use crate::optim::{clip_grad_norm, cosine_lr, Sgd};
use crate::rng::Rng;
use crate::runlog::{write_json, EventLog};
use crate::scoring::{all_metrics, metric_name, metric_of};
use crate::search::SearchError;
use crate::searcher::Loss;
use augment::Augment;
use config::TrainConfig;
use net::{Architecture, Net};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tch::nn::VarStore;
use tch::{Device, Tensor};

/// What `result.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainResult {
    /// `darts`, `resnet18` or `resnet10`.
    pub architecture: String,
    pub metric: String,
    pub higher_is_better: bool,
    /// The headline metric on the test split, scored once at the end.
    pub test_metric: f64,
    /// Every metric of the task on the test split (with `roc_auc` for binary tasks).
    pub test_metrics: BTreeMap<String, f64>,
    /// Classification: test counts by (true class, predicted class), in class order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion_matrix: Option<Vec<Vec<u64>>>,
    /// Trainable weights without the auxiliary head.
    pub params: i64,
    pub seconds: f64,
    pub epochs: usize,
    pub train_samples: usize,
    pub test_samples: usize,
    pub device: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genotype: Option<Genotype>,
    pub dartboard_version: String,
    pub pytorch_version: String,
    /// What the network's inputs and outputs were standardised with (the train + validation
    /// samples'); `model.pt` applies it itself.
    pub normalisation: Stats,
}

/// The augmentation the config asks for on images of `h` x `w`.
fn augmentation(cfg: &TrainConfig, task: Task, h: i64) -> Augment {
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

/// The network's outputs on `indices`, in evaluation mode, on the CPU.
fn predict(
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

/// Trains `arch` on `data` and scores it on the test split.
pub fn run(
    data: &Dataset,
    arch: &Architecture,
    cfg: &TrainConfig,
    out: &Path,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<TrainResult, SearchError> {
    let errors = cfg.validate();
    if !errors.is_empty() {
        return Err(SearchError::Config(errors));
    }
    if let Some(g) = arch.genotype() {
        g.validate()
            .map_err(|e| SearchError::Data(format!("genotype: {e}")))?;
    }
    if data.splits.test.is_empty() {
        return Err(SearchError::Data(
            "the dataset has no test split to score on".into(),
        ));
    }
    let device = crate::search::config_device(&cfg.device)?;
    let loss =
        Loss::resolve(crate::config::LossKind::Auto, data.task).map_err(SearchError::Data)?;
    std::fs::create_dir_all(out).map_err(|source| SearchError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    write_json(&out.join("config.json"), cfg)?;
    if let Some(g) = arch.genotype() {
        write_json(&out.join("genotype.json"), g)?;
    }
    let mut log = EventLog::open(out, listener)?;
    log.emit(Event::Status {
        status: RunStatus::Running,
        message: None,
    })?;
    let train: Vec<i64> = data
        .splits
        .train
        .iter()
        .chain(&data.splits.val)
        .copied()
        .collect();
    let stats = data.stats(&train);
    let (c, h, w) = data.image_shape();
    let shape = NetShape {
        in_channels: c,
        outputs: data.outputs(),
        init_channels: cfg.init_channels,
        layers: cfg.layers,
    };
    let mut vs = VarStore::new(device);
    let net = {
        tch::manual_seed(cfg.seed as i64);
        Net::new(
            &vs.root(),
            arch,
            &shape,
            h.max(w),
            cfg.auxiliary_weight > 0.0,
        )
    };
    // As DARTS reports it (utils.count_parameters_in_MB): the auxiliary head, a training aid
    // the exported model does not keep, is left out.
    let params: i64 = vs
        .variables()
        .iter()
        .filter(|(name, t)| t.requires_grad() && !name.starts_with("auxiliary_head"))
        .map(|(_, t)| t.numel() as i64)
        .sum();
    let weights = vs.trainable_variables();
    let mut opt = Sgd::new(weights.len(), cfg.lr, cfg.momentum, cfg.weight_decay);
    let aug = augmentation(cfg, data.task, h);
    log.emit(Event::log(
        LogLevel::Info,
        format!(
            "{}: training {} on {} samples (train + validation), testing on {}; network of {params} weights on {}; augmentation {aug:?}",
            data.name,
            arch.name(),
            train.len(),
            data.splits.test.len(),
            crate::device::describe(device)
        ),
    ))?;
    let started = Instant::now();
    let b = cfg.batch_size;
    let steps = cfg
        .max_steps_per_epoch
        .map_or(train.len().div_ceil(b), |m| m.min(train.len().div_ceil(b)));
    for epoch in 1..=cfg.epochs {
        let epoch_start = Instant::now();
        opt.lr = cosine_lr(cfg.lr, cfg.lr_min, epoch - 1, cfg.epochs);
        let drop_prob = cfg.drop_path * (epoch - 1) as f64 / cfg.epochs as f64;
        let mut order = train.clone();
        Rng::derive(cfg.seed, 11, epoch as u64).shuffle(&mut order);
        let mut rng = Rng::derive(cfg.seed, 12, epoch as u64);
        let (mut loss_sum, mut metric_sum, mut seen) = (0.0, 0.0, 0usize);
        for step in 0..steps {
            if cancel.load(Ordering::Relaxed) {
                log.emit(Event::Status {
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
            log.emit(Event::Step {
                epoch,
                step: step + 1,
                steps,
                train_loss: l,
            })?;
        }
        log.emit(Event::Epoch {
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
    let (out_t, y_t) = predict(&net, data, &data.splits.test, &stats, device, b.max(64));
    let mut test_metrics = all_metrics(data.task, &out_t, &y_t, &stats, data.names.len());
    let mut confusion_matrix = None;
    if data.task == Task::Classification {
        let pred = Vec::<i64>::try_from(out_t.argmax(-1, false)).unwrap_or_default();
        let truth = Vec::<i64>::try_from(&y_t).unwrap_or_default();
        confusion_matrix = Some(crate::metrics::confusion(&pred, &truth, data.names.len()));
        if data.names.len() == 2 {
            let p1 = out_t.softmax(-1, tch::Kind::Double).select(1, 1);
            let scores = Vec::<f64>::try_from(p1).unwrap_or_default();
            let positive: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
            test_metrics.insert(
                "roc_auc".into(),
                crate::metrics::roc_auc(&scores, &positive),
            );
        }
    }
    let test_metric = test_metrics
        .get(metric_name(data.task))
        .copied()
        .unwrap_or(f64::NAN);
    let weights_path = out.join("weights.safetensors");
    // PyTorch-style names (`cells.0._ops.1.op.1.weight`), on the CPU.
    let mut named: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(n, t)| (n, t.to_device(Device::Cpu)))
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    Tensor::write_safetensors(&named, &weights_path)
        .map_err(|e| SearchError::Data(format!("{}: {e}", weights_path.display())))?;
    // TorchScript with the normalisation inside, traced on the CPU so it runs anywhere.
    vs.set_device(Device::Cpu);
    // Weights without gradients: the tracer keeps them as the module's constants.
    vs.freeze();
    let model_path = out.join("model.pt");
    crate::export::write_model(&net, &stats, data.task, (c, h, w), &model_path)
        .map_err(|e| SearchError::Data(format!("{}: {e}", model_path.display())))?;
    let result = TrainResult {
        confusion_matrix,
        normalisation: stats.clone(),
        architecture: arch.name(),
        metric: metric_name(data.task).into(),
        higher_is_better: data.task == Task::Classification,
        test_metric,
        test_metrics,
        params,
        seconds: started.elapsed().as_secs_f64(),
        epochs: cfg.epochs,
        train_samples: train.len(),
        test_samples: data.splits.test.len(),
        device: crate::device::describe(device),
        genotype: arch.genotype().cloned(),
        dartboard_version: env!("CARGO_PKG_VERSION").into(),
        pytorch_version: option_env!("DARTBOARD_TORCH_VERSION")
            .unwrap_or("unknown")
            .into(),
    };
    write_json(&out.join("result.json"), &result)?;
    log.emit(Event::Status {
        status: RunStatus::Succeeded,
        message: None,
    })?;
    Ok(result)
}
