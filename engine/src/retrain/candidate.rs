//! One random-search candidate: its genotype drawn from the space, its recipe at a rung, and
//! its score on the held-out part after a short training, with the seconds each half took.
use super::config::TrainConfig;
use super::fit::{self, Report};
use super::halving::Cost;
use super::net::Architecture;
use crate::config::SearchConfig;
use crate::data::Dataset;
use crate::genotype::Genotype;
use crate::ops::Primitive;
use crate::rng::Rng;
use crate::scoring::metric_of;
use crate::search::SearchError;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The space genotypes are drawn from: a search's candidate ops and intermediate nodes, and
/// how it ranks (the share of train held out when the dataset has no validation split).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Space {
    pub primitives: Vec<Primitive>,
    pub nodes: usize,
    #[serde(default = "half")]
    pub arch_fraction: f64,
}

fn half() -> f64 {
    0.5
}

impl Space {
    /// The space and holdout of a search config.
    pub fn of(cfg: &SearchConfig) -> Space {
        Space {
            primitives: cfg.primitives.clone(),
            nodes: cfg.nodes,
            arch_fraction: cfg.arch_fraction,
        }
    }
}

/// A genotype drawn uniformly: each intermediate node reads two distinct earlier states, each
/// through an op drawn from the space without `none` (as DARTS discretisation never keeps it).
pub fn sample(space: &Space, rng: &mut Rng) -> Genotype {
    let ops: Vec<Primitive> = space
        .primitives
        .iter()
        .copied()
        .filter(|p| *p != Primitive::None)
        .collect();
    let mut cell = || {
        let mut edges = Vec::with_capacity(2 * space.nodes);
        for node in 0..space.nodes {
            let mut inputs: Vec<usize> = (0..2 + node).collect();
            rng.shuffle(&mut inputs);
            for &input in &inputs[..2] {
                edges.push((ops[rng.below(ops.len())], input));
            }
        }
        edges
    };
    let normal = cell();
    let reduce = cell();
    let concat: Vec<usize> = (2..2 + space.nodes).collect();
    Genotype {
        normal,
        normal_concat: concat.clone(),
        reduce,
        reduce_concat: concat,
    }
}

/// Epochs of a candidate's training when the recipe counts seconds, not epochs.
pub const TIMED_CANDIDATE_EPOCHS: usize = 3;

/// A candidate's recipe at a rung: the full one with `steps` steps per epoch. A recipe with
/// seconds gives each candidate `TIMED_CANDIDATE_EPOCHS` (the sampling's own budget bounds
/// them), and no candidate holds samples out: it is scored on the search's held-out part.
pub fn candidate_config(cfg: &TrainConfig, steps: usize) -> TrainConfig {
    let timed = cfg.seconds.is_some();
    TrainConfig {
        max_steps_per_epoch: Some(steps),
        epochs: if timed {
            TIMED_CANDIDATE_EPOCHS.min(cfg.epochs)
        } else {
            cfg.epochs
        },
        seconds: None,
        holdout: 0.0,
        patience: None,
        ..cfg.clone()
    }
}

/// Samples of the weight part a candidate's batch-norm statistics are recomputed on before it
/// is scored, in batches of this size: rung 0 trains a few steps, too few for the running
/// statistics (Spearman of rung 0's scores with the full recipe's test metric: README).
const CALIBRATION_SAMPLES: usize = 512;
const CALIBRATION_BATCH: usize = 64;

/// Trains `genotype` with `cfg` on the weight part and scores it on the held-out part (None
/// when the training diverged), with the seconds each half took.
pub fn score(
    data: &Dataset,
    genotype: &Genotype,
    cfg: &TrainConfig,
    parts: &crate::search::Parts,
    device: tch::Device,
    report: &mut Report,
) -> Result<(Option<f64>, Cost), SearchError> {
    let arch = Architecture::Cell(genotype.clone());
    let begun = Instant::now();
    let fitted = fit::fit(data, &arch, cfg, &parts.weights, device, report);
    let fit_seconds = begun.elapsed().as_secs_f64();
    let cost = |score: f64| Cost {
        fit: fit_seconds,
        score,
    };
    match fitted {
        Ok(f) => {
            let scoring = Instant::now();
            fit::recalibrate(
                &f.net,
                data,
                &parts.weights,
                &f.stats,
                device,
                CALIBRATION_BATCH,
                CALIBRATION_SAMPLES,
            );
            let (out_t, y_t) = fit::predict(
                &f.net,
                data,
                &parts.arch,
                &f.stats,
                device,
                cfg.batch_size.max(64),
            );
            let m = metric_of(data.task, &out_t, &y_t, &f.stats, data.names.len());
            Ok((Some(m), cost(scoring.elapsed().as_secs_f64())))
        }
        Err(SearchError::Diverged { .. }) => Ok((None, cost(0.0))),
        Err(e) => Err(e),
    }
}
