//! The study's verdict in `comparison.json`: which derived network the pipeline takes (the
//! retrained cell or the pruned network, by their held-out metric, never the test split), its
//! paired bootstrap against every other network, and the sentence that says which to take
//! (`engine::verdict::study::decide`, which the comparison pages share).
use super::measure::Measure;
use engine::verdict::study::{decide, Contender, RESAMPLING_SEED};
use engine::verdict::TestScores;
use serde_json::Value;

fn contender(method: &str, measures: &[Measure]) -> Contender {
    let metrics: Vec<f64> = measures.iter().filter_map(|m| m.test_metric).collect();
    let mean = crate::api::rows::mean_sd(&metrics).0.unwrap_or(f64::NAN);
    let latencies: Vec<f64> = measures
        .iter()
        .filter_map(|m| m.speed.map(|s| s.latency_ms))
        .collect();
    Contender {
        method: method.to_string(),
        scores: measures
            .iter()
            .map(|m| m.dir.as_deref().and_then(TestScores::read))
            .collect(),
        mean,
        macs: measures.first().and_then(|m| m.macs),
        latency_ms: crate::api::rows::mean_sd(&latencies).0,
    }
}

/// The mean held-out metric of a method's seeds (None when any seed has none).
fn holdout(measures: &[Measure]) -> Option<f64> {
    let v: Option<Vec<f64>> = measures.iter().map(|m| m.holdout).collect();
    v.filter(|v| !v.is_empty())
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
}

/// `derived`: the networks the search produced (the first is taken unless another is better on
/// the held-out parts); `baselines`: everything it is compared with. The first baseline is the
/// reference for costs (ResNet-18).
pub fn study(
    derived: &[(&str, &Vec<Measure>)],
    baselines: &[(&str, &Vec<Measure>)],
    metric: &str,
    higher_is_better: bool,
) -> Value {
    let verdict = decide(
        derived
            .iter()
            .map(|(name, m)| (contender(name, m), holdout(m)))
            .collect(),
        baselines
            .iter()
            .map(|(name, m)| contender(name, m))
            .collect(),
        baselines.first().map(|(name, _)| *name),
        metric,
        higher_is_better,
        RESAMPLING_SEED,
    );
    serde_json::to_value(verdict).unwrap_or(Value::Null)
}
