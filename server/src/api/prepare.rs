//! A checked request as the run to insert: a search's config resolved against its dataset
//! (with a study's budget), or a training run's or baseline's (`training`).
use super::error::{ApiError, ApiResult};
use super::request::{field, study, unprocessable, CreateRun};
use crate::store::{DatasetRow, NewRun, Store};
use engine::config::SearchConfig;
use serde_json::{json, Map, Value};

/// The request checked: every bad field is reported at once (422).
pub async fn validate(
    store: &Store,
    dataset_id: Option<&str>,
    kind: &str,
    config: Option<Value>,
) -> ApiResult<(SearchConfig, DatasetRow)> {
    let mut errors = vec![];
    if kind != "search" {
        errors.push(field(
            "kind",
            format!("unknown run kind '{kind}'; one of search, train, baseline"),
        ));
    }
    let dataset = match dataset_id {
        None => {
            errors.push(field("dataset_id", "required"));
            None
        }
        Some(id) => {
            let d = store.dataset(id).await?;
            if d.is_none() {
                errors.push(field("dataset_id", format!("no dataset {id}")));
            }
            d
        }
    };
    let layer = match config.unwrap_or_else(|| json!({})) {
        Value::Object(m) => m,
        _ => {
            errors.push(field("config", "must be an object of config keys"));
            Map::new()
        }
    };
    let cfg = match SearchConfig::resolve(std::slice::from_ref(&layer)) {
        Ok(cfg) => Some(cfg),
        Err(mut e) => {
            errors.append(&mut e);
            None
        }
    };
    if let (Some(cfg), Some(d)) = (&cfg, &dataset) {
        if let Err(m) = engine::device::parse(&cfg.device) {
            errors.push(field("device", m));
        }
        let task = serde_json::from_value::<engine::data::Task>(d.summary["task"].clone());
        if let Ok(task) = task {
            if let Err(m) = engine::search::searcher::Loss::resolve(cfg.loss, task) {
                errors.push(field("loss", m));
            }
        }
    }
    match (cfg, dataset, errors.is_empty()) {
        (Some(cfg), Some(d), true) => Ok((cfg, d)),
        _ => Err(unprocessable(errors)),
    }
}

/// A checked request as the run to insert: a training run or baseline, or a search.
pub async fn prepare(store: &Store, body: CreateRun) -> ApiResult<NewRun> {
    let kind = body.kind.clone().unwrap_or_else(|| "search".into());
    if kind == "train" || kind == "baseline" {
        if body.study.is_some() {
            return Err(unprocessable(vec![field(
                "study",
                "only a search can ask for a study",
            )]));
        }
        let t = super::training::validate(store, &kind, body).await?;
        let mut request = json!({"kind": kind, "dataset_id": t.dataset.id, "config": t.config, "source_run": t.source_run});
        for (k, v) in t.job {
            request[k] = v;
        }
        return Ok(NewRun {
            kind,
            dataset_id: t.dataset.id.clone(),
            source_run: t.source_run,
            group_id: None,
            request,
            config: t.config,
        });
    }
    let study = body.study.as_ref().map(study).transpose()?;
    let named_epochs = body
        .config
        .as_ref()
        .is_some_and(|c| c.get("epochs").is_some());
    let (mut cfg, d) = validate(store, body.dataset_id.as_deref(), &kind, body.config).await?;
    // A study with a budget: a DARTS-family search plans its epochs for a fifth of it.
    let budget = study.as_ref().and_then(|s| s["budget_seconds"].as_f64());
    if let (Some(b), None) = (budget, cfg.seconds) {
        let timed = engine::config::SearchConfig {
            seconds: Some(b * engine::budget::SEARCH_SHARE),
            epochs: if named_epochs {
                cfg.epochs
            } else {
                cfg.epochs.max(100)
            },
            ..cfg.clone()
        };
        if timed.validate().is_empty() {
            cfg = timed;
        }
    }
    let config = serde_json::to_value(&cfg).map_err(ApiError::internal)?;
    let mut request = json!({"kind": kind, "dataset_id": d.id, "config": config});
    if let Some(s) = study {
        request["study"] = s;
    }
    Ok(NewRun {
        kind,
        dataset_id: d.id.clone(),
        source_run: None,
        group_id: None,
        request,
        config,
    })
}
