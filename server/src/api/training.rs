//! `POST /api/runs` for `train` and `baseline` runs: the network to train (a search's genotype,
//! or a ProxylessNAS search's layers, by `source_run`; a named or uploaded `genotype`; or a `baseline`: resnet18, resnet10, or random search matched to the source search), the dataset (the source's
//! unless given) and the training config, every bad field named at once.
use super::error::ApiResult;
use super::request::{field, unprocessable, CreateRun};
use crate::store::{DatasetRow, RunRow, Status, Store};
use engine::config::{FieldError, SearchConfig};
use engine::genotype::Genotype;
use engine::retrain::config::TrainConfig;
use engine::retrain::random::{Budget, Space};
use serde_json::{json, Map, Value};

/// A checked training request: what the job file and the run row get.
pub struct Training {
    pub config: Value,
    pub dataset: DatasetRow,
    pub source_run: Option<i64>,
    /// The job's extra fields: `genotype` (an object), `layers` (ProxylessNAS's) or `baseline`.
    pub job: Map<String, Value>,
}

fn genotype_of(v: &Value, errors: &mut Vec<FieldError>) -> Option<Genotype> {
    let g = match v {
        Value::String(name) => Genotype::named(name).map_err(|e| e.to_string()),
        other => serde_json::from_value::<Genotype>(other.clone())
            .map_err(|e| format!("not a genotype: {e}"))
            .and_then(|g| g.validate().map(|_| g).map_err(|e| e.to_string())),
    };
    g.map_err(|m| errors.push(field("genotype", m))).ok()
}

/// What a search found: a cell, or ProxylessNAS's layers.
enum Found {
    Cell(Genotype),
    Layers(Value),
}

/// The source run's cell: it must be a cell search that succeeded (`what` needs the cell).
fn searched_cell(source: &RunRow, what: &str, errors: &mut Vec<FieldError>) -> Option<Genotype> {
    match searched(source, errors)? {
        Found::Cell(g) => Some(g),
        Found::Layers(_) => {
            errors.push(field(
                "source_run",
                format!(
                    "run {} searched ProxylessNAS's layers, not a cell: {what}",
                    source.id
                ),
            ));
            None
        }
    }
}

/// What the source run found: it must be a search that succeeded.
fn searched(source: &RunRow, errors: &mut Vec<FieldError>) -> Option<Found> {
    if source.kind != "search" || source.status != Status::Succeeded {
        errors.push(field(
            "source_run",
            format!(
                "run {} is a {} run that is {}; retraining needs a search that succeeded",
                source.id,
                source.kind,
                source.status.as_str()
            ),
        ));
        return None;
    }
    if !engine::method::of_config(&source.config).finds_cell() {
        let layers = source.result.as_ref().map(|r| r["architecture"].clone());
        return match layers
            .clone()
            .map(serde_json::from_value::<engine::proxyless::space::Architecture>)
        {
            Some(Ok(_)) => Some(Found::Layers(layers.unwrap_or_default())),
            _ => {
                errors.push(field(
                    "source_run",
                    format!("run {} has no architecture in its result", source.id),
                ));
                None
            }
        };
    }
    let g = source.result.as_ref().map(|r| r["genotype"].clone());
    match g.map(serde_json::from_value::<Genotype>) {
        Some(Ok(g)) => Some(Found::Cell(g)),
        _ => {
            errors.push(field(
                "source_run",
                format!("run {} has no genotype in its result", source.id),
            ));
            None
        }
    }
}

/// A random search's space (the source search's ops, nodes and holdout) and budget (its
/// wall-clock seconds): the source must be a search that succeeded.
fn random_space(source: &RunRow, errors: &mut Vec<FieldError>) -> Option<(Space, Budget)> {
    searched_cell(
        source,
        "random search samples cells of a cell search's space",
        errors,
    )?;
    let cfg: SearchConfig = match serde_json::from_value(source.config.clone()) {
        Ok(c) => c,
        Err(e) => {
            errors.push(field(
                "source_run",
                format!("run {} has no readable search config: {e}", source.id),
            ));
            return None;
        }
    };
    let seconds = source
        .result
        .as_ref()
        .and_then(|r| r["seconds"].as_f64())
        .unwrap_or(0.0);
    Some((Space::of(&cfg), Budget::Search { seconds }))
}

pub async fn validate(store: &Store, kind: &str, body: CreateRun) -> ApiResult<Training> {
    let mut errors = vec![];
    let mut job = Map::new();
    let source = match body.source_run {
        Some(id) => {
            let r = store.run(id).await?;
            if r.is_none() {
                errors.push(field("source_run", format!("no run {id}")));
            }
            r
        }
        None => None,
    };
    match kind {
        "train" => {
            let found = match (&body.genotype, &source) {
                (Some(v), None) => genotype_of(v, &mut errors).map(Found::Cell),
                (None, Some(s)) => searched(s, &mut errors),
                (Some(_), Some(_)) => {
                    errors.push(field("genotype", "give source_run or genotype, not both"));
                    None
                }
                (None, None) if body.source_run.is_some() => None,
                (None, None) => {
                    errors.push(field("genotype", "required: a source_run, a named genotype (darts-v1, darts-v2) or a genotype object"));
                    None
                }
            };
            match found {
                Some(Found::Cell(g)) => {
                    job.insert("genotype".into(), json!(g));
                }
                Some(Found::Layers(_))
                    if body.dataset_id.is_some()
                        && body.dataset_id.as_deref()
                            != source.as_ref().map(|s| s.dataset_id.as_str()) =>
                {
                    errors.push(field(
                        "dataset_id",
                        "ProxylessNAS's layers were searched for their own dataset's input size and cost; only cells move to other data",
                    ));
                }
                Some(Found::Layers(layers)) => {
                    job.insert("layers".into(), layers);
                }
                None => {}
            }
        }
        _ => match body.baseline.as_deref() {
            Some(b @ ("resnet18" | "resnet10")) => {
                job.insert("baseline".into(), b.into());
            }
            Some("pruned") => match &source {
                Some(s) => {
                    if searched_cell(s, "it has no cell supernet to prune", &mut errors).is_some() {
                        job.insert("baseline".into(), "pruned".into());
                    }
                }
                None if body.source_run.is_some() => {}
                None => errors.push(field(
                    "source_run",
                    "required for a pruned network: the search whose supernet it fine-tunes",
                )),
            },
            Some("random") => match &source {
                Some(s) => {
                    if let Some((space, budget)) = random_space(s, &mut errors) {
                        job.insert("baseline".into(), "random".into());
                        job.insert("space".into(), json!(space));
                        job.insert("budget".into(), json!(budget));
                    }
                }
                None if body.source_run.is_some() => {}
                None => errors.push(field(
                    "source_run",
                    "required for random search: the search whose space and time it matches",
                )),
            },
            Some(other) => errors.push(field(
                "baseline",
                format!("unknown baseline '{other}'; one of resnet18, resnet10, random, pruned"),
            )),
            None => errors.push(field(
                "baseline",
                "required: resnet18, resnet10, random or pruned",
            )),
        },
    }
    let dataset_id = body
        .dataset_id
        .clone()
        .or_else(|| source.as_ref().map(|s| s.dataset_id.clone()));
    let dataset = match dataset_id {
        None => {
            errors.push(field(
                "dataset_id",
                "required (or a source_run to take it from)",
            ));
            None
        }
        Some(id) => {
            let d = store.dataset(&id).await?;
            if d.is_none() {
                errors.push(field("dataset_id", format!("no dataset {id}")));
            }
            d
        }
    };
    let layer = match body.config.unwrap_or_else(|| json!({})) {
        Value::Object(m) => m,
        _ => {
            errors.push(field("config", "must be an object of training keys"));
            Map::new()
        }
    };
    let cfg = TrainConfig::resolve(&layer)
        .map_err(|mut e| errors.append(&mut e))
        .ok();
    if let Some(cfg) = &cfg {
        if let Err(m) = engine::device::parse(&cfg.device) {
            errors.push(field("device", m));
        }
    }
    match (cfg, dataset, errors.is_empty()) {
        (Some(cfg), Some(dataset), true) => Ok(Training {
            config: serde_json::to_value(&cfg).map_err(super::error::ApiError::internal)?,
            dataset,
            source_run: body.source_run,
            job,
        }),
        _ => Err(unprocessable(errors)),
    }
}
