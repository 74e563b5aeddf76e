//! Training a network from scratch (run kinds `train` and `baseline`): a discovered cell's
//! evaluation network with its auxiliary head and drop path (../shared/DARTS.md, evaluation), or
//! a ResNet, with the same augmentation and optimiser, trained on train + validation and scored
//! once on the untouched test split.
//!
//! Files in the run folder: `config.json`, `genotype.json` (cells only), `events.jsonl`,
//! `weights.safetensors`, `model.pt` (TorchScript, see `export`) and `result.json`.
pub mod augment;
mod candidate;
pub mod config;
pub mod fit;
pub mod halving;
pub mod net;
pub mod random;
pub mod stopping;

use crate::data::{Dataset, Stats, Task};
use crate::events::{Event, LogLevel, RunStatus};
use crate::export::ModelInput;
use crate::genotype::Genotype;
use crate::runlog::{write_json, EventLog};
use crate::scoring::{all_metrics, metric_name};
use crate::search::SearchError;
use config::TrainConfig;
use fit::{Fitted, Report};
use net::Architecture;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
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
    /// Multiply-adds of one forward pass on one image (convolutions and linear layers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macs: Option<i64>,
    /// Batch-1 latency and batch-64 throughput of the trained network on `device`, measured
    /// once it is trained (`latency::measure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<crate::latency::Speed>,
    pub seconds: f64,
    pub epochs: usize,
    pub train_samples: usize,
    pub test_samples: usize,
    pub device: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genotype: Option<Genotype>,
    /// The blocks of a ProxylessNAS network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<crate::proxyless::space::Architecture>,
    pub dartboard_version: String,
    pub pytorch_version: String,
    /// What `model.pt` takes: the source images' size, and the crop and resize it applies.
    #[serde(default)]
    pub model_input: ModelInput,
    /// Random search only: the candidates sampled and the budget they were sampled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_search: Option<random::Sampled>,
    /// How the training ended: why, the epochs run and planned, the epoch kept and the
    /// held-out metric after each epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<fit::Stopped>,
    /// What the training augmented with (flips and quarter turns only where the dataset's
    /// symmetry allows them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augmentation: Option<augment::Augment>,
    /// What the network's inputs and outputs were standardised with (the train + validation
    /// samples'); `model.pt` applies it itself.
    pub normalisation: Stats,
}

/// Checks the config and the network, makes the run folder with `config.json` (and
/// `genotype.json`), and opens its event log with the run marked running.
pub fn open_run<'a>(
    data: &Dataset,
    arch: Option<&Architecture>,
    cfg: &TrainConfig,
    out: &Path,
    listener: &'a mut dyn FnMut(u64, &Event),
) -> Result<(EventLog<'a>, Device), SearchError> {
    let errors = cfg.validate();
    if !errors.is_empty() {
        return Err(SearchError::Config(errors));
    }
    if let Some(g) = arch.and_then(|a| a.genotype()) {
        g.validate()
            .map_err(|e| SearchError::Data(format!("genotype: {e}")))?;
    }
    if let Some(Architecture::Proxyless(layers)) = arch {
        let (c, h, w) = data.image_shape();
        let outputs = crate::network::NetShape::of(data, 1, 1).outputs;
        layers
            .layout(c, (h, w), outputs)
            .map_err(|e| SearchError::Data(format!("architecture: {e}")))?;
    }
    if data.splits.test.is_empty() {
        return Err(SearchError::Data(
            "the dataset has no test split to score on".into(),
        ));
    }
    let device = crate::search::session::config_device(&cfg.device)?;
    std::fs::create_dir_all(out).map_err(|source| SearchError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    write_json(&out.join("config.json"), cfg)?;
    if let Some(g) = arch.and_then(|a| a.genotype()) {
        write_json(&out.join("genotype.json"), g)?;
    }
    if let Some(Architecture::Proxyless(layers)) = arch {
        write_json(&out.join("architecture.json"), layers)?;
    }
    let mut log = EventLog::open(out, listener)?;
    log.emit(Event::Status {
        status: RunStatus::Running,
        message: None,
    })?;
    Ok((log, device))
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
    let (mut log, device) = open_run(data, Some(arch), cfg, out, listener)?;
    let mut report = Report {
        log: &mut log,
        quiet: false,
        cancel,
    };
    let result = train_and_test(data, arch, cfg, out, device, &mut report)?;
    crate::runlog::succeed(&mut log, out, &result)?;
    Ok(result)
}

/// Multiply-adds of the network's forward pass on one image of `shape`, in evaluation mode.
pub fn count_macs(net: &net::Net, (c, h, w): (i64, i64, i64), device: Device) -> i64 {
    let _guard = tch::no_grad_guard();
    let x = Tensor::zeros([1, c, h, w], (tch::Kind::Float, device));
    crate::nn::count_macs(|| {
        let _ = net.forward(&x, crate::nn::Mode::Eval, 0.0);
    })
}

/// Training samples the final network's batch-norm statistics are recomputed on.
pub const PRECISE_BN_SAMPLES: usize = 1024;

/// Trains `arch` on train + validation, scores it once on the test split, and writes
/// `weights.safetensors` and `model.pt` into `out`.
pub fn train_and_test(
    data: &Dataset,
    arch: &Architecture,
    cfg: &TrainConfig,
    out: &Path,
    device: Device,
    report: &mut Report,
) -> Result<TrainResult, SearchError> {
    let train: Vec<i64> = data
        .splits
        .train
        .iter()
        .chain(&data.splits.val)
        .copied()
        .collect();
    let (c, h, w) = data.image_shape();
    let (_, _, params) = fit::build(data, arch, cfg, Device::Cpu);
    let aug = fit::augmentation(cfg, data, h);
    report.log.emit(Event::log(
        LogLevel::Info,
        format!(
            "{}: training {} on {} samples (train + validation{}), testing on {}; network of {params} weights on {}; augmentation {aug:?}",
            data.name,
            arch.name(),
            train.len(),
            match fit::split_holdout(&train, cfg).1.len() {
                0 => String::new(),
                n => format!(", {n} of them held out to keep the best epoch"),
            },
            data.splits.test.len(),
            crate::device::describe(device)
        ),
    ))?;
    report.log.emit(Event::Network {
        weights: params as u64,
    })?;
    let started = Instant::now();
    let Fitted {
        mut vs,
        net,
        params,
        stats,
        stopped,
        fitted_samples,
    } = fit::fit(data, arch, cfg, &train, device, report)?;
    let b = cfg.batch_size;
    // "Precise BN" (facebookresearch/pycls, precise_bn): the running statistics recomputed over
    // training samples once the weights are final; at a budget of a hundred steps they still
    // lag the weights. The test split and the exported model both see the recomputed ones.
    fit::recalibrate(
        &net,
        data,
        &train,
        &stats,
        device,
        b.max(64),
        PRECISE_BN_SAMPLES,
    );
    let macs = count_macs(&net, (c, h, w), device);
    // Not part of the training's seconds.
    let measuring = Instant::now();
    let speed = crate::latency::measure(
        &|x| net.forward(x, crate::nn::Mode::Eval, 0.0).0,
        (c, h, w),
        device,
    );
    let measuring = measuring.elapsed();
    let (out_t, y_t) = fit::predict(&net, data, &data.splits.test, &stats, device, b.max(64));
    let mut test_metrics = all_metrics(data.task, &out_t, &y_t, &stats, data.names.len());
    // Each test image's own score, for the paired comparison of networks on the same images.
    crate::verdict::TestScores::of(data, &out_t, &y_t, &stats).write(out)?;
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
    let model_input = ModelInput::of(&data.preprocessing, (h, w));
    crate::export::write_model(
        &net,
        &stats,
        data.task,
        c,
        &model_input,
        (h, w),
        &model_path,
    )
    .map_err(|e| SearchError::Data(format!("{}: {e}", model_path.display())))?;
    let result = TrainResult {
        model_input,
        random_search: None,
        macs: Some(macs),
        speed: Some(speed),
        confusion_matrix,
        normalisation: stats.clone(),
        architecture: arch.name(),
        metric: metric_name(data.task).into(),
        higher_is_better: data.task == Task::Classification,
        test_metric,
        test_metrics,
        params,
        seconds: (started.elapsed() - measuring).as_secs_f64(),
        epochs: stopped.epochs_run,
        stopped: Some(stopped),
        augmentation: Some(aug),
        train_samples: fitted_samples,
        test_samples: data.splits.test.len(),
        device: crate::device::describe(device),
        genotype: arch.genotype().cloned(),
        layers: match arch {
            Architecture::Proxyless(l) => Some(l.clone()),
            _ => None,
        },
        dartboard_version: env!("CARGO_PKG_VERSION").into(),
        pytorch_version: option_env!("DARTBOARD_TORCH_VERSION")
            .unwrap_or("unknown")
            .into(),
    };
    Ok(result)
}
