//! `GET /api/runs/{id}/comparison`: a search next to what a scientist would have done without
//! it, measured the same way: its supernet and its retrained cell, and the ResNet baselines
//! made from it, each with parameters, compute and the test metric (mean and sd over the runs
//! of that method, so repeated seeds show their spread).
use super::auth::{readable_run, Access};
use super::runs::TokenQuery;
use super::{ApiError, ApiResult, State};
use crate::store::{RunRow, Status};
use axum::extract::{Path, Query};
use axum::{Extension, Json};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub method: String,
    /// The runs measured; more than one means repeated seeds.
    pub runs: Vec<i64>,
    pub params: Option<i64>,
    /// Multiply-adds of one forward pass; not measured in this version.
    pub macs: Option<i64>,
    /// Seconds spent searching (the search itself, for every DARTS row).
    pub search_seconds: Option<f64>,
    /// Mean seconds spent training the final network.
    pub train_seconds: Option<f64>,
    pub test_metric_mean: Option<f64>,
    pub test_metric_sd: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub run: i64,
    pub metric: String,
    pub higher_is_better: bool,
    pub rows: Vec<Row>,
}

/// Mean and sample standard deviation (None for fewer than two values).
pub fn mean_sd(values: &[f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.len() > 1)
        .then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    (Some(mean), sd)
}

fn row(method: &str, runs: &[&RunRow], search_seconds: Option<f64>) -> Row {
    let results: Vec<&Value> = runs.iter().filter_map(|r| r.result.as_ref()).collect();
    let metrics: Vec<f64> = results
        .iter()
        .filter_map(|r| r["test_metric"].as_f64())
        .collect();
    let seconds: Vec<f64> = results
        .iter()
        .filter_map(|r| r["seconds"].as_f64())
        .collect();
    let (mean, sd) = mean_sd(&metrics);
    Row {
        method: method.into(),
        runs: runs.iter().map(|r| r.id).collect(),
        params: results.first().and_then(|r| r["params"].as_i64()),
        macs: None,
        search_seconds,
        train_seconds: mean_sd(&seconds).0,
        test_metric_mean: mean,
        test_metric_sd: sd,
    }
}

/// The comparison of a search with the succeeded runs made from it; None for other runs.
pub fn build(search: &RunRow, all: &[RunRow]) -> Option<Comparison> {
    if search.kind != "search" {
        return None;
    }
    let result = search.result.clone().unwrap_or(Value::Null);
    let search_seconds = result["seconds"].as_f64();
    let made = |kind: &str, arch: &str| -> Vec<&RunRow> {
        all.iter()
            .filter(|r| r.source_run == Some(search.id) && r.kind == kind)
            .filter(|r| r.status == Status::Succeeded)
            .filter(|r| r.result.as_ref().is_some_and(|v| v["architecture"] == arch))
            .collect()
    };
    let supernet = result["supernet_test_metric"].as_f64();
    let mut rows = vec![Row {
        method: "DARTS supernet (during search)".into(),
        runs: vec![search.id],
        params: result["weights"].as_i64(),
        macs: None,
        search_seconds,
        train_seconds: None,
        test_metric_mean: supernet,
        test_metric_sd: None,
    }];
    let retrained = made("train", "darts");
    if !retrained.is_empty() {
        rows.push(row("DARTS cell, retrained", &retrained, search_seconds));
    }
    for (arch, name) in [("resnet18", "ResNet-18"), ("resnet10", "ResNet-10")] {
        let runs = made("baseline", arch);
        if !runs.is_empty() {
            rows.push(row(name, &runs, None));
        }
    }
    Some(Comparison {
        run: search.id,
        metric: result["metric"].as_str().unwrap_or("").into(),
        higher_is_better: result["higher_is_better"].as_bool().unwrap_or(true),
        rows,
    })
}

pub async fn comparison(
    state: State,
    Path(id): Path<i64>,
    Extension(access): Extension<Access>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Comparison>> {
    let run = readable_run(&state, access, q.token.as_deref(), id).await?;
    let all = state.store.runs().await?;
    build(&run, &all).map(Json).ok_or_else(|| {
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
