//! Scoring the supernet: every metric of the task, on batches and on whole index sets.
use crate::data::{Dataset, Stats, Task};
use crate::metrics;
use crate::search::mixing::Mixing;
use crate::search::searcher::{Loss, Searcher};
use std::collections::BTreeMap;
use tch::{Device, Kind, Tensor};

/// Loss and metric of the supernet on `indices`, in evaluation mode.
pub struct Score {
    pub loss: f64,
    pub metrics: BTreeMap<String, f64>,
}

/// The headline metric's name: accuracy (classification) or RMSE in original units.
pub fn metric_name(task: Task) -> &'static str {
    match task {
        Task::Classification => "accuracy",
        Task::Regression => "rmse",
    }
}

/// Every metric of the task by name: accuracy and balanced accuracy; RMSE, MAE and R^2 in
/// original units.
pub fn all_metrics(
    task: Task,
    out: &Tensor,
    y: &Tensor,
    stats: &Stats,
    classes: usize,
) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    match task {
        Task::Classification => {
            let pred = Vec::<i64>::try_from(out.argmax(-1, false)).unwrap_or_default();
            let truth = Vec::<i64>::try_from(y).unwrap_or_default();
            m.insert("accuracy".into(), metrics::accuracy(&pred, &truth));
            m.insert(
                "balanced_accuracy".into(),
                metrics::balanced_accuracy(&pred, &truth, classes),
            );
        }
        Task::Regression => {
            let r = stats.target_mean.len() as i64;
            let mean = Tensor::from_slice(&stats.target_mean).view([1, r]);
            let sd = Tensor::from_slice(&stats.target_sd).view([1, r]);
            let orig = |t: &Tensor| {
                let t = t.to_device(Device::Cpu).to_kind(Kind::Double) * &sd + &mean;
                Vec::<f64>::try_from(t.flatten(0, -1)).unwrap_or_default()
            };
            let reg = metrics::regression(&orig(out), &orig(y), r as usize);
            m.insert("rmse".into(), reg.rmse);
            m.insert("mae".into(), reg.mae);
            m.insert("r2".into(), reg.r2);
        }
    }
    m
}

pub fn metric_of(task: Task, out: &Tensor, y: &Tensor, stats: &Stats, classes: usize) -> f64 {
    all_metrics(task, out, y, stats, classes)
        .get(metric_name(task))
        .copied()
        .unwrap_or(f64::NAN)
}

pub fn evaluate(
    s: &Searcher,
    data: &Dataset,
    indices: &[i64],
    stats: &Stats,
    device: Device,
    batch: usize,
) -> Score {
    evaluate_with(s, None, data, indices, stats, device, batch)
}

/// `evaluate` with the edges weighed by `mix` instead of the strategy's own deterministic
/// weights (the perturbations of selection).
pub fn evaluate_with(
    s: &Searcher,
    mix: Option<&Mixing>,
    data: &Dataset,
    indices: &[i64],
    stats: &Stats,
    device: Device,
    batch: usize,
) -> Score {
    let predict = |x: &Tensor| match mix {
        Some(m) => s.predict_with(x, m),
        None => s.predict(x),
    };
    score(&predict, &s.loss, data, indices, stats, device, batch)
}

/// Loss and every metric of `predict` (outputs without gradients) on `indices`, in batches of
/// `batch`.
pub fn score(
    predict: &dyn Fn(&Tensor) -> Tensor,
    loss: &Loss,
    data: &Dataset,
    indices: &[i64],
    stats: &Stats,
    device: Device,
    batch: usize,
) -> Score {
    let mut outs = Vec::new();
    let mut ys = Vec::new();
    for chunk in indices.chunks(batch.max(1)) {
        let (x, y) = data.batch(chunk, stats, device);
        outs.push(predict(&x).to_device(Device::Cpu));
        ys.push(y.to_device(Device::Cpu));
    }
    let (out, y) = (Tensor::cat(&outs, 0), Tensor::cat(&ys, 0));
    let loss = loss.compute(&out, &y).double_value(&[]);
    Score {
        loss,
        metrics: all_metrics(data.task, &out, &y, stats, data.names.len()),
    }
}
