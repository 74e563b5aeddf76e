//! `GET /api/datasets/{id}/comparison`: every kind of network trained on one dataset, side by
//! side: the cells of its own searches (retrained, and pruned and fine-tuned), cells given as a
//! genotype, cells transferred from searches on other data, the ResNets and random search. A
//! transferred cell's page and model card show this comparison: its search has none on this
//! data.
use super::error::{ApiError, ApiResult};
use super::rows::{random_row, trained};
use super::state::State;
use super::{datasets, transfer};
use crate::store::{RunRow, Status};
use app::types::{Comparison, ComparisonRow as Row, StudyVerdict};
use axum::extract::Path;
use axum::Json;
use std::collections::HashMap;

/// The searches' rows: each source search's seed group (its first run's id) with its runs.
fn by_search<'a>(runs: &[&'a RunRow], all: &[RunRow]) -> Vec<(i64, Vec<&'a RunRow>)> {
    let group_of = |id: i64| {
        all.iter()
            .find(|s| s.id == id)
            .map_or(id, |s| s.group_id.unwrap_or(s.id))
    };
    let mut groups: Vec<(i64, Vec<&RunRow>)> = vec![];
    for r in runs {
        let Some(g) = r.source_run.map(group_of) else {
            continue;
        };
        match groups.iter_mut().find(|(k, _)| *k == g) {
            Some((_, list)) => list.push(r),
            None => groups.push((g, vec![r])),
        }
    }
    groups.sort_by_key(|(g, _)| *g);
    groups
}

/// The comparison of everything trained on `dataset`; None before anything succeeded there.
pub fn build(
    dataset: &str,
    all: &[RunRow],
    names: &HashMap<String, String>,
    data_dir: &std::path::Path,
) -> Option<Comparison> {
    let here: Vec<&RunRow> = all
        .iter()
        .filter(|r| r.dataset_id == dataset && r.status == Status::Succeeded)
        .filter(|r| matches!(r.kind.as_str(), "train" | "baseline"))
        .filter(|r| r.result.is_some())
        .collect();
    let first = here.first()?.result.as_ref()?;
    let arch = |r: &&&RunRow| {
        r.result
            .as_ref()
            .and_then(|v| v["architecture"].as_str())
            .unwrap_or("")
            .to_string()
    };
    // The method of search `g` (DARTS's where the search is gone).
    let found_by = |g: i64| {
        all.iter()
            .find(|s| s.id == g)
            .map_or(engine::method::of(Default::default()), |s| {
                engine::method::of_config(&s.config)
            })
    };
    let seeds = |runs: &[&RunRow]| match runs.len() {
        1 => String::new(),
        n => format!(", {n} seeds"),
    };
    let mut rows: Vec<Row> = vec![];
    // Cells of this dataset's own searches, retrained.
    let own: Vec<&RunRow> = here
        .iter()
        .copied()
        .filter(|r| r.kind == "train" && transfer::source_of(r, all).is_none())
        .collect();
    for (g, runs) in by_search(&own, all) {
        let found = found_by(g).found();
        let name = format!("{found} (search #{g}{}), retrained", seeds(&runs));
        rows.push(trained(&name, &runs, None));
    }
    // Cells given as a genotype, each its own row.
    for r in own.iter().filter(|r| r.source_run.is_none()) {
        rows.push(trained(
            &format!("Given cell (run #{}), trained", r.id),
            &[r],
            None,
        ));
    }
    // The searches' supernets pruned to their cells and fine-tuned.
    let pruned: Vec<&RunRow> = here
        .iter()
        .filter(|r| r.kind == "baseline" && arch(r) == engine::retrain::net::PRUNED)
        .copied()
        .collect();
    for (g, runs) in by_search(&pruned, all) {
        let Some(method) = found_by(g).pruned_row() else {
            continue;
        };
        rows.push(trained(
            &format!("{method} (search #{g}{})", seeds(&runs)),
            &runs,
            None,
        ));
    }
    rows.extend(transfer::rows(dataset, all, names));
    for (a, name) in [("resnet18", "ResNet-18"), ("resnet10", "ResNet-10")] {
        let runs: Vec<&RunRow> = here.iter().filter(|r| arch(r) == a).copied().collect();
        if !runs.is_empty() {
            rows.push(trained(name, &runs, None));
        }
    }
    let random: Vec<&RunRow> = here
        .iter()
        .filter(|r| arch(r) == "random")
        .copied()
        .collect();
    if !random.is_empty() {
        rows.push(random_row(&random));
    }
    Some(Comparison {
        run: 0,
        searches: vec![],
        metric: first["metric"].as_str().unwrap_or("").into(),
        higher_is_better: first["higher_is_better"].as_bool().unwrap_or(true),
        searched_with: String::new(),
        rows,
        verdict: latest_verdict(dataset, all, names, data_dir),
    })
}

/// The verdict of the latest study on `dataset`: its most recent search (seed group) whose
/// derived network was scored beside another network.
fn latest_verdict(
    dataset: &str,
    all: &[RunRow],
    names: &HashMap<String, String>,
    data_dir: &std::path::Path,
) -> Option<StudyVerdict> {
    let mut searches: Vec<&RunRow> = all
        .iter()
        .filter(|r| r.dataset_id == dataset && r.kind == "search")
        .filter(|r| r.status == Status::Succeeded)
        .collect();
    searches.sort_by_key(|r| std::cmp::Reverse(r.id));
    searches.dedup_by_key(|r| r.group_id.unwrap_or(r.id));
    searches
        .into_iter()
        .find_map(|s| super::comparison::build(s, all, names, data_dir)?.verdict)
}

pub async fn comparison(state: State, Path(id): Path<String>) -> ApiResult<Json<Comparison>> {
    state
        .store
        .dataset(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let all = state.store.runs().await?;
    let names = datasets::names(&state.store).await?;
    build(&id, &all, &names, &state.data_dir)
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                format!("nothing trained on dataset {id} has succeeded yet"),
            )
        })
}
