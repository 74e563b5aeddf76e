//! Seed groups and studies.
//!
//! - `"seeds": N` in `POST /api/runs` repeats the run with seeds seed, seed + 1, ... as one
//!   group, named by its first run's id; comparisons then show mean and sd over the group.
//! - `"study": {"preset", "device"}` on a search asks for its cell to be retrained and the
//!   baselines (ResNet-18, ResNet-10, random search) to be run as soon as it succeeds, with that
//!   training preset and device and the search's seed; the runner starts them.
use super::error::{ApiError, ApiResult};
use super::request::{field, unprocessable, CreateRun};
use crate::hub::{status_event, Hub};
use crate::store::{NewRun, Status, Store};
use serde_json::{json, Value};

/// At most this many seeds in one request.
pub const MAX_SEEDS: u64 = 20;

/// The baselines a study of a search with `config` trains beside the found network: its
/// method's (`engine::method::SearchMethod::baselines`).
pub fn baselines_for(config: &Value) -> &'static [&'static str] {
    engine::method::of_config(config).baselines()
}

/// `seeds` checked: 1 when absent.
pub fn seeds(requested: Option<u64>) -> ApiResult<u64> {
    match requested {
        None => Ok(1),
        Some(n) if (1..=MAX_SEEDS).contains(&n) => Ok(n),
        Some(n) => Err(unprocessable(vec![field(
            "seeds",
            format!("{n} seeds: give 1 to {MAX_SEEDS}"),
        )])),
    }
}

/// Inserts `new` once per seed (its config's seed, then one more each time), as a group when
/// there are several, and announces each as queued. The new ids, the group's first.
pub async fn insert(store: &Store, hub: &Hub, new: NewRun, seeds: u64) -> ApiResult<Vec<i64>> {
    let base = new.config["seed"].as_u64().unwrap_or(0);
    let mut ids: Vec<i64> = vec![];
    for k in 0..seeds {
        let mut run = new.clone();
        run.config["seed"] = json!(base + k);
        run.request["config"]["seed"] = json!(base + k);
        run.group_id = ids.first().copied().or(new.group_id);
        let id = store.insert_run(&run).await?;
        if seeds > 1 && k == 0 && new.group_id.is_none() {
            store.set_group(id, id).await?;
        }
        hub.publish(id, status_event(Status::Queued, None)).await?;
        ids.push(id);
    }
    Ok(ids)
}

/// The training run or baseline a study makes from search `source`, checked as the API checks
/// it; `kind` is `train` or a baseline's name.
pub async fn derived(store: &Store, source: i64, kind: &str, config: Value) -> ApiResult<NewRun> {
    let mut config = config;
    if config.get("seed").is_none() {
        // The retraining of a search seeded k is seeded k too.
        let seed = store.run(source).await?.map(|r| r.config["seed"].clone());
        config["seed"] = seed.filter(Value::is_u64).unwrap_or(json!(0));
    }
    let (run_kind, baseline) = match kind {
        "train" => ("train", None),
        b => ("baseline", Some(b.to_string())),
    };
    let body = CreateRun {
        dataset_id: None,
        kind: Some(run_kind.into()),
        config: Some(config),
        source_run: Some(source),
        genotype: None,
        baseline,
        seeds: None,
        study: None,
    };
    super::prepare::prepare(store, body).await
}

/// After search `id` succeeded: the retraining and baselines its request's `study` asks for.
pub async fn follow_up(store: &Store, hub: &Hub, id: i64) -> ApiResult<Vec<i64>> {
    let request = store.run_request(id).await?.unwrap_or(Value::Null);
    let Some(study) = request.get("study").filter(|s| s.is_object()) else {
        return Ok(vec![]);
    };
    let Some(run) = store.run(id).await? else {
        return Ok(vec![]);
    };
    // A cancelled sweep starts no more studies.
    if let Some(sweep) = run.sweep_id {
        if store.sweep(sweep).await?.is_none_or(|s| s.cancelled) {
            return Ok(vec![]);
        }
    }
    let searched = run.config;
    let seed = searched["seed"].as_u64().unwrap_or(0);
    let mut config = json!({"preset": study["preset"], "device": study["device"], "seed": seed});
    if let Some(budget) = study["budget_seconds"].as_f64() {
        let searched_seconds = run
            .result
            .as_ref()
            .and_then(|r| r["seconds"].as_f64())
            .unwrap_or(0.0);
        let trainings = 1 + baselines_for(&searched).len();
        let random = baselines_for(&searched).contains(&"random");
        config["seconds"] = json!(engine::budget::training_share(
            budget,
            searched_seconds,
            trainings,
            random
        ));
    }
    let mut ids = vec![];
    for kind in std::iter::once("train").chain(baselines_for(&searched).iter().copied()) {
        let new = derived(store, id, kind, config.clone()).await?;
        ids.extend(insert(store, hub, new, 1).await?);
    }
    Ok(ids)
}

/// Repeats search `source` until its seed group has `total` searches (new seeds after the
/// group's highest), each with a study; the source gets its study too when nothing has been
/// made from it yet. The new ids.
pub async fn repeat(
    store: &Store,
    hub: &Hub,
    source: i64,
    total: u64,
    study: Value,
) -> ApiResult<Vec<i64>> {
    let all = store.runs().await?;
    let Some(src) = all.iter().find(|r| r.id == source && r.kind == "search") else {
        return Err(unprocessable(vec![field(
            "source_run",
            format!("run {source} is not a search"),
        )]));
    };
    let group = src.group_id.unwrap_or(src.id);
    let members: Vec<_> = all
        .iter()
        .filter(|r| r.id == src.id || (src.group_id.is_some() && r.group_id == Some(group)))
        .collect();
    let have = members.len() as u64;
    if total <= have || total > MAX_SEEDS {
        return Err(unprocessable(vec![field(
            "seeds",
            format!("the group already has {have} searches; ask for more, up to {MAX_SEEDS}"),
        )]));
    }
    let next = members
        .iter()
        .filter_map(|r| r.config["seed"].as_u64())
        .max()
        .map_or(0, |s| s + 1);
    if src.group_id.is_none() {
        store.set_group(src.id, group).await?;
    }
    let mut ids = vec![];
    if src.status == Status::Succeeded && !all.iter().any(|r| r.source_run == Some(src.id)) {
        let config = json!({"preset": study["preset"], "device": study["device"]});
        for kind in std::iter::once("train").chain(baselines_for(&src.config).iter().copied()) {
            let new = derived(store, src.id, kind, config.clone()).await?;
            ids.extend(insert(store, hub, new, 1).await?);
        }
    }
    let mut request = store.run_request(src.id).await?.unwrap_or(Value::Null);
    request["study"] = study;
    let mut config = src.config.clone();
    config["seed"] = json!(next);
    let new = NewRun {
        kind: "search".into(),
        dataset_id: src.dataset_id.clone(),
        source_run: None,
        group_id: Some(group),
        request,
        config,
    };
    ids.extend(insert(store, hub, new, total - have).await?);
    Ok(ids)
}

/// The 500 a study's follow-up could not start with, as the run's log says it.
pub fn describe(e: &ApiError) -> String {
    e.body.to_string()
}
