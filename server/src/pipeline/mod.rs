//! `dartboard pipeline --data PATH [--preset NAME] [--seeds N] [--device D] [--KEY VALUE ...]
//! [--train-KEY VALUE ...] --out DIR`: the whole study in one command. For each seed: a search
//! (its supernet scored on the test split), the discovered cell retrained, the supernet pruned to
//! that cell and fine-tuned, ResNet-18 and ResNet-10 trained with the same recipe, and a random
//! search with the search's seconds whose best candidate is retrained the same way. Then
//! `comparison.json` (mean and sd over the seeds) and `comparison.svg`. `--KEY VALUE` sets a
//! search key over the preset (`--strategy pc-darts`), `--train-KEY VALUE` a training key.
//! With `--strategy proxyless` each seed's search finds layers, retrained the same way next to
//! the ResNets; pruning and random search work on cells and are left out.
//!
//! `--budget 15m` (else the preset's, `Preset::study_seconds`) is one seed's wall-clock time,
//! split by `engine::budget`'s rule; every training holds out part of its samples, keeps its best
//! epoch and stops on a plateau or when its share is spent. The comparison ends with the
//! verdict (`verdict`): the derived network against every other, paired on the test images.
mod measure;
mod resume;
mod verdict;

use measure::{row, Measure};

use crate::args::Args;
use crate::progress::run_job;
use crate::train_cmd::{preset_arg, refuse_non_empty, train, Trainee};
use anyhow::{anyhow, Context, Result};
use engine::budget::Plan;
use engine::config::SearchConfig;
use engine::method::Outcome;
use engine::resnet::Depth;
use engine::retrain::config::TrainConfig;
use engine::retrain::net::Architecture;
use engine::retrain::random::{Budget, Space};
use engine::search::pruned::PrunedSource;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn search(
    data: &engine::data::Dataset,
    cfg: &SearchConfig,
    out: &Path,
    tables: &Path,
) -> Result<Outcome> {
    run_job(|cancel, listener| engine::method::run(data, cfg, out, Some(tables), cancel, listener))
        .map_err(|p| anyhow!("search failed: {p}"))?
        .map_err(|e| anyhow!("search failed: {e}"))
}

/// One seed's recipe for its next training: the preset's, with its share of the budget.
struct Trainings<'a> {
    recipe: &'a TrainConfig,
    plan: Option<Plan>,
    /// Seconds kept for random search's sampling until it runs (the search's seconds).
    reserved: f64,
}

impl Trainings<'_> {
    /// The recipe for the next training, keeping `reserved` seconds of the budget for what
    /// is not a training.
    fn next(&mut self, reserved: f64) -> TrainConfig {
        match &mut self.plan {
            Some(plan) => TrainConfig {
                seconds: Some(plan.next_training(reserved)),
                ..self.recipe.clone()
            },
            None => self.recipe.clone(),
        }
    }

    fn train(
        &mut self,
        data: &engine::data::Dataset,
        what: &Trainee,
        dir: &Path,
        search_seconds: Option<f64>,
    ) -> Result<Measure> {
        let cfg = self.next(self.reserved);
        let r = train(data, what, &cfg, dir)?;
        Ok(Measure::trained(&r, search_seconds, dir))
    }
}

/// ResNet-18 and ResNet-10 trained with a seed's recipe into its folder.
fn resnets(
    data: &engine::data::Dataset,
    trainings: &mut Trainings,
    dir: &Path,
    r18: &mut Vec<Measure>,
    r10: &mut Vec<Measure>,
) -> Result<()> {
    for (depth, list) in [(Depth::ResNet18, r18), (Depth::ResNet10, r10)] {
        let what = Trainee::Network(Architecture::ResNet(depth), None);
        list.push(trainings.train(data, &what, &dir.join(depth.name()), None)?);
    }
    Ok(())
}

/// The most epochs a budgeted search or training may run: the budget stops it long before.
const BUDGET_SEARCH_EPOCHS: usize = 100;
const BUDGET_TRAIN_EPOCHS: usize = 500;

pub fn run(mut args: Args) -> Result<()> {
    let out = PathBuf::from(
        args.take("out")
            .ok_or_else(|| anyhow!("--out DIR is required"))?,
    );
    let data_arg = args
        .take("data")
        .ok_or_else(|| anyhow!("--data PATH is required"))?;
    let preset_name = args.take("preset").unwrap_or_else(|| "quick".into());
    preset_arg(&preset_name)?;
    let seeds: u64 = args
        .take("seeds")
        .map(|s| {
            s.parse()
                .map_err(|_| anyhow!("--seeds: expected a whole number, got '{s}'"))
        })
        .transpose()?
        .unwrap_or(1)
        .max(1);
    let device = args.take("device").unwrap_or_else(|| "auto".into());
    let resuming = args.flag("resume");
    let budget = match args.take("budget") {
        Some(text) => Some(engine::budget::parse(&text).map_err(|m| anyhow!("--budget: {m}"))?),
        None => preset_arg(&preset_name)?.study_seconds(),
    };
    let data_dir = PathBuf::from(
        args.take("data-dir")
            .unwrap_or_else(|| crate::data_cmd::DEFAULT_DATA_DIR.into()),
    );
    let import = crate::data_cmd::import_options(&mut args)?;
    let (mut search_layer, mut train_flags) = (serde_json::Map::new(), vec![]);
    search_layer.insert("preset".into(), json!(preset_name));
    for (key, text) in args.into_rest() {
        match key
            .strip_prefix("train_")
            .or_else(|| key.strip_prefix("train-"))
        {
            Some(k) => train_flags.push((k.to_string(), text)),
            None => {
                search_layer.insert(key.clone(), engine::config::flag_value(&key, &text));
            }
        }
    }
    let explicit_epochs = search_layer.contains_key("epochs");
    let mut searched =
        SearchConfig::resolve(&[search_layer]).map_err(|e| crate::search_cmd::config_errors(&e))?;
    let mut recipe = crate::train_cmd::resolve(Some(&preset_name), &train_flags)?;
    if budget.is_some() {
        // The budget decides how long each part runs; epochs are only the most it may run.
        if !explicit_epochs && searched.seconds.is_none() {
            searched.epochs = searched.epochs.max(BUDGET_SEARCH_EPOCHS);
        }
        if !train_flags.iter().any(|(k, _)| k == "epochs") {
            recipe.epochs = recipe.epochs.max(BUDGET_TRAIN_EPOCHS);
        }
    }
    if !resuming {
        refuse_non_empty(&out)?;
    }
    let data = crate::data_cmd::open(&data_arg, &data_dir, &import)?;
    let (mut supernet, mut cell, mut r18, mut r10) = (vec![], vec![], vec![], vec![]);
    let mut pruned = vec![];
    let (mut random, mut candidates) = (vec![], vec![]);
    let (mut metric, mut higher) = (String::new(), true);
    let tables = crate::latency_cmd::tables_dir(&data_dir);
    // Each seed's wall-clock seconds (read back with the seeds `--resume` keeps).
    let mut seed_seconds: Vec<f64> = vec![];
    for s in 0..seeds {
        let dir = out.join(format!("seed-{s}"));
        let cells = engine::method::of(searched.strategy).finds_cell();
        let seed_started = std::time::Instant::now();
        let plan = budget.map(|b| Plan::new(b, if cells { 5 } else { 3 }));
        let mut scfg = SearchConfig {
            seed: s,
            device: device.clone(),
            ..searched.clone()
        };
        // Only the DARTS family plans its epochs by seconds; ENAS and ProxylessNAS count them.
        if let (Some(p), None, true) = (&plan, scfg.seconds, scfg.validate().is_empty()) {
            let timed = SearchConfig {
                seconds: Some(p.search_seconds()),
                ..scfg.clone()
            };
            if timed.validate().is_empty() {
                scfg = timed;
            }
        }
        if resuming {
            if let Some(seed) = resume::finished(&dir, cells) {
                resume::same_config(&dir, &scfg)?;
                eprintln!(
                    "seed {s}: finished before, read back from {}",
                    dir.display()
                );
                seed_seconds.push(resume::seconds(&dir, &seed));
                metric = seed.metric;
                higher = seed.higher_is_better;
                supernet.push(seed.supernet);
                for (part, m) in seed.trained {
                    match part.as_str() {
                        "train" => cell.push(m),
                        "pruned" => pruned.push(m),
                        "resnet18" => r18.push(m),
                        "resnet10" => r10.push(m),
                        _ => random.push(m),
                    }
                }
                if cells {
                    candidates.push(seed.candidates.unwrap_or(0));
                }
                continue;
            }
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("{}: a half-done seed", dir.display()))?;
            }
        }
        let tcfg = TrainConfig {
            seed: s,
            device: device.clone(),
            ..recipe.clone()
        };
        let mut trainings = Trainings {
            recipe: &tcfg,
            plan,
            reserved: 0.0,
        };
        let found = match search(&data, &scfg, &dir.join("search"), &tables)? {
            Outcome::Cell(found) => found,
            Outcome::Layers(found) => {
                metric = found.metric.clone();
                higher = found.higher_is_better;
                supernet.push(Measure::searched(
                    found.supernet_test_metric,
                    found.weights,
                    Some(found.macs),
                    found.seconds,
                ));
                let what =
                    Trainee::Network(Architecture::Proxyless(found.architecture.clone()), None);
                cell.push(trainings.train(
                    &data,
                    &what,
                    &dir.join("train"),
                    Some(found.seconds),
                )?);
                resnets(&data, &mut trainings, &dir, &mut r18, &mut r10)?;
                seed_seconds.push(resume::record(&dir, seed_started)?);
                continue;
            }
        };
        metric = found.metric.clone();
        higher = found.higher_is_better;
        supernet.push(Measure::searched(
            found.supernet_test_metric,
            found.weights,
            found.macs,
            found.seconds,
        ));
        // Random search samples for as long as the search took: kept aside until it runs.
        trainings.reserved = found.seconds;
        let what = Trainee::Network(Architecture::Cell(found.genotype.clone()), None);
        cell.push(trainings.train(&data, &what, &dir.join("train"), Some(found.seconds))?);
        let source = PrunedSource::open(&dir.join("search")).map_err(|e| anyhow!("{e}"))?;
        let what = Trainee::Network(Architecture::Pruned(Box::new(source)), None);
        pruned.push(trainings.train(&data, &what, &dir.join("pruned"), Some(found.seconds))?);
        resnets(&data, &mut trainings, &dir, &mut r18, &mut r10)?;
        // Sampling gets the search's seconds; the retraining uses the cell's recipe and what is
        // left of the budget after the sampling.
        trainings.reserved = 0.0;
        let rcfg = trainings.next(found.seconds);
        let what = Trainee::Random(
            Space::of(&scfg),
            Budget::Search {
                seconds: found.seconds,
            },
        );
        let r = train(&data, &what, &rcfg, &dir.join("random"))?;
        let sampled = r.random_search.as_ref();
        candidates.push(sampled.map_or(0, |s| s.candidates.len()));
        random.push(Measure::trained(
            &r,
            sampled.map(|s| s.sampling_seconds),
            &dir.join("random"),
        ));
        seed_seconds.push(resume::record(&dir, seed_started)?);
        if let Some(p) = &trainings.plan {
            eprintln!(
                "seed {s}: {:.0} s of the budget's {:.0} s",
                p.elapsed(),
                p.seconds
            );
        }
    }
    let method = engine::method::of(searched.strategy);
    let retrained = format!("{}, retrained", method.found());
    let rows: Vec<Value> = if let Some(pruned_row) = method.pruned_row() {
        vec![
            row(method.supernet_row(), &supernet),
            row(&retrained, &cell),
            row(pruned_row, &pruned),
            row("ResNet-18", &r18),
            row("ResNet-10", &r10),
            row(&crate::api::rows::random_method(&candidates), &random),
        ]
    } else {
        vec![
            row(method.supernet_row(), &supernet),
            row(&retrained, &cell),
            row("ResNet-18", &r18),
            row("ResNet-10", &r10),
        ]
    };
    let labels: Vec<String> = rows
        .iter()
        .map(|r| r["method"].as_str().unwrap_or("").to_string())
        .collect();
    let values: Vec<f64> = rows
        .iter()
        .map(|r| r["test_metric_mean"].as_f64().unwrap_or(0.0))
        .collect();
    let verdict = if method.pruned_row().is_some() {
        verdict::study(
            &[(labels[1].as_str(), &cell), (labels[2].as_str(), &pruned)],
            &[
                (labels[3].as_str(), &r18),
                (labels[4].as_str(), &r10),
                (labels[5].as_str(), &random),
            ],
            &metric,
            higher,
        )
    } else {
        verdict::study(
            &[(labels[1].as_str(), &cell)],
            &[(labels[2].as_str(), &r18), (labels[3].as_str(), &r10)],
            &metric,
            higher,
        )
    };
    let comparison = json!({
        "data": data.name,
        "preset": preset_name,
        // One seed's wall-clock budget, and what the study took per seed.
        "budget_seconds": budget,
        "seconds_per_seed": crate::api::rows::mean_sd(&seed_seconds).0,
        "symmetry": data.symmetry,
        // What searched: the method's strategy, regulariser and selection.
        "strategy": searched.strategy,
        "alpha_reg": searched.alpha_reg,
        "selection": searched.selection,
        "seeds": seeds,
        "metric": metric,
        "higher_is_better": higher,
        "rows": rows,
        "verdict": verdict,
    });
    let path = out.join("comparison.json");
    std::fs::write(&path, serde_json::to_string_pretty(&comparison)?)
        .with_context(|| path.display().to_string())?;
    let chart = app::charts::bars(
        &labels,
        &values,
        &format!("test {metric} (mean of {seeds})"),
    );
    let svg = out.join("comparison.svg");
    std::fs::write(&svg, chart).with_context(|| svg.display().to_string())?;
    println!("{}", serde_json::to_string(&comparison)?);
    Ok(())
}
