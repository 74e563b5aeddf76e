//! What a study measures of each method at each seed, and a method's row of `comparison.json`
//! (mean and sd over the seeds).
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// One method at one seed.
pub(super) struct Measure {
    pub(super) test_metric: Option<f64>,
    pub(super) params: Option<i64>,
    pub(super) macs: Option<i64>,
    /// Batch-1 milliseconds and batch-64 images per second of a trained network.
    pub(super) speed: Option<engine::latency::Speed>,
    pub(super) search_seconds: Option<f64>,
    pub(super) train_seconds: Option<f64>,
    /// The run's folder (its `test_scores.json`), for trained networks.
    pub(super) dir: Option<PathBuf>,
    /// The metric on the training's held-out part at the kept epoch: what the pipeline picks
    /// the derived network by (never the test split).
    pub(super) holdout: Option<f64>,
    /// Why the training stopped, and at which epoch of how many.
    pub(super) stopped: Option<Value>,
}

impl Measure {
    /// A trained network; `search_seconds` for what found it.
    pub(super) fn trained(
        r: &engine::retrain::TrainResult,
        search_seconds: Option<f64>,
        dir: &Path,
    ) -> Measure {
        Measure {
            test_metric: Some(r.test_metric),
            params: Some(r.params),
            macs: r.macs,
            speed: r.speed,
            search_seconds,
            train_seconds: Some(r.seconds),
            dir: Some(dir.to_path_buf()),
            holdout: r.stopped.as_ref().and_then(|s| s.holdout_metric),
            stopped: r.stopped.as_ref().map(|s| {
                json!({"reason": s.reason, "epochs_run": s.epochs_run,
                       "planned_epochs": s.planned_epochs, "kept_epoch": s.kept_epoch})
            }),
        }
    }

    /// The supernet as the search scored it.
    pub(super) fn searched(
        test_metric: Option<f64>,
        weights: i64,
        macs: Option<i64>,
        seconds: f64,
    ) -> Measure {
        Measure {
            test_metric,
            params: Some(weights),
            macs,
            speed: None,
            search_seconds: Some(seconds),
            train_seconds: None,
            dir: None,
            holdout: None,
            stopped: None,
        }
    }
}

pub(super) fn row(method: &str, measures: &[Measure]) -> Value {
    let metrics: Vec<f64> = measures.iter().filter_map(|m| m.test_metric).collect();
    let (mean, sd) = crate::api::rows::mean_sd(&metrics);
    let avg = |v: Vec<f64>| crate::api::rows::mean_sd(&v).0;
    json!({
        "method": method,
        "n": metrics.len(),
        "test_metrics": metrics,
        "test_metric_mean": mean,
        "test_metric_sd": sd,
        "params": measures.first().and_then(|m| m.params),
        "macs": measures.first().and_then(|m| m.macs),
        "latency_ms": avg(measures.iter().filter_map(|m| m.speed.map(|s| s.latency_ms)).collect()),
        "throughput": avg(measures.iter().filter_map(|m| m.speed.map(|s| s.throughput)).collect()),
        "search_seconds": avg(measures.iter().filter_map(|m| m.search_seconds).collect()),
        "train_seconds": avg(measures.iter().filter_map(|m| m.train_seconds).collect()),
        "stopped": measures.iter().map(|m| m.stopped.clone()).collect::<Vec<_>>(),
    })
}
