//! What a ProxylessNAS search's `result.json` holds: the architecture it found, its validation
//! figures, the found network's size, multiply-adds and predicted latency next to the target,
//! and the supernet's found path scored once on the test split.
use super::net::ProxylessNet;
use super::searcher::ProxylessSearcher;
use super::space::{Architecture, Layout};
use super::table::Weighed;
use crate::config::SearchConfig;
use crate::data::{Dataset, Task};
use crate::nn::Mode;
use crate::scoring::{metric_name, score};
use crate::search::checkpoint::Progress;
use crate::search::epochs::last_val_metric;
use crate::search::result::{dartboard_version, pytorch_version};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tch::nn::VarStore;
use tch::{Kind, Tensor};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProxylessResult {
    /// `proxyless`: what searched, for readers of result.json that see several kinds.
    pub strategy: String,
    pub architecture: Architecture,
    /// `accuracy` (classification) or `rmse` (regression, original units).
    pub metric: String,
    pub higher_is_better: bool,
    /// The most likely network's best metric on the validation part over all epochs.
    pub best_val_metric: f64,
    /// Its metric on the validation part at the last epoch.
    pub final_val_metric: f64,
    pub val_metrics: BTreeMap<String, f64>,
    pub epochs: usize,
    pub seconds: f64,
    /// The supernet's weights (every candidate of every layer).
    pub weights: i64,
    /// The found network's weights and multiply-adds on one image.
    pub network_weights: i64,
    pub macs: i64,
    /// The found network's batch-1 latency as the table predicts it, milliseconds.
    pub predicted_latency_ms: f64,
    /// The last expected latency (each candidate's weighed by its probability).
    pub expected_latency_ms: f64,
    pub latency_target_ms: Option<f64>,
    /// The supernet's found path on the test split, scored once after the search.
    pub supernet_test_metric: Option<f64>,
    pub supernet_test_metrics: BTreeMap<String, f64>,
    pub device: String,
    pub dartboard_version: String,
    pub pytorch_version: String,
}

/// The result of a search whose epochs are done: `seconds` of this session are added to the
/// earlier sessions' in `progress`.
pub fn finish(
    data: &Dataset,
    cfg: &SearchConfig,
    layout: &Layout,
    searcher: &ProxylessSearcher,
    weighed: &Weighed,
    progress: &Progress,
    seconds: f64,
) -> ProxylessResult {
    let device = searcher.weights_vs.device();
    let choices = searcher.choices();
    let test_metrics = if data.splits.test.is_empty() {
        BTreeMap::new()
    } else {
        let all = data.splits.train.iter().chain(&data.splits.val).copied();
        let stats = data.stats(&all.collect::<Vec<_>>());
        score(
            &|x| searcher.predict(x),
            &searcher.loss,
            data,
            &data.splits.test,
            &stats,
            device,
            cfg.batch_size.max(64),
        )
        .metrics
    };
    // The found network alone, freshly built: its weights and multiply-adds.
    let vs = VarStore::new(device);
    let net = crate::search::initialise(None, || ProxylessNet::new(&vs.root(), layout, &choices));
    let one = Tensor::zeros(
        [1, layout.in_channels, layout.size.0, layout.size.1],
        (Kind::Float, device),
    );
    let macs = tch::no_grad(|| {
        crate::nn::count_macs(|| {
            let _ = net.forward(&one, Mode::Eval);
        })
    });
    ProxylessResult {
        strategy: "proxyless".into(),
        architecture: Architecture {
            width: cfg.init_channels,
            per_stage: cfg.per_stage,
            choices: choices.clone(),
        },
        metric: metric_name(data.task).into(),
        higher_is_better: data.task == Task::Classification,
        best_val_metric: progress.best_val_metric.unwrap_or(f64::NAN),
        final_val_metric: last_val_metric(progress),
        val_metrics: progress.val_metrics.clone(),
        epochs: cfg.epochs,
        seconds: progress.seconds + seconds,
        weights: crate::count_weights(&searcher.weights_vs),
        network_weights: crate::count_weights(&vs),
        macs,
        predicted_latency_ms: weighed.predict(layout, &choices),
        expected_latency_ms: searcher.expected_ms().unwrap_or(f64::NAN),
        latency_target_ms: cfg.latency_target_ms,
        supernet_test_metric: test_metrics.get(metric_name(data.task)).copied(),
        supernet_test_metrics: test_metrics,
        device: crate::device::describe(device),
        dartboard_version: dartboard_version(),
        pytorch_version: pytorch_version(),
    }
}
