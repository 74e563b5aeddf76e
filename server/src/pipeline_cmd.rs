//! `dartboard pipeline --data PATH [--preset NAME] [--seeds N] [--device D] [--KEY VALUE ...]
//! [--train-KEY VALUE ...] --out DIR`: the whole study in one command. For each seed: a search
//! (its supernet scored on the test split), the discovered cell retrained, the supernet pruned to
//! that cell and fine-tuned, ResNet-18 and ResNet-10 trained with the same recipe, and a random
//! search with the search's seconds whose best candidate is retrained the same way. Then
//! `comparison.json` (mean and sd over the seeds) and `comparison.svg`. `--KEY VALUE` sets a
//! search key over the preset (`--strategy pc-darts`), `--train-KEY VALUE` a training key.
//! With `--strategy proxyless` each seed's search finds layers, retrained the same way next to
//! the ResNets; pruning and random search work on cells and are left out.
use crate::args::Args;
use crate::progress::run_job;
use crate::train_cmd::{preset_arg, refuse_non_empty, train, Trainee};
use anyhow::{anyhow, Context, Result};
use engine::config::SearchConfig;
use engine::resnet::Depth;
use engine::retrain::config::TrainConfig;
use engine::retrain::net::Architecture;
use engine::retrain::random::{Budget, Space};
use engine::search::pruned::PrunedSource;
use engine::search::Outcome;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// One method at one seed.
struct Measure {
    test_metric: Option<f64>,
    params: Option<i64>,
    macs: Option<i64>,
    /// Batch-1 milliseconds and batch-64 images per second of a trained network.
    speed: Option<engine::latency::Speed>,
    search_seconds: Option<f64>,
    train_seconds: Option<f64>,
}

impl Measure {
    /// A trained network; `search_seconds` for what found it.
    fn trained(r: &engine::retrain::TrainResult, search_seconds: Option<f64>) -> Measure {
        Measure {
            test_metric: Some(r.test_metric),
            params: Some(r.params),
            macs: r.macs,
            speed: r.speed,
            search_seconds,
            train_seconds: Some(r.seconds),
        }
    }
}

fn search(
    data: &engine::data::Dataset,
    cfg: &SearchConfig,
    out: &Path,
    tables: &Path,
) -> Result<Outcome> {
    run_job(|cancel, listener| {
        engine::search::run_any(data, cfg, out, Some(tables), cancel, listener)
    })
    .map_err(|p| anyhow!("search failed: {p}"))?
    .map_err(|e| anyhow!("search failed: {e}"))
}

/// ResNet-18 and ResNet-10 trained with a seed's recipe into its folder.
fn resnets(
    data: &engine::data::Dataset,
    tcfg: &TrainConfig,
    dir: &Path,
    r18: &mut Vec<Measure>,
    r10: &mut Vec<Measure>,
) -> Result<()> {
    for (depth, list) in [(Depth::ResNet18, r18), (Depth::ResNet10, r10)] {
        let r = train(
            data,
            &Trainee::Network(Architecture::ResNet(depth), None),
            tcfg,
            &dir.join(depth.name()),
        )?;
        list.push(Measure::trained(&r, None));
    }
    Ok(())
}

fn row(method: &str, measures: &[Measure]) -> Value {
    let metrics: Vec<f64> = measures.iter().filter_map(|m| m.test_metric).collect();
    let (mean, sd) = crate::api::comparison::mean_sd(&metrics);
    let avg = |v: Vec<f64>| crate::api::comparison::mean_sd(&v).0;
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
    })
}

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
    let searched =
        SearchConfig::resolve(&[search_layer]).map_err(|e| crate::search_cmd::config_errors(&e))?;
    let recipe = crate::train_cmd::resolve(Some(&preset_name), &train_flags)?;
    refuse_non_empty(&out)?;
    let data = crate::data_cmd::open(&data_arg, &data_dir, &import)?;
    let (mut supernet, mut cell, mut r18, mut r10) = (vec![], vec![], vec![], vec![]);
    let mut pruned = vec![];
    let (mut random, mut candidates) = (vec![], vec![]);
    let (mut metric, mut higher) = (String::new(), true);
    let tables = crate::latency_cmd::tables_dir(&data_dir);
    for s in 0..seeds {
        let dir = out.join(format!("seed-{s}"));
        let scfg = SearchConfig {
            seed: s,
            device: device.clone(),
            ..searched.clone()
        };
        let tcfg = TrainConfig {
            seed: s,
            device: device.clone(),
            ..recipe.clone()
        };
        let found = match search(&data, &scfg, &dir.join("search"), &tables)? {
            Outcome::Cell(found) => found,
            Outcome::Layers(found) => {
                metric = found.metric.clone();
                higher = found.higher_is_better;
                supernet.push(Measure {
                    test_metric: found.supernet_test_metric,
                    params: Some(found.weights),
                    macs: Some(found.macs),
                    speed: None,
                    search_seconds: Some(found.seconds),
                    train_seconds: None,
                });
                let t = train(
                    &data,
                    &Trainee::Network(Architecture::Proxyless(found.architecture.clone()), None),
                    &tcfg,
                    &dir.join("train"),
                )?;
                cell.push(Measure::trained(&t, Some(found.seconds)));
                resnets(&data, &tcfg, &dir, &mut r18, &mut r10)?;
                continue;
            }
        };
        metric = found.metric.clone();
        higher = found.higher_is_better;
        supernet.push(Measure {
            test_metric: found.supernet_test_metric,
            params: Some(found.weights),
            macs: found.macs,
            speed: None,
            search_seconds: Some(found.seconds),
            train_seconds: None,
        });
        let t = train(
            &data,
            &Trainee::Network(Architecture::Cell(found.genotype.clone()), None),
            &tcfg,
            &dir.join("train"),
        )?;
        cell.push(Measure::trained(&t, Some(found.seconds)));
        let source = PrunedSource::open(&dir.join("search")).map_err(|e| anyhow!("{e}"))?;
        let p = train(
            &data,
            &Trainee::Network(Architecture::Pruned(Box::new(source)), None),
            &tcfg,
            &dir.join("pruned"),
        )?;
        pruned.push(Measure::trained(&p, Some(found.seconds)));
        resnets(&data, &tcfg, &dir, &mut r18, &mut r10)?;
        // Sampling gets the search's seconds; the retraining uses the cell's recipe.
        let r = train(
            &data,
            &Trainee::Random(
                Space::of(&scfg),
                Budget::Search {
                    seconds: found.seconds,
                },
            ),
            &tcfg,
            &dir.join("random"),
        )?;
        let sampled = r.random_search.as_ref();
        candidates.push(sampled.map_or(0, |s| s.candidates.len()));
        random.push(Measure::trained(&r, sampled.map(|s| s.sampling_seconds)));
    }
    let enas = searched.strategy == engine::config::StrategyKind::Enas;
    let rows: Vec<Value> = if searched.strategy.searches_cells() {
        vec![
            row(
                if enas {
                    "ENAS shared weights through the kept cell (during search)"
                } else {
                    "DARTS supernet (during search)"
                },
                &supernet,
            ),
            row(
                if enas {
                    "ENAS cell, retrained"
                } else {
                    "DARTS cell, retrained"
                },
                &cell,
            ),
            row(
                if enas {
                    crate::api::comparison::ENAS_PRUNED_METHOD
                } else {
                    crate::api::comparison::PRUNED_METHOD
                },
                &pruned,
            ),
            row("ResNet-18", &r18),
            row("ResNet-10", &r10),
            row(&crate::api::comparison::random_method(&candidates), &random),
        ]
    } else {
        vec![
            row(
                "ProxylessNAS supernet, most likely path (during search)",
                &supernet,
            ),
            row("ProxylessNAS network, retrained", &cell),
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
    let comparison = json!({
        "data": data.name,
        "preset": preset_name,
        // What searched: the method's strategy, regulariser and selection.
        "strategy": searched.strategy,
        "alpha_reg": searched.alpha_reg,
        "selection": searched.selection,
        "seeds": seeds,
        "metric": metric,
        "higher_is_better": higher,
        "rows": rows,
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
