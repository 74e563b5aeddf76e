//! The random-search baseline (../shared/DARTS.md: "random search at equal compute is
//! competitive: always report it next to DARTS"; CIFAR-10 3.29 +/- 0.15 % against DARTS's
//! 2.76). Genotypes are sampled uniformly from a search space, each candidate is trained briefly
//! on the train split and scored on the validation split, and the best is retrained with the
//! full recipe on train + validation and scored once on the test split, like a retrained cell.
use super::config::TrainConfig;
use super::fit::{self, Report};
use super::net::Architecture;
use super::{open_run, train_and_test, TrainResult};
use crate::config::{Preset, SearchConfig};
use crate::data::{Dataset, Task};
use crate::events::{Event, LogLevel};
use crate::genotype::Genotype;
use crate::ops::Primitive;
use crate::rng::Rng;
use crate::runlog::write_json;
use crate::scoring::{metric_name, metric_of};
use crate::search::SearchError;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::AtomicBool;
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

/// How long to sample for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Budget {
    /// Matched to a search: sampling gets the search's wall-clock seconds, and the best is then
    /// retrained with the same recipe as the search's cell, so the training costs match too.
    Search { seconds: f64 },
    /// Sampling and the final retraining together; sampling stops while the retraining,
    /// estimated from the candidates' time per step, still fits.
    Total { seconds: f64 },
    /// A fixed number of candidates.
    Candidates { count: usize },
}

/// One sampled genotype and how it did on the validation split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub genotype: Genotype,
    /// None when its training diverged.
    pub val_metric: Option<f64>,
    pub seconds: f64,
}

/// What `result.json` records of the search: the budget next to the time spent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sampled {
    pub space: Space,
    pub budget: Budget,
    /// Epochs each candidate trains for (a tenth of the recipe's, at least 1, at most 20).
    pub candidate_epochs: usize,
    /// Wall-clock seconds spent training and scoring the candidates.
    pub sampling_seconds: f64,
    pub candidates: Vec<Candidate>,
    /// The index of the candidate retrained: the best of `candidates.len()` on validation.
    pub best: usize,
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

/// The candidates' recipe: the full one for a tenth of the epochs (at least 1, at most 20).
pub fn candidate_config(cfg: &TrainConfig) -> TrainConfig {
    TrainConfig {
        epochs: cfg.epochs.div_ceil(10).clamp(1, 20),
        ..cfg.clone()
    }
}

/// Samples candidates within the budget, retrains the best, and scores it on the test split.
pub fn run(
    data: &Dataset,
    space: &Space,
    budget: Budget,
    cfg: &TrainConfig,
    out: &Path,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<TrainResult, SearchError> {
    let usable = space.primitives.iter().any(|p| *p != Primitive::None);
    if !usable || space.nodes == 0 {
        return Err(SearchError::Data(format!(
            "random search: the space needs at least one op besides none and one node, got {:?} with {} nodes",
            space.primitives, space.nodes
        )));
    }
    // Candidates train and are ranked on the samples a search with this seed would use for
    // weights and architecture: validation when there is one, else a held-out share of train.
    let parts = crate::search::parts(
        data,
        &SearchConfig {
            seed: cfg.seed,
            arch_fraction: space.arch_fraction,
            ..Preset::Quick.config()
        },
    )?;
    let (mut log, device) = open_run(data, None, cfg, out, listener)?;
    let cand_cfg = candidate_config(cfg);
    let higher = data.task == Task::Classification;
    let metric = metric_name(data.task);
    // Steps of the final retraining per step of a candidate, to estimate the retraining's time.
    let final_steps =
        cfg.epochs * fit::steps_per_epoch(cfg, data.splits.train.len() + data.splits.val.len());
    let cand_steps = cand_cfg.epochs * fit::steps_per_epoch(&cand_cfg, parts.weights.len());
    let retrain_ratio = final_steps as f64 / cand_steps.max(1) as f64;
    log.emit(Event::log(
        LogLevel::Info,
        format!(
            "random search: sampling from {} ops on {} nodes within {budget:?}; each candidate trains {} epochs on {} samples and is scored on {} held-out samples",
            space.primitives.len(),
            space.nodes,
            cand_cfg.epochs,
            parts.weights.len(),
            parts.arch.len()
        ),
    ))?;
    let started = Instant::now();
    let mut rng = Rng::derive(cfg.seed, 21, 0);
    let mut candidates: Vec<Candidate> = vec![];
    loop {
        let spent = started.elapsed().as_secs_f64();
        if budget_spent(budget, spent, &candidates, retrain_ratio) {
            break;
        }
        let genotype = sample(space, &mut rng);
        let begun = Instant::now();
        let arch = Architecture::Cell(genotype.clone());
        let mut report = Report {
            log: &mut log,
            quiet: true,
            cancel,
        };
        let val_metric = match fit::fit(data, &arch, &cand_cfg, &parts.weights, device, &mut report)
        {
            Ok(f) => {
                let (out_t, y_t) = fit::predict(
                    &f.net,
                    data,
                    &parts.arch,
                    &f.stats,
                    device,
                    cfg.batch_size.max(64),
                );
                Some(metric_of(
                    data.task,
                    &out_t,
                    &y_t,
                    &f.stats,
                    data.names.len(),
                ))
            }
            Err(SearchError::Diverged { .. }) => None,
            Err(e) => return Err(e),
        };
        let seconds = begun.elapsed().as_secs_f64();
        let k = candidates.len() + 1;
        let text = val_metric.map_or("diverged".into(), |m| format!("validation {metric} {m:.4}"));
        log.emit(Event::log(
            LogLevel::Info,
            format!("candidate {k} ({seconds:.1} s): {text}"),
        ))?;
        candidates.push(Candidate {
            genotype,
            val_metric,
            seconds,
        });
    }
    let sampling_seconds = started.elapsed().as_secs_f64();
    let best = best_index(&candidates, higher).ok_or_else(|| {
        SearchError::Data(format!(
            "random search: all {} candidates diverged; lower the learning rate",
            candidates.len()
        ))
    })?;
    let winner = candidates[best].genotype.clone();
    write_json(&out.join("genotype.json"), &winner)?;
    log.emit(Event::log(
        LogLevel::Info,
        format!(
            "random search: {} candidates in {sampling_seconds:.1} s; retraining candidate {} (best of {} on validation)",
            candidates.len(),
            best + 1,
            candidates.len()
        ),
    ))?;
    let mut report = Report {
        log: &mut log,
        quiet: false,
        cancel,
    };
    let mut result = train_and_test(
        data,
        &Architecture::Cell(winner),
        cfg,
        out,
        device,
        &mut report,
    )?;
    result.architecture = "random".into();
    result.random_search = Some(Sampled {
        space: space.clone(),
        budget,
        candidate_epochs: cand_cfg.epochs,
        sampling_seconds,
        candidates,
        best,
    });
    crate::runlog::succeed(&mut log, out, &result)?;
    Ok(result)
}

/// Whether sampling stops after `spent` seconds and `candidates`. There is always at least one
/// candidate; after that, another starts only while at least half of it (at the mean time so
/// far) fits, so the total lands nearest the budget. `retrain_ratio` is the final retraining's
/// steps per candidate step, for a budget that includes the retraining.
pub fn budget_spent(
    budget: Budget,
    spent: f64,
    candidates: &[Candidate],
    retrain_ratio: f64,
) -> bool {
    if candidates.is_empty() {
        return false;
    }
    let mean = candidates.iter().map(|c| c.seconds).sum::<f64>() / candidates.len() as f64;
    match budget {
        Budget::Search { seconds } => spent + mean / 2.0 > seconds,
        Budget::Total { seconds } => spent + mean / 2.0 + mean * retrain_ratio > seconds,
        Budget::Candidates { count } => candidates.len() >= count,
    }
}

/// The best candidate on validation (the first of equals); None when all diverged.
pub fn best_index(candidates: &[Candidate], higher_is_better: bool) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (k, c) in candidates.iter().enumerate() {
        let Some(m) = c.val_metric.filter(|m| m.is_finite()) else {
            continue;
        };
        let better = best.is_none_or(|(_, b)| if higher_is_better { m > b } else { m < b });
        if better {
            best = Some((k, m));
        }
    }
    best.map(|(k, _)| k)
}
