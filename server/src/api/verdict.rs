//! The verdict a comparison shows: the derived network of a search's seed group (retrained or
//! pruned, whichever did better on its held-out part) against every other network trained from
//! the group, each a paired bootstrap on the same test images within each seed
//! (`engine::verdict::study::decide`, as the pipeline's `comparison.json`).
use crate::store::RunRow;
use app::types::{StudyVerdict, VerdictRow};
use engine::verdict::study::{decide, Contender, RESAMPLING_SEED};
use engine::verdict::TestScores;
use std::path::Path;

/// A method of the study: its name and its succeeded runs.
pub type Method<'a> = (String, Vec<&'a RunRow>);

/// One contender: the run made from each search of the group (in the group's order, so that
/// seed k of one network is paired with seed k of another), its mean metric and costs.
fn contender(method: &str, runs: &[&RunRow], searches: &[i64], data_dir: &Path) -> Contender {
    let results: Vec<&serde_json::Value> = runs.iter().filter_map(|r| r.result.as_ref()).collect();
    let mean = |key: &dyn Fn(&serde_json::Value) -> Option<f64>| {
        super::rows::mean_sd(&results.iter().filter_map(|r| key(r)).collect::<Vec<_>>()).0
    };
    Contender {
        method: method.to_string(),
        scores: searches
            .iter()
            .map(|s| {
                let run = runs.iter().find(|r| r.source_run == Some(*s))?;
                TestScores::read(&crate::runner::run_dir(data_dir, run.id))
            })
            .collect(),
        mean: mean(&|r| r["test_metric"].as_f64()).unwrap_or(f64::NAN),
        macs: results.first().and_then(|r| r["macs"].as_i64()),
        latency_ms: mean(&|r| r["speed"]["latency_ms"].as_f64()),
    }
}

/// The mean held-out metric at the kept epoch over a method's runs; None when any has none.
fn holdout(runs: &[&RunRow]) -> Option<f64> {
    let v: Option<Vec<f64>> = runs
        .iter()
        .map(|r| r.result.as_ref()?["stopped"]["holdout_metric"].as_f64())
        .collect();
    v.filter(|v| !v.is_empty())
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
}

/// The verdict of `derived` (first taken unless another is better held out) against `others`
/// (the first is the reference for costs); None until a derived network and another network
/// were both scored on the test images.
pub fn of_study(
    searches: &[i64],
    derived: &[Method],
    others: &[Method],
    data_dir: &Path,
    metric: &str,
    higher_is_better: bool,
) -> Option<StudyVerdict> {
    let v = decide(
        derived
            .iter()
            .map(|(name, runs)| (contender(name, runs, searches, data_dir), holdout(runs)))
            .collect(),
        others
            .iter()
            .map(|(name, runs)| contender(name, runs, searches, data_dir))
            .collect(),
        others.first().map(|(name, _)| name.as_str()),
        metric,
        higher_is_better,
        RESAMPLING_SEED,
    )?;
    if v.against.is_empty() {
        return None;
    }
    Some(StudyVerdict {
        derived: v.derived,
        picked_by: v.picked_by,
        against: v
            .against
            .into_iter()
            .map(|a| VerdictRow {
                method: a.method,
                difference: a.paired.difference,
                low: a.paired.low,
                high: a.paired.high,
                seeds: a.paired.seeds,
                verdict: a.paired.verdict.word().to_string(),
            })
            .collect(),
        sentence: v.sentence,
        searches: searches.to_vec(),
    })
}
