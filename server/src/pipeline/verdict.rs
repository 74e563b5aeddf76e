//! The study's verdict in `comparison.json`: which derived network the pipeline takes (the
//! retrained cell or the pruned network, by their held-out metric, never the test split), its
//! paired bootstrap against every other network, and the sentence that says which to take.
use super::measure::Measure;
use engine::verdict::study::{against_all, sentence, Contender};
use engine::verdict::TestScores;
use serde_json::{json, Value};

/// Seed of the bootstrap's resampling, fixed so that a comparison reads the same every time.
const RESAMPLING_SEED: u64 = 20_261_205;

fn contender(method: &str, measures: &[Measure]) -> Contender {
    let metrics: Vec<f64> = measures.iter().filter_map(|m| m.test_metric).collect();
    let mean = crate::api::comparison::mean_sd(&metrics)
        .0
        .unwrap_or(f64::NAN);
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
        latency_ms: crate::api::comparison::mean_sd(&latencies).0,
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
    let mut pick = 0;
    for (k, (_, m)) in derived.iter().enumerate().skip(1) {
        if let (Some(a), Some(b)) = (holdout(m), holdout(derived[pick].1)) {
            if (higher_is_better && a > b) || (!higher_is_better && a < b) {
                pick = k;
            }
        }
    }
    let taken = contender(derived[pick].0, derived[pick].1);
    let others: Vec<Contender> = derived
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != pick)
        .map(|(_, d)| d)
        .chain(baselines)
        .map(|(name, m)| contender(name, m))
        .collect();
    let refs: Vec<&Contender> = others.iter().collect();
    let verdicts = against_all(&taken, &refs, higher_is_better, RESAMPLING_SEED);
    let reference = baselines
        .first()
        .and_then(|(name, _)| others.iter().find(|o| o.method == *name));
    json!({
        "derived": taken.method,
        "picked_by": format!(
            "the held-out {metric} of the training's kept epoch (mean over seeds){}",
            derived
                .iter()
                .map(|(name, m)| holdout(m).map_or(String::new(), |h| format!("; {name} {h:.4}")))
                .collect::<String>()
        ),
        "against": verdicts,
        "sentence": sentence(&taken, &verdicts, &refs, metric, higher_is_better, reference),
    })
}
