//! A study's verdict: the derived network against every other network trained in it, each a
//! paired bootstrap over the seed group, and one sentence that says which network to take.
use super::{paired, Paired, TestScores, Verdict, RESAMPLES};
use serde::{Deserialize, Serialize};

/// One trained network of a study: its per-seed test scores and what it costs.
#[derive(Debug, Clone)]
pub struct Contender {
    pub method: String,
    /// One per seed, in seed order (a seed whose scores are missing is left out of the pairs).
    pub scores: Vec<Option<TestScores>>,
    pub mean: f64,
    pub macs: Option<i64>,
    pub latency_ms: Option<f64>,
}

/// The derived network against one other.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Against {
    pub method: String,
    /// derived - other: positive is the derived network's higher metric.
    #[serde(flatten)]
    pub paired: Paired,
}

/// The derived network against each of `others`, seed by seed on the same test images.
pub fn against_all(
    derived: &Contender,
    others: &[&Contender],
    higher_is_better: bool,
    seed: u64,
) -> Vec<Against> {
    others
        .iter()
        .filter_map(|o| {
            let pairs: Vec<(&TestScores, &TestScores)> = derived
                .scores
                .iter()
                .zip(&o.scores)
                .filter_map(|(a, b)| Some((a.as_ref()?, b.as_ref()?)))
                .collect();
            paired(&pairs, higher_is_better, RESAMPLES, seed).map(|p| Against {
                method: o.method.clone(),
                paired: p,
            })
        })
        .collect()
}

fn grouped(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn cost(c: &Contender, reference: Option<&Contender>) -> String {
    let mut parts = vec![];
    if let Some(m) = c.macs {
        let share = reference
            .and_then(|r| r.macs)
            .filter(|&r| r > 0 && r != m)
            .map(|r| {
                format!(
                    " ({:.2} of {}'s)",
                    m as f64 / r as f64,
                    reference.map_or("", |r| &r.method)
                )
            })
            .unwrap_or_default();
        parts.push(format!("{} multiply-adds per image{share}", grouped(m)));
    }
    if let Some(ms) = c.latency_ms {
        parts.push(format!("{ms:.2} ms per image"));
    }
    parts.join(" and ")
}

/// Which network to take, in one sentence: the derived network unless another is better by its
/// interval, then the best of those by mean. `reference` is the network costs are compared
/// with (ResNet-18).
pub fn sentence(
    derived: &Contender,
    verdicts: &[Against],
    others: &[&Contender],
    metric: &str,
    higher_is_better: bool,
    reference: Option<&Contender>,
) -> String {
    if verdicts.is_empty() {
        return format!(
            "{}: {metric} {:.4}; nothing else was scored on the same test images to compare it with.",
            derived.method, derived.mean
        );
    }
    let seeds = verdicts.iter().map(|v| v.paired.seeds).max().unwrap_or(0);
    let beaten_by: Vec<&Contender> = verdicts
        .iter()
        .filter(|v| v.paired.verdict == Verdict::Worse)
        .filter_map(|v| others.iter().find(|o| o.method == v.method).copied())
        .collect();
    let best_of = |list: &[&Contender]| -> Option<Contender> {
        list.iter()
            .max_by(|a, b| {
                let (x, y) = if higher_is_better {
                    (a.mean, b.mean)
                } else {
                    (-a.mean, -b.mean)
                };
                x.total_cmp(&y)
            })
            .map(|c| (*c).clone())
    };
    if let Some(winner) = best_of(&beaten_by) {
        let v = verdicts.iter().find(|v| v.method == winner.method);
        let interval = v.map_or(String::new(), |v| {
            format!(
                " (the derived network's difference {:+.4}, 95% interval [{:+.4}, {:+.4}] over {seeds} seeds)",
                v.paired.difference, v.paired.low, v.paired.high
            )
        });
        let c = cost(&winner, reference);
        return format!(
            "Take {}: {metric} {:.4} against {:.4} for {}{interval}; the search did not win here{}.",
            winner.method,
            winner.mean,
            derived.mean,
            derived.method,
            if c.is_empty() { String::new() } else { format!(" ({c})") }
        );
    }
    let better = verdicts
        .iter()
        .filter(|v| v.paired.verdict == Verdict::Better)
        .count();
    let ties = verdicts.len() - better;
    let c = cost(derived, reference);
    format!(
        "Take {}: {metric} {:.4}, better than {better} and tied with {ties} of the {} other networks by the paired 95% interval over {seeds} seeds{}.",
        derived.method,
        derived.mean,
        verdicts.len(),
        if c.is_empty() { String::new() } else { format!(", at {c}") }
    )
}
