//! Early stopping: the share of the training samples held out, the best held-out epoch and its
//! weights, and why a training ended (`Stopped`, kept in `result.json`).
use super::config::{TrainConfig, HOLDOUT_MAX};
use crate::data::Task;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use tch::nn::VarStore;
use tch::Tensor;

/// Why a training ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The held-out metric did not improve for `patience` epochs.
    Plateau,
    /// The training's seconds ran out (the epochs planned to fit them were run, or the next
    /// epoch would have passed them).
    Budget,
    /// Every epoch of the config was run.
    Epochs,
}

/// How a training ended, and which epoch's weights it kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stopped {
    pub reason: StopReason,
    pub epochs_run: usize,
    /// The epochs the schedule was planned for: the config's, or fewer to fit its seconds.
    pub planned_epochs: usize,
    /// The epoch whose weights were kept: the best on the held-out part, else the last.
    pub kept_epoch: usize,
    /// The held-out metric of the kept epoch (none without a held-out part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_metric: Option<f64>,
    pub holdout_samples: usize,
    /// The held-out metric after each epoch (empty without a held-out part).
    #[serde(default)]
    pub holdout_curve: Vec<f64>,
    /// The same in words, as the run's log says it.
    pub message: String,
}

/// Splits `train` into the samples fitted and the samples held out (a seeded share, at most
/// `HOLDOUT_MAX`; none when the config holds none out or too few samples are left).
pub fn split_holdout(train: &[i64], cfg: &TrainConfig) -> (Vec<i64>, Vec<i64>) {
    let wanted = (cfg.holdout * train.len() as f64).round() as usize;
    if cfg.holdout <= 0.0 || wanted == 0 || train.len() < 4 {
        return (train.to_vec(), vec![]);
    }
    let n = wanted.min(HOLDOUT_MAX).min(train.len() / 2);
    let mut order = train.to_vec();
    Rng::derive(cfg.seed, 13, 0).shuffle(&mut order);
    let held = order.split_off(order.len() - n);
    order.sort_unstable();
    (order, held)
}

/// Copies of every variable (weights and batch-norm statistics) of `vs`.
pub(super) fn snapshot(vs: &VarStore) -> Vec<(String, Tensor)> {
    let _guard = tch::no_grad_guard();
    vs.variables()
        .into_iter()
        .map(|(n, t)| (n, t.detach().copy()))
        .collect()
}

pub(super) fn restore(vs: &VarStore, saved: &[(String, Tensor)]) {
    let _guard = tch::no_grad_guard();
    let vars = vs.variables();
    for (name, t) in saved {
        if let Some(v) = vars.get(name) {
            let _ = v.shallow_clone().copy_(t);
        }
    }
}

/// Early stopping's bookkeeping: the best held-out metric so far and its epoch, and whether
/// `patience` epochs have passed without a better one.
#[derive(Debug, Clone)]
pub struct BestEpoch {
    task: Task,
    patience: Option<usize>,
    pub best: Option<(usize, f64)>,
}

impl BestEpoch {
    pub fn new(task: Task, patience: Option<usize>) -> BestEpoch {
        BestEpoch {
            task,
            patience,
            best: None,
        }
    }

    /// Records `epoch`'s held-out metric; returns (whether it is the best so far, whether
    /// training should stop now).
    pub fn observe(&mut self, epoch: usize, metric: f64) -> (bool, bool) {
        let improved =
            metric.is_finite() && self.best.is_none_or(|(_, m)| self.task.better(metric, m));
        if improved {
            self.best = Some((epoch, metric));
        }
        let stop = match (self.patience, self.best) {
            (Some(p), Some((kept, _))) => epoch - kept >= p,
            _ => false,
        };
        (improved, stop)
    }
}

pub(super) fn stop_message(
    reason: StopReason,
    epochs_run: usize,
    planned: usize,
    kept: usize,
    cfg: &TrainConfig,
    task: Task,
    metric: Option<f64>,
) -> String {
    let why = match reason {
        StopReason::Plateau => format!(
            "the held-out {} did not improve for {} epochs",
            crate::scoring::metric_name(task),
            cfg.patience.unwrap_or(0)
        ),
        StopReason::Budget => format!(
            "its {:.0} s were spent ({planned} epochs planned of {})",
            cfg.seconds.unwrap_or(0.0),
            cfg.epochs
        ),
        StopReason::Epochs => format!("all {} epochs were run", cfg.epochs),
    };
    let kept = match metric {
        Some(m) => format!(
            "; kept epoch {kept}'s weights (held-out {} {m:.4})",
            crate::scoring::metric_name(task)
        ),
        None => "; kept the last epoch's weights (nothing held out)".into(),
    };
    format!("training stopped after epoch {epochs_run}: {why}{kept}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A network that over-fits after its third epoch: the kept epoch is the best held-out
    /// one, and training stops `patience` epochs after it.
    #[test]
    fn the_best_held_out_epoch_is_kept_and_a_plateau_stops_training() {
        let scripted = [0.50, 0.70, 0.80, 0.78, 0.75, 0.74, 0.60];
        let mut keeper = BestEpoch::new(Task::Classification, Some(3));
        let mut stopped_at = None;
        for (k, &m) in scripted.iter().enumerate() {
            let (_, stop) = keeper.observe(k + 1, m);
            if stop {
                stopped_at = Some(k + 1);
                break;
            }
        }
        assert_eq!(keeper.best, Some((3, 0.80)));
        assert_eq!(stopped_at, Some(6));
        // Regression: lower is better; without patience it never stops.
        let mut keeper = BestEpoch::new(Task::Regression, None);
        for (k, m) in [9.0, 7.0, f64::NAN, 8.0, 7.5].into_iter().enumerate() {
            assert!(!keeper.observe(k + 1, m).1);
        }
        assert_eq!(keeper.best, Some((2, 7.0)));
    }

    /// The held-out share is seeded, disjoint from what is fitted, and bounded.
    #[test]
    fn the_holdout_is_a_bounded_seeded_share() {
        let mut cfg = TrainConfig::preset(crate::config::Preset::Quick);
        let train: Vec<i64> = (0..30_000).collect();
        let (fitted, held) = split_holdout(&train, &cfg);
        assert_eq!(held.len(), HOLDOUT_MAX);
        assert_eq!(fitted.len() + held.len(), train.len());
        assert!(held.iter().all(|h| fitted.binary_search(h).is_err()));
        assert_eq!(split_holdout(&train, &cfg).1, held);
        cfg.seed += 1;
        assert_ne!(split_holdout(&train, &cfg).1, held);
        cfg.holdout = 0.0;
        assert!(split_holdout(&train, &cfg).1.is_empty());
    }
}
