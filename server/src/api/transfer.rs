//! Cells moved to other data: a `train` run whose `source_run` is a search on another dataset
//! trains that search's cell on its own dataset, with the stem rebuilt for its channels and the
//! head for its task. Its run page says where the cell came from and what was rebuilt, and the
//! comparisons of its dataset list it as transferred, next to that dataset's own searches.
use super::error::ApiResult;
use super::request::CreateRun;
use super::rows::trained;
use crate::store::{NewRun, RunRow, Status, Store};
use app::types::ComparisonRow as Row;
use engine::data::about::About;
use serde_json::Value;
use std::collections::HashMap;

/// What a search of `config` finds: "DARTS cell", "ENAS cell" or "ProxylessNAS network".
pub fn found_name(config: &Value) -> &'static str {
    engine::method::of_config(config).found()
}

/// The search `run`'s cell came from, when that search used another dataset than `run`.
pub fn source_of<'a>(run: &RunRow, all: &'a [RunRow]) -> Option<&'a RunRow> {
    if run.kind != "train" {
        return None;
    }
    let source = all.iter().find(|s| Some(s.id) == run.source_run)?;
    (source.kind == "search" && source.dataset_id != run.dataset_id).then_some(source)
}

/// The training run of search `source`'s cell on `dataset`, checked as `POST /api/runs` checks
/// it, seeded as the search was unless `config` says otherwise.
pub async fn new_run(
    store: &Store,
    source: i64,
    dataset: &str,
    config: Value,
) -> ApiResult<NewRun> {
    let mut config = config;
    if config.get("seed").is_none() {
        let seed = store.run(source).await?.map(|r| r.config["seed"].clone());
        config["seed"] = seed.filter(Value::is_u64).unwrap_or(serde_json::json!(0));
    }
    let body = CreateRun {
        dataset_id: Some(dataset.to_string()),
        kind: Some("train".into()),
        config: Some(config),
        source_run: Some(source),
        genotype: None,
        baseline: None,
        seeds: None,
        study: None,
    };
    super::prepare::prepare(store, body).await
}

/// The comparison row's name of cells from search `source` trained elsewhere.
pub fn method(source: &RunRow, names: &HashMap<String, String>) -> String {
    let from = names
        .get(&source.dataset_id)
        .map_or(source.dataset_id.as_str(), String::as_str);
    format!(
        "{} from {from} (search #{}), transferred",
        found_name(&source.config),
        source.id
    )
}

/// The rows of cells transferred to `dataset` that succeeded: one per source search (its seeds
/// averaged), by the source's id.
pub fn rows(dataset: &str, all: &[RunRow], names: &HashMap<String, String>) -> Vec<Row> {
    let mut by_source: Vec<(&RunRow, Vec<&RunRow>)> = vec![];
    for r in all
        .iter()
        .filter(|r| r.dataset_id == dataset && r.status == Status::Succeeded)
    {
        let Some(source) = source_of(r, all) else {
            continue;
        };
        match by_source.iter_mut().find(|(s, _)| s.id == source.id) {
            Some((_, runs)) => runs.push(r),
            None => by_source.push((source, vec![r])),
        }
    }
    by_source.sort_by_key(|(s, _)| s.id);
    by_source
        .into_iter()
        .map(|(source, runs)| {
            let seconds = source.result.as_ref().and_then(|r| r["seconds"].as_f64());
            trained(&method(source, names), &runs, seconds)
        })
        .collect()
}

/// What the run page of a transferred cell says: where it came from, and which ends of the
/// network were rebuilt for the new data (the cell itself is unchanged).
pub fn describe(source: &RunRow, from: &About, to: &About) -> String {
    format!(
        "{} of search #{} on {}, transferred to {}. {}",
        found_name(&source.config),
        source.id,
        from.text(),
        to.text(),
        from.rebuilt(to)
    )
}
