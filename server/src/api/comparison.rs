//! `GET /api/runs/{id}/comparison`: a search next to what a scientist would have done without
//! it, measured the same way: its supernet and its retrained cell, and the ResNet and
//! random-search baselines made from it, each with parameters, multiply-adds, compute and the
//! test metric. A search in a seed group is compared over the whole group: every row is the
//! mean and sd over the group's runs of that method, and "best of N" says where a best was
//! picked.
use super::auth::{readable_run, Access};
use super::error::{ApiError, ApiResult};
use super::rows::{mean_of, mean_sd, random_row, trained};
use super::runs::TokenQuery;
use super::state::State;
use super::transfer;
use super::verdict::{self, Method};
use crate::store::{RunRow, Status};
use app::types::{Comparison, ComparisonRow as Row};
use axum::extract::{Path, Query};
use axum::{Extension, Json};
use serde_json::Value;
use std::collections::HashMap;

/// The searches a comparison covers: the run's seed group's searches that succeeded, or the
/// run alone.
fn group<'a>(search: &'a RunRow, all: &'a [RunRow]) -> Vec<&'a RunRow> {
    match search.group_id {
        Some(g) => all
            .iter()
            .filter(|r| r.group_id == Some(g) && r.kind == "search")
            .filter(|r| r.status == Status::Succeeded || r.id == search.id)
            .collect(),
        None => vec![search],
    }
}

/// The comparison of a search (and its seed group) with the succeeded runs made from it on its
/// own data, then the cells of other datasets' searches transferred to that data; None for
/// other runs. `names`: dataset names by id.
pub fn build(
    search: &RunRow,
    all: &[RunRow],
    names: &HashMap<String, String>,
    data_dir: &std::path::Path,
) -> Option<Comparison> {
    if search.kind != "search" {
        return None;
    }
    let mut searches = group(search, all);
    searches.sort_by_key(|r| r.id);
    let ids: Vec<i64> = searches.iter().map(|r| r.id).collect();
    let results: Vec<&Value> = searches.iter().filter_map(|r| r.result.as_ref()).collect();
    let search_seconds = mean_of(&results, "seconds");
    let made = |kind: &str, arch: &str| -> Vec<&RunRow> {
        all.iter()
            .filter(|r| r.source_run.is_some_and(|s| ids.contains(&s)) && r.kind == kind)
            .filter(|r| r.status == Status::Succeeded && r.dataset_id == search.dataset_id)
            .filter(|r| r.result.as_ref().is_some_and(|v| v["architecture"] == arch))
            .collect()
    };
    let (mean, sd) = mean_sd(
        &results
            .iter()
            .filter_map(|r| r["supernet_test_metric"].as_f64())
            .collect::<Vec<_>>(),
    );
    // What the search's method found, and how its supernet was scored during the search.
    let found_by = engine::method::of_config(&search.config);
    let (supernet, arch, found) = (
        found_by.supernet_row(),
        found_by.architecture(),
        found_by.found(),
    );
    let mut rows = vec![Row {
        method: supernet.into(),
        runs: ids.clone(),
        params: results.first().and_then(|r| r["weights"].as_i64()),
        macs: results.first().and_then(|r| r["macs"].as_i64()),
        latency_ms: None,
        throughput: None,
        search_seconds,
        budget_seconds: None,
        train_seconds: None,
        test_metric_mean: mean,
        test_metric_sd: sd,
        trained_with: None,
        stopped: vec![],
    }];
    // What the verdict weighs: the derived networks, then everything else trained from the group.
    let (mut derived, mut others): (Vec<Method>, Vec<Method>) = (vec![], vec![]);
    let retrained = made("train", arch);
    if !retrained.is_empty() {
        let name = format!("{found}, retrained");
        rows.push(trained(&name, &retrained, search_seconds));
        derived.push((name, retrained.clone()));
    }
    let pruned = made("baseline", engine::retrain::net::PRUNED);
    if let (false, Some(method)) = (pruned.is_empty(), found_by.pruned_row()) {
        rows.push(trained(method, &pruned, search_seconds));
        derived.push((method.to_string(), pruned));
    }
    if let Some(best) = best_search_retrained(&searches, &retrained) {
        let name = format!(
            "{found}, retrained (best of {} searches on validation)",
            searches.len()
        );
        rows.push(trained(&name, &best, search_seconds));
    }
    for (arch, name) in [("resnet18", "ResNet-18"), ("resnet10", "ResNet-10")] {
        let runs = made("baseline", arch);
        if !runs.is_empty() {
            rows.push(trained(name, &runs, None));
            others.push((name.to_string(), runs));
        }
    }
    let random = made("baseline", "random");
    if !random.is_empty() {
        let row = random_row(&random);
        others.push((row.method.clone(), random));
        rows.push(row);
    }
    rows.extend(transfer::rows(&search.dataset_id, all, names));
    let higher = search
        .result
        .as_ref()
        .and_then(|r| r["higher_is_better"].as_bool())
        .unwrap_or(true);
    let searched_with = found_by.searched_with(&search.config);
    let metric: String = search
        .result
        .as_ref()
        .and_then(|r| r["metric"].as_str())
        .unwrap_or("")
        .into();
    // The verdict waits for the study's last run: a sentence drawn from half the networks would
    // name a winner the next row may overturn.
    let pending = all.iter().any(|r| {
        r.source_run.is_some_and(|s| ids.contains(&s))
            && matches!(r.status, Status::Queued | Status::Running)
    }) || all.iter().any(|r| {
        (r.id == search.id || (search.group_id.is_some() && r.group_id == search.group_id))
            && matches!(r.status, Status::Queued | Status::Running)
    });
    let verdict = (!pending)
        .then(|| verdict::of_study(&ids, &derived, &others, data_dir, &metric, higher))
        .flatten();
    Some(Comparison {
        searched_with,
        run: search.id,
        searches: ids,
        metric,
        higher_is_better: higher,
        rows,
        verdict,
    })
}

/// With several searches: the retraining runs of the one whose validation metric was best, as
/// DARTS picks its cell (DARTS.md: say "best of N" when that is what it is). None for one.
fn best_search_retrained<'a>(
    searches: &[&RunRow],
    retrained: &[&'a RunRow],
) -> Option<Vec<&'a RunRow>> {
    if searches.len() < 2 {
        return None;
    }
    let scored = searches.iter().filter_map(|s| {
        let r = s.result.as_ref()?;
        Some((
            s.id,
            r["best_val_metric"].as_f64()?,
            r["higher_is_better"].as_bool().unwrap_or(true),
        ))
    });
    let best = scored
        .filter(|(_, m, _)| m.is_finite())
        .max_by(|a, b| {
            let (x, y) = if a.2 { (a.1, b.1) } else { (b.1, a.1) };
            x.total_cmp(&y)
        })?
        .0;
    let runs: Vec<&RunRow> = retrained
        .iter()
        .copied()
        .filter(|r| r.source_run == Some(best))
        .collect();
    (!runs.is_empty()).then_some(runs)
}

pub async fn comparison(
    state: State,
    Path(id): Path<i64>,
    Extension(access): Extension<Access>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Comparison>> {
    let run = readable_run(&state, access, q.token.as_deref(), id).await?;
    let all = state.store.runs().await?;
    let names = super::datasets::names(&state.store).await?;
    build(&run, &all, &names, &state.data_dir)
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                format!(
                    "run {id} is a {} run; comparisons belong to searches",
                    run.kind
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn mean_and_sample_sd() {
        // numpy: np.mean([0.9, 0.8, 0.85]) = 0.85, np.std([0.9, 0.8, 0.85], ddof=1) = 0.05
        let (m, sd) = super::mean_sd(&[0.9, 0.8, 0.85]);
        assert!((m.unwrap_or(0.0) - 0.85).abs() < 1e-12);
        assert!((sd.unwrap_or(0.0) - 0.05).abs() < 1e-12);
        assert_eq!(super::mean_sd(&[0.7]), (Some(0.7), None));
    }
}
