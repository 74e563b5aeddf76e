//! `/api/runs`: create (validated, queued), list, read, cancel, resume, delete, artifacts.
use super::auth::{readable_run, Access};
use super::{body, ApiError, ApiResult, AppState, Body, State};
use crate::store::{DatasetRow, NewRun, Status, Store};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::{Extension, Json};
use engine::config::{FieldError, SearchConfig};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
pub struct CreateRun {
    pub dataset_id: Option<String>,
    pub kind: Option<String>,
    pub config: Option<Value>,
    /// Training and baseline runs: the search whose result they start from.
    #[serde(default)]
    pub source_run: Option<i64>,
    /// Training runs: a named genotype or a genotype object.
    #[serde(default)]
    pub genotype: Option<Value>,
    /// Baseline runs: resnet18, resnet10 or random.
    #[serde(default)]
    pub baseline: Option<String>,
    /// Repeat the run with this many seeds, as a group.
    #[serde(default)]
    pub seeds: Option<u64>,
    /// Searches: retrain the cell and run the baselines when it succeeds (`preset`, `device`).
    #[serde(default)]
    pub study: Option<Value>,
}

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    pub token: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    dataset: Option<String>,
    kind: Option<String>,
}

pub fn unprocessable(errors: Vec<FieldError>) -> ApiError {
    let list: Vec<Value> = errors
        .iter()
        .map(|e| json!({"field": e.field, "message": e.message}))
        .collect();
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        body: json!({ "errors": list }),
        retry_after: None,
    }
}

pub fn field(name: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: name.into(),
        message: message.into(),
    }
}

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
    let study = body.study.as_ref().map(super::groups::study).transpose()?;
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

/// 429 unless `n` more runs fit in the queue; 507 or 503 (nothing stored) when the data
/// directory is below its free-space reserve or cannot be written. The answer holds the queue's
/// admission until it is dropped: insert the runs before, so parallel requests cannot pass the
/// limit together.
pub async fn room(state: &AppState, n: u64) -> ApiResult<tokio::sync::MutexGuard<'_, ()>> {
    writable(state).await?;
    let admitted = state.admission.lock().await;
    let queued = state.store.count_status(Status::Queued).await?;
    if queued + n as i64 > state.limits.queued_runs {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "{queued} runs are already queued and {n} more would pass the limit of {} (dartboard serve --max-queued); wait for some to start",
                state.limits.queued_runs
            ),
        ));
    }
    Ok(admitted)
}

/// 507 or 503 unless the data directory keeps its reserve free and can be written.
pub async fn writable(state: &AppState) -> ApiResult<()> {
    let (dir, reserve) = (state.data_dir.clone(), state.limits.min_free_bytes);
    let checked = tokio::task::spawn_blocking(move || crate::faults::check_writable(&dir, reserve))
        .await
        .map_err(ApiError::internal)?;
    checked.map_err(|f| ApiError::fault(f, format!("{} before writing", state.data_dir.display())))
}

/// The request's top-level keys.
const KEYS: [&str; 8] = [
    "dataset_id",
    "kind",
    "config",
    "source_run",
    "genotype",
    "baseline",
    "seeds",
    "study",
];

/// A request body read strictly: an object of known keys, each where its kind of run takes it.
pub fn parse_create(v: Value) -> ApiResult<CreateRun> {
    let Value::Object(map) = &v else {
        return Err(unprocessable(vec![field(
            "body",
            "must be a JSON object: {\"dataset_id\", \"kind\", \"config\", ...}",
        )]));
    };
    let mut errors: Vec<FieldError> = map
        .keys()
        .filter(|k| !KEYS.contains(&k.as_str()))
        .map(|k| field(k, format!("unknown key '{k}'; the request takes {KEYS:?}")))
        .collect();
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("search");
    let misplaced: &[&str] = match kind {
        "search" => &["source_run", "genotype", "baseline"],
        "train" => &["baseline", "study"],
        "baseline" => &["genotype", "study"],
        _ => &[],
    };
    for k in misplaced.iter().filter(|k| map.contains_key(**k)) {
        errors.push(field(k, format!("a {kind} run does not take '{k}'")));
    }
    if !errors.is_empty() {
        // The config's own errors too, so that one answer names every bad field.
        if let Some(Value::Object(layer)) = map.get("config") {
            let config_errors = match kind {
                "train" | "baseline" => engine::retrain::config::TrainConfig::resolve(layer).err(),
                _ => SearchConfig::resolve(std::slice::from_ref(layer)).err(),
            };
            errors.extend(config_errors.unwrap_or_default());
        }
        return Err(unprocessable(errors));
    }
    serde_json::from_value(v).map_err(|e| unprocessable(vec![field("body", e.to_string())]))
}

pub async fn create(state: State, request: Body<Value>) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = parse_create(body(request)?)?;
    let seeds = super::groups::seeds(body.seeds)?;
    let new = prepare(&state.store, body).await?;
    let admitted = room(&state, seeds).await?;
    let ids = super::groups::insert(&state.store, &state.hub, new, seeds).await?;
    drop(admitted);
    state.runner.poke();
    let first = ids.first().copied().unwrap_or(0);
    let group = (ids.len() > 1).then_some(first);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": first, "ids": ids, "group": group })),
    ))
}

pub async fn list(state: State, Query(q): Query<ListQuery>) -> ApiResult<Json<Value>> {
    let runs: Vec<_> = state
        .store
        .runs()
        .await?
        .into_iter()
        .filter(|r| q.status.as_deref().is_none_or(|s| r.status.as_str() == s))
        .filter(|r| q.dataset.as_deref().is_none_or(|d| r.dataset_id == d))
        .filter(|r| q.kind.as_deref().is_none_or(|k| r.kind == k))
        .collect();
    Ok(Json(
        serde_json::to_value(runs).map_err(ApiError::internal)?,
    ))
}

pub async fn get(
    state: State,
    Path(id): Path<i64>,
    Extension(access): Extension<Access>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Value>> {
    let run = readable_run(&state, access, q.token.as_deref(), id).await?;
    let mut v = serde_json::to_value(&run).map_err(ApiError::internal)?;
    let end = run.finished_at.unwrap_or_else(crate::store::now);
    v["seconds"] = run.started_at.map(|s| end - s).into();
    Ok(Json(v))
}

pub async fn cancel(state: State, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let run = state.store.run(id).await?.ok_or_else(ApiError::not_found)?;
    if let Some(owner) = run.owner.as_deref().filter(|o| {
        run.status == Status::Running && run.job_id.is_none() && *o != state.runner.owner()
    }) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "run {id} runs as a child process of server {owner}; cancel it through that server"
            ),
        ));
    }
    if !state.runner.cancel(id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("run {id} is {}, not queued or running", run.status.as_str()),
        ));
    }
    Ok(Json(json!({"id": id, "cancelling": true})))
}

pub async fn resume(state: State, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let run = state.store.run(id).await?.ok_or_else(ApiError::not_found)?;
    if !state.runner.resume(id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "run {id} is {}; only interrupted, failed or cancelled runs resume",
                run.status.as_str()
            ),
        ));
    }
    Ok(Json(json!({"id": id, "status": "queued"})))
}

pub async fn delete(state: State, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let run = state.store.run(id).await?.ok_or_else(ApiError::not_found)?;
    if !state.store.delete_run(id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("run {id} is {}; cancel it first", run.status.as_str()),
        ));
    }
    state.hub.forget(id);
    let dir = crate::runner::run_dir(&state.data_dir, id);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::debug!("{}: {e}", dir.display());
    }
    Ok(StatusCode::NO_CONTENT)
}
