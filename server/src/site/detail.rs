//! A run as its page shows it (its events folded, its config, figures and downloads), and what
//! the page's buttons do: the same handlers the JSON API answers with.
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::api::{datasets, runs, share};
use app::backend::RunAction;
use app::live::RunState;
use app::types::{Artifact, RunDetail};
use axum::extract::{Path, State};
use engine::data::about::About;
use serde_json::Value;
use std::sync::Arc;

/// The run's page data; `token` is set on the share page (read-only, downloads by token).
pub async fn run_detail(
    state: &Arc<AppState>,
    id: i64,
    token: Option<&str>,
) -> Result<Option<RunDetail>, String> {
    let store = &state.store;
    // Events first, then the row: the runner stores a final status before its event, so a page
    // that folded the final event also reads the final row, and one that did not gets the event
    // from its stream (which starts after the last event folded here).
    let events = store
        .events_after(id, -1)
        .await
        .map_err(|e| e.to_string())?;
    let Some(run) = store.run(id).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let mut live = RunState::default();
    for e in events {
        if let Ok(v) = serde_json::from_str::<Value>(&e.body) {
            live.apply(&v);
        }
    }
    // The run's row is the truth for status (a worker killed hard leaves no final event).
    live.status = run.status.as_str().into();
    if live.epochs_total == 0 {
        live.epochs_total = usize::try_from(run.epochs).unwrap_or(0);
    }
    let summary = store
        .dataset(&run.dataset_id)
        .await
        .map_err(|e| e.to_string())?
        .map(|d| d.summary)
        .unwrap_or(Value::Null);
    let text = |k: &str| summary[k].as_str().unwrap_or("").to_string();
    let token_query = token.map(|t| format!("?token={t}")).unwrap_or_default();
    let artifacts = crate::api::artifacts::artifact_list(&State(Arc::clone(state)), id)
        .await
        .map_err(|e| e.body.to_string())?
        .into_iter()
        .map(|a| Artifact {
            name: a["name"].as_str().unwrap_or("").into(),
            bytes: a["bytes"].as_u64().unwrap_or(0),
            url: format!("{}{token_query}", a["url"].as_str().unwrap_or("")),
        })
        .collect();
    let share_token = match token {
        Some(_) => None,
        None => store.share_token(id).await.map_err(|e| e.to_string())?,
    };
    let result = run.result.clone().unwrap_or(Value::Null);
    let version =
        |k: &str, here: Option<&str>| result[k].as_str().or(here).unwrap_or("unknown").to_string();
    let config = run
        .config
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect())
        .unwrap_or_default();
    let names = super::rows::names(store).await?;
    let all = store.runs().await.map_err(|e| e.to_string())?;
    let comparison = crate::api::comparison::build(&run, &all, &names, &state.data_dir);
    let (transfer, dataset_comparison) = match crate::api::transfer::source_of(&run, &all) {
        Some(source) => {
            let from = store
                .dataset(&source.dataset_id)
                .await
                .map_err(|e| e.to_string())?
                .map(|d| d.summary)
                .unwrap_or(Value::Null);
            let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
            let sentence = crate::api::transfer::describe(
                source,
                &About::from_summary(&name(&source.dataset_id), &from),
                &About::from_summary(&name(&run.dataset_id), &summary),
            );
            let cmp = crate::api::dataset_comparison::build(
                &run.dataset_id,
                &all,
                &names,
                &state.data_dir,
            );
            (Some(sentence), cmp)
        }
        None => (None, None),
    };
    let group: Vec<i64> = match run.group_id {
        Some(g) => all
            .iter()
            .filter(|r| r.group_id == Some(g))
            .map(|r| r.id)
            .collect(),
        None => vec![id],
    };
    let (mut derived, mut members) = (vec![], vec![]);
    for r in all {
        if r.source_run.is_some_and(|s| group.contains(&s)) {
            derived.push(super::rows::run_row(r, &names));
        } else if run.group_id.is_some() && group.contains(&r.id) {
            members.push(super::rows::run_row(r, &names));
        }
    }
    derived.reverse();
    members.reverse();
    let stopped = serde_json::from_value::<Option<app::types::StopMark>>(result["stopped"].clone())
        .ok()
        .flatten();
    let study = match run.kind.as_str() {
        "search" => store
            .run_request(id)
            .await
            .map_err(|e| e.to_string())?
            .and_then(|r| study_text(&r["study"], &run.config)),
        _ => None,
    };
    Ok(Some(RunDetail {
        comparison,
        stopped,
        study,
        transfer,
        dataset_comparison,
        derived,
        group: members,
        source_run: run.source_run,
        message: run.message.clone(),
        seed: run.config["seed"].as_u64(),
        config,
        dataset_sha256: text("sha256"),
        task: text("task"),
        weights: result["weights"].as_i64(),
        device: result["device"].as_str().map(str::to_string),
        higher_is_better: result["higher_is_better"].as_bool(),
        dartboard_version: version("dartboard_version", Some(env!("CARGO_PKG_VERSION"))),
        pytorch_version: version("pytorch_version", option_env!("DARTBOARD_TORCH_VERSION")),
        artifacts,
        share_token,
        read_only: token.is_some(),
        token_query,
        state: live,
        job: run
            .job_id
            .as_ref()
            .filter(|j| *j != crate::store::SUBMITTING)
            .map(|j| match &run.job_state {
                Some(st) => format!("Slurm job {j} ({st})"),
                None => format!("Slurm job {j}"),
            }),
        row: super::rows::run_row(run, &names),
    }))
}

/// The run a share token opens.
pub async fn shared(state: &Arc<AppState>, token: &str) -> Result<Option<RunDetail>, String> {
    match state
        .store
        .shared_run(token)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(id) => run_detail(state, id, Some(token)).await,
        None => Ok(None),
    }
}

fn reason(e: ApiError) -> String {
    e.body["error"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| e.body.to_string())
}

/// Cancel, resume, delete, share or unshare, through the API's own handlers.
pub async fn act(
    state: &Arc<AppState>,
    id: i64,
    action: RunAction,
) -> Result<Option<String>, String> {
    let s = || State(Arc::clone(state));
    match action {
        RunAction::Cancel => runs::cancel(s(), Path(id)).await.map(|_| None),
        RunAction::Resume => runs::resume(s(), Path(id)).await.map(|_| None),
        RunAction::Delete => runs::delete(s(), Path(id)).await.map(|_| None),
        RunAction::Share => share::create(s(), Path(id))
            .await
            .map(|j| j.0["token"].as_str().map(str::to_string)),
        RunAction::Unshare => share::revoke(s(), Path(id)).await.map(|_| None),
    }
    .map_err(reason)
}

/// Deletes a dataset no run uses, through the API's handler.
pub async fn delete_dataset(state: &Arc<AppState>, id: String) -> Result<(), String> {
    datasets::delete(State(Arc::clone(state)), Path(id))
        .await
        .map(|_| ())
        .map_err(reason)
}

/// What a search's study will train, in words; None when it asked for none.
fn study_text(study: &Value, searched: &Value) -> Option<String> {
    if !study.is_object() {
        return None;
    }
    let trained = crate::api::groups::baselines_for(searched)
        .iter()
        .map(|b| match *b {
            "pruned" => "the pruned supernet",
            "resnet18" => "ResNet-18",
            "resnet10" => "ResNet-10",
            "random" => "random search",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ");
    let budget = study["budget_seconds"].as_f64().map_or(String::new(), |b| {
        format!(" within a budget of {}", app::format::duration(b))
    });
    Some(format!(
        "After the search, its study retrains the cell and trains {trained} ({} preset){budget}, then says which network to take.",
        study["preset"].as_str().unwrap_or("quick")
    ))
}

pub async fn set_symmetry(
    state: &Arc<AppState>,
    id: String,
    symmetry: String,
) -> Result<(), String> {
    let body = axum::Json(serde_json::json!({ "symmetry": symmetry }));
    datasets::patch(State(Arc::clone(state)), Path(id), body)
        .await
        .map(|_| ())
        .map_err(reason)
}

/// Starts the runs a finished search's buttons ask for, with a training preset and device:
/// `retrain` (its cell), `baselines` (ResNet-18, ResNet-10 and random search), `seeds:N`
/// (repeat the search until its group has N seeds, each retrained and with its baselines) or
/// `transfer:DATASET` (its cell trained on another dataset).
/// The new run ids.
pub async fn derive(
    state: &Arc<AppState>,
    source: i64,
    what: &str,
    preset: &str,
    device: &str,
) -> Result<Vec<i64>, String> {
    use crate::api::groups;
    let config = serde_json::json!({"preset": preset, "device": device});
    if let Some(dataset) = what.strip_prefix("transfer:") {
        let admitted = runs::room(state, 1).await.map_err(refusal)?;
        let new = crate::api::transfer::new_run(&state.store, source, dataset, config)
            .await
            .map_err(refusal)?;
        let ids = groups::insert(&state.store, &state.hub, new, 1)
            .await
            .map_err(refusal)?;
        drop(admitted);
        state.runner.poke();
        return Ok(ids);
    }
    let kinds: Vec<&str> = match what {
        "retrain" => vec!["train"],
        "baselines" => {
            let searched = state
                .store
                .run(source)
                .await
                .map_err(|e| e.to_string())?
                .map(|r| r.config)
                .unwrap_or_default();
            groups::baselines_for(&searched).to_vec()
        }
        other => match other.strip_prefix("seeds:").map(str::parse::<u64>) {
            Some(Ok(n)) => {
                let study = crate::api::request::study(&config).map_err(refusal)?;
                let admitted = runs::room(state, n).await.map_err(refusal)?;
                let ids = groups::repeat(&state.store, &state.hub, source, n, study)
                    .await
                    .map_err(refusal)?;
                drop(admitted);
                state.runner.poke();
                return Ok(ids);
            }
            _ => return Err(format!("unknown request '{other}'")),
        },
    };
    let admitted = runs::room(state, kinds.len() as u64)
        .await
        .map_err(refusal)?;
    let mut ids = vec![];
    for kind in kinds {
        let new = groups::derived(&state.store, source, kind, config.clone())
            .await
            .map_err(refusal)?;
        ids.extend(
            groups::insert(&state.store, &state.hub, new, 1)
                .await
                .map_err(refusal)?,
        );
    }
    drop(admitted);
    state.runner.poke();
    Ok(ids)
}

/// A refused request as one line: each field's message, or the error.
pub(super) fn refusal(e: crate::api::error::ApiError) -> String {
    e.body["errors"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|x| {
                    format!(
                        "{}: {}",
                        x["field"].as_str().unwrap_or(""),
                        x["message"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_else(|| reason(e))
}
