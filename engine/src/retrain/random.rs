//! The random-search baseline (../shared/DARTS.md: "random search at equal compute is
//! competitive: always report it next to DARTS"; CIFAR-10 3.29 +/- 0.15 % against DARTS's
//! 2.76). Genotypes are sampled uniformly from a search space and ranked by successive halving
//! (`halving`): each is trained briefly on the weight part and scored on the held-out part, the
//! best third trained again three times longer, up to the full recipe. The best of the last
//! rung is retrained with the full recipe on train + validation and scored once on the test
//! split, like a retrained cell.
use super::candidate::score;
pub use super::candidate::{candidate_config, sample, Space};
use super::config::TrainConfig;
use super::fit::{self, Report};
use super::halving::{self, Cost};
use super::net::Architecture;
use super::{open_run, train_and_test, TrainResult};
use crate::config::{Preset, SearchConfig};
use crate::data::{Dataset, Task};
use crate::events::{Event, LogLevel};
use crate::genotype::Genotype;
use crate::ops::Primitive;
use crate::rng::Rng;
use crate::runlog::write_json;
use crate::scoring::metric_name;
use crate::search::SearchError;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

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
    /// Its score at the last rung it reached; None when that training diverged.
    pub val_metric: Option<f64>,
    /// Seconds over all its rungs.
    pub seconds: f64,
    /// The last rung it reached (from 0).
    #[serde(default)]
    pub rung: usize,
    /// Its score at each rung it reached.
    #[serde(default)]
    pub scores: Vec<Option<f64>>,
}

/// One rung of successive halving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rung {
    /// Training steps per epoch of its candidates (the recipe's epochs each).
    pub steps_per_epoch: usize,
    pub candidates: usize,
    pub seconds: f64,
}

/// What `result.json` records of the search: the budget next to the time spent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sampled {
    pub space: Space,
    pub budget: Budget,
    /// Epochs each candidate trains for: the recipe's (its rung sets the steps per epoch).
    pub candidate_epochs: usize,
    /// The rungs of successive halving, in order.
    #[serde(default)]
    pub rungs: Vec<Rung>,
    /// Wall-clock seconds spent training and scoring the candidates.
    pub sampling_seconds: f64,
    pub candidates: Vec<Candidate>,
    /// The index of the candidate retrained: the best of the last rung on validation.
    pub best: usize,
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
    let higher = data.task == Task::Classification;
    let metric = metric_name(data.task);
    let full = fit::steps_per_epoch(cfg, parts.weights.len());
    let steps: Vec<usize> = (0..halving::RUNGS)
        .map(|r| halving::rung_steps(full, r))
        .collect();
    // Steps of the final retraining per step of a rung-0 candidate, to estimate its time.
    let final_steps =
        cfg.epochs * fit::steps_per_epoch(cfg, data.splits.train.len() + data.splits.val.len());
    let candidate_epochs = candidate_config(cfg, steps[0]).epochs;
    let retrain_ratio = final_steps as f64 / (candidate_epochs * steps[0]).max(1) as f64;
    log.emit(Event::log(
        LogLevel::Info,
        format!(
            "random search: sampling from {} ops on {} nodes within {budget:?}, ranked by successive halving: {} epochs of {:?} steps per rung, the best third going on; trained on {} samples, scored on {} held-out samples",
            space.primitives.len(),
            space.nodes,
            candidate_epochs,
            steps,
            parts.weights.len(),
            parts.arch.len()
        ),
    ))?;
    let started = Instant::now();
    let mut rng = Rng::derive(cfg.seed, 21, 0);
    let mut candidates: Vec<Candidate> = vec![];
    let mut rungs: Vec<Rung> = vec![];
    // Rung 0: as many candidates as the bracket the first one's time allows.
    let mut size = match budget {
        Budget::Candidates { count } => count.max(1),
        _ => usize::MAX,
    };
    let rung_start = Instant::now();
    // Rung 0's seconds summed, training and scoring apart, to estimate the later rungs.
    let mut rung0_cost = Cost {
        fit: 0.0,
        score: 0.0,
    };
    while candidates.len() < size {
        let spent = started.elapsed().as_secs_f64();
        if budget_spent(budget, spent, &candidates, retrain_ratio) {
            break;
        }
        let genotype = sample(space, &mut rng);
        let begun = Instant::now();
        let mut report = Report {
            log: &mut log,
            quiet: true,
            cancel,
        };
        let (s, cost) = score(
            data,
            &genotype,
            &candidate_config(cfg, steps[0]),
            &parts,
            device,
            &mut report,
        )?;
        let seconds = begun.elapsed().as_secs_f64();
        rung0_cost.fit += cost.fit;
        rung0_cost.score += cost.score;
        let k = candidates.len() + 1;
        log.emit(Event::log(
            LogLevel::Info,
            format!(
                "candidate {k}, rung 0 ({seconds:.1} s): {}",
                text(s, metric)
            ),
        ))?;
        if candidates.is_empty() {
            size = size.min(match budget {
                Budget::Search { seconds: b } => halving::bracket_size(b, cost, &steps),
                Budget::Total { seconds: b } => {
                    halving::bracket_size(b - cost.fit * retrain_ratio, cost, &steps)
                }
                Budget::Candidates { count } => count.max(1),
            });
        }
        candidates.push(Candidate {
            genotype,
            val_metric: s,
            seconds,
            rung: 0,
            scores: vec![s],
        });
    }
    rungs.push(Rung {
        steps_per_epoch: steps[0],
        candidates: candidates.len(),
        seconds: rung_start.elapsed().as_secs_f64(),
    });
    // Later rungs: the best third of the last, trained longer, while it fits the budget.
    let planned = halving::rung_sizes(candidates.len());
    for (r, &n) in planned.iter().enumerate().skip(1) {
        let mut order: Vec<usize> = (0..candidates.len())
            .filter(|&k| candidates[k].rung == r - 1)
            .collect();
        order.sort_by(|&a, &b| rank(&candidates[a], &candidates[b], higher));
        order.truncate(n);
        // A rung-0 candidate's mean cost, its training scaled by the steps.
        let count0 = rungs[0].candidates.max(1) as f64;
        let mean0 = Cost {
            fit: rung0_cost.fit / count0,
            score: rung0_cost.score / count0,
        };
        let estimate = n as f64 * mean0.at(steps[r], steps[0]);
        let limit = match budget {
            Budget::Search { seconds } => Some(seconds),
            Budget::Total { seconds } => Some(seconds - mean0.fit * retrain_ratio),
            Budget::Candidates { .. } => None,
        };
        if limit.is_some_and(|l| started.elapsed().as_secs_f64() + estimate > l + estimate / 2.0) {
            break;
        }
        log.emit(Event::log(
            LogLevel::Info,
            format!(
                "rung {r}: the best {n} of {} train {} steps per epoch",
                rungs[r - 1].candidates,
                steps[r]
            ),
        ))?;
        let rung_start = Instant::now();
        for k in order {
            let begun = Instant::now();
            let mut report = Report {
                log: &mut log,
                quiet: true,
                cancel,
            };
            let (s, _) = score(
                data,
                &candidates[k].genotype,
                &candidate_config(cfg, steps[r]),
                &parts,
                device,
                &mut report,
            )?;
            let seconds = begun.elapsed().as_secs_f64();
            log.emit(Event::log(
                LogLevel::Info,
                format!(
                    "candidate {}, rung {r} ({seconds:.1} s): {}",
                    k + 1,
                    text(s, metric)
                ),
            ))?;
            let c = &mut candidates[k];
            c.val_metric = s;
            c.seconds += seconds;
            c.rung = r;
            c.scores.push(s);
        }
        rungs.push(Rung {
            steps_per_epoch: steps[r],
            candidates: n,
            seconds: rung_start.elapsed().as_secs_f64(),
        });
    }
    let sampling_seconds = started.elapsed().as_secs_f64();
    let top = rungs.len() - 1;
    let best = best_index_at(&candidates, top, higher).ok_or_else(|| {
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
            "random search: {} candidates in {sampling_seconds:.1} s over {} rungs; retraining candidate {} (best of {} on validation)",
            candidates.len(),
            rungs.len(),
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
        candidate_epochs,
        rungs,
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

/// A score as the log shows it.
fn text(score: Option<f64>, metric: &str) -> String {
    score.map_or("diverged".into(), |m| format!("validation {metric} {m:.4}"))
}

/// Better candidates first (diverged ones last; equals keep their order).
fn rank(a: &Candidate, b: &Candidate, higher_is_better: bool) -> std::cmp::Ordering {
    let key = |c: &Candidate| c.val_metric.filter(|m| m.is_finite());
    match (key(a), key(b)) {
        (Some(x), Some(y)) if higher_is_better => y.total_cmp(&x),
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// The best candidate of rung `rung` on validation; None when all of them diverged.
pub fn best_index_at(
    candidates: &[Candidate],
    rung: usize,
    higher_is_better: bool,
) -> Option<usize> {
    let at: Vec<usize> = (0..candidates.len())
        .filter(|&k| candidates[k].rung == rung)
        .collect();
    let subset: Vec<Candidate> = at.iter().map(|&k| candidates[k].clone()).collect();
    best_index(&subset, higher_is_better).map(|i| at[i])
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
