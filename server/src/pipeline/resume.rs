//! `dartboard pipeline --resume`: the seeds a study's folder already holds whole are read back
//! from their `result.json` files, so a long study (3 seeds of 15 minutes on four datasets) can
//! be run in pieces and pooled; a seed's folder left half done is studied again from scratch.
use super::measure::Measure;
use engine::retrain::TrainResult;
use serde_json::Value;
use std::path::Path;

/// What a finished seed measured, read back.
pub(super) struct Seed {
    pub(super) metric: String,
    pub(super) higher_is_better: bool,
    pub(super) supernet: Measure,
    /// By sub-folder: train, pruned, resnet18, resnet10, random (those the strategy makes).
    pub(super) trained: Vec<(String, Measure)>,
    /// Random search: how many candidates it sampled.
    pub(super) candidates: Option<usize>,
}

/// The sub-folders a whole seed holds, each with its `result.json`.
pub(super) fn parts(searches_cells: bool) -> &'static [&'static str] {
    if searches_cells {
        &["train", "pruned", "resnet18", "resnet10", "random"]
    } else {
        &["train", "resnet18", "resnet10"]
    }
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The seed in `dir` when every part of it finished; None when any is missing (or unreadable).
pub(super) fn finished(dir: &Path, searches_cells: bool) -> Option<Seed> {
    let search: Value = read(&dir.join("search").join("result.json"))?;
    let seconds = search["seconds"].as_f64()?;
    let mut trained = vec![];
    let mut candidates = None;
    for part in parts(searches_cells) {
        let at = dir.join(part);
        let r: TrainResult = read(&at.join("result.json"))?;
        let sampled = r.random_search.as_ref();
        if *part == "random" {
            candidates = sampled.map(|s| s.candidates.len());
        }
        let search_seconds = match *part {
            "random" => sampled.map(|s| s.sampling_seconds),
            "train" | "pruned" => Some(seconds),
            _ => None,
        };
        trained.push((part.to_string(), Measure::trained(&r, search_seconds, &at)));
    }
    Some(Seed {
        metric: search["metric"].as_str()?.to_string(),
        higher_is_better: search["higher_is_better"].as_bool().unwrap_or(true),
        supernet: Measure::searched(
            search["supernet_test_metric"].as_f64(),
            search["weights"].as_i64()?,
            search["macs"].as_i64(),
            seconds,
        ),
        trained,
        candidates,
    })
}

/// The file a seed's wall-clock seconds are kept in, written when the seed is whole.
const SEED_FILE: &str = "seed.json";

/// Writes the seed's wall-clock seconds since `started`; returns them.
pub(super) fn record(dir: &Path, started: std::time::Instant) -> anyhow::Result<f64> {
    let seconds = started.elapsed().as_secs_f64();
    std::fs::write(
        dir.join(SEED_FILE),
        serde_json::json!({ "seconds": seconds }).to_string(),
    )?;
    Ok(seconds)
}

/// A finished seed's wall-clock seconds: as recorded, or for a seed studied before they were
/// recorded, the sum of what its parts measured (search, trainings, random search's sampling).
pub(super) fn seconds(dir: &Path, seed: &Seed) -> f64 {
    if let Some(v) = read::<Value>(&dir.join(SEED_FILE)).and_then(|v| v["seconds"].as_f64()) {
        return v;
    }
    seed.supernet.search_seconds.unwrap_or(0.0)
        + seed
            .trained
            .iter()
            .map(|(part, m)| {
                m.train_seconds.unwrap_or(0.0)
                    + if part == "random" {
                        m.search_seconds.unwrap_or(0.0)
                    } else {
                        0.0
                    }
            })
            .sum::<f64>()
}

/// Refuses to pool a finished seed searched with another config than this invocation's.
pub(super) fn same_config(dir: &Path, cfg: &engine::config::SearchConfig) -> anyhow::Result<()> {
    let path = dir.join("search").join("config.json");
    let was: Value = read(&path).unwrap_or(Value::Null);
    let now = serde_json::to_value(cfg)?;
    let differ: Vec<&String> = now
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, v)| was.get(k.as_str()) != Some(v))
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    if differ.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "{}: that seed was searched with other values of {differ:?}; --resume pools only seeds of the same study",
            dir.display()
        )
    }
}
