//! A study's verdict: the derived network against every other network trained in it, each a
//! paired bootstrap over the seed group, and one sentence that says which network to take.
use super::{paired, Paired, TestScores, Verdict, RESAMPLES};
use serde::{Deserialize, Serialize};

/// Seed of the bootstrap's resampling, fixed so that a comparison reads the same every time.
pub const RESAMPLING_SEED: u64 = 20_261_205;

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
/// with (ResNet-18); `siblings` name the search's other derived networks (a retrained cell
/// that beats the pruned one the held-out parts picked is still the search's).
pub fn sentence(
    derived: &Contender,
    verdicts: &[Against],
    others: &[&Contender],
    siblings: &[&str],
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
        let interval =
            v.map_or(String::new(), |v| {
                format!(
                " (the derived network's difference {:+.4}, 95% interval [{:+.4}, {:+.4}] over {})",
                v.paired.difference,
                v.paired.low,
                v.paired.high,
                if seeds == 1 { "one seed".to_string() } else { format!("{seeds} seeds") }
            )
            });
        let c = cost(&winner, reference);
        let why = if siblings.contains(&winner.method.as_str()) {
            "; the search's other network beat the one its held-out parts picked"
        } else {
            "; the search did not win here"
        };
        return format!(
            "Take {}: {metric} {:.4} against {:.4} for {}{interval}{why}{}.",
            winner.method,
            winner.mean,
            derived.mean,
            derived.method,
            if c.is_empty() {
                String::new()
            } else {
                format!(" ({c})")
            }
        );
    }
    let better = verdicts
        .iter()
        .filter(|v| v.paired.verdict == Verdict::Better)
        .count();
    let (n, ties) = (verdicts.len(), verdicts.len() - better);
    let standing = match (better, ties) {
        (_, 0) if n == 1 => "better than the other network".to_string(),
        (0, _) if n == 1 => "tied with the other network".to_string(),
        (_, 0) => format!("better than all {n} other networks"),
        (0, _) => format!("tied with all {n} other networks"),
        _ => format!("better than {better} and tied with {ties} of the {n} other networks"),
    };
    let seeds = match seeds {
        1 => "one seed".to_string(),
        s => format!("{s} seeds"),
    };
    let c = cost(derived, reference);
    format!(
        "Take {}: {metric} {:.4}, {standing} by the paired 95% interval over {seeds}{}.",
        derived.method,
        derived.mean,
        if c.is_empty() {
            String::new()
        } else {
            format!(", at {c}")
        }
    )
}

/// A study's verdict: which derived network to take, how it fares against every other network
/// of the study, and the sentence that says which to take.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudyVerdict {
    /// The derived network taken (by its held-out metric, never the test split).
    pub derived: String,
    /// How it was picked, with each derived network's held-out metric.
    pub picked_by: String,
    pub against: Vec<Against>,
    pub sentence: String,
}

/// The mean held-out metric of a derived network's seeds goes with it: the pipeline takes the
/// first of `derived` unless another is better on the held-out parts, then compares it with the
/// other derived networks and `others`. `reference` names the network costs are compared with
/// (ResNet-18). None without a derived network.
pub fn decide(
    derived: Vec<(Contender, Option<f64>)>,
    others: Vec<Contender>,
    reference: Option<&str>,
    metric: &str,
    higher_is_better: bool,
    seed: u64,
) -> Option<StudyVerdict> {
    let mut pick = 0;
    for (k, (_, held)) in derived.iter().enumerate().skip(1) {
        if let (Some(a), Some(b)) = (held, derived.get(pick)?.1) {
            if (higher_is_better && *a > b) || (!higher_is_better && *a < b) {
                pick = k;
            }
        }
    }
    let picked_by = format!(
        "the held-out {metric} of the training's kept epoch (mean over seeds){}",
        derived
            .iter()
            .map(|(c, h)| h.map_or(String::new(), |h| format!("; {} {h:.4}", c.method)))
            .collect::<String>()
    );
    let mut rest: Vec<Contender> = vec![];
    let mut taken = None;
    for (k, (c, _)) in derived.into_iter().enumerate() {
        if k == pick {
            taken = Some(c);
        } else {
            rest.push(c);
        }
    }
    let taken = taken?;
    let siblings: Vec<String> = rest.iter().map(|c| c.method.clone()).collect();
    let siblings: Vec<&str> = siblings.iter().map(String::as_str).collect();
    rest.extend(others);
    let refs: Vec<&Contender> = rest.iter().collect();
    let against = against_all(&taken, &refs, higher_is_better, seed);
    let reference = reference.and_then(|name| rest.iter().find(|o| o.method == name));
    let sentence = sentence(
        &taken,
        &against,
        &refs,
        &siblings,
        metric,
        higher_is_better,
        reference,
    );
    Some(StudyVerdict {
        derived: taken.method,
        picked_by,
        against,
        sentence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Paired;

    fn network(method: &str, mean: f64, macs: i64) -> Contender {
        Contender {
            method: method.into(),
            scores: vec![],
            mean,
            macs: Some(macs),
            latency_ms: None,
        }
    }

    fn against(method: &str, low: f64, high: f64) -> Against {
        let verdict = if low > 0.0 {
            Verdict::Better
        } else if high < 0.0 {
            Verdict::Worse
        } else {
            Verdict::Tie
        };
        Against {
            method: method.into(),
            paired: Paired {
                difference: (low + high) / 2.0,
                low,
                high,
                seeds: 3,
                resamples: RESAMPLES,
                verdict,
            },
        }
    }

    /// The sentence takes the derived network unless another beats it by its interval, and
    /// counts what it beat and tied with; costs are compared with the reference (ResNet-18).
    #[test]
    fn the_sentence_names_the_network_to_take_and_why() {
        let cell = network("DARTS cell, retrained", 0.981, 600_000);
        let r18 = network("ResNet-18", 0.975, 34_600_000);
        let r10 = network("ResNet-10", 0.979, 15_800_000);
        let others = [&r18, &r10];
        let ties = [
            against("ResNet-18", -0.002, 0.01),
            against("ResNet-10", -0.004, 0.006),
        ];
        let s = sentence(&cell, &ties, &others, &[], "accuracy", true, Some(&r18));
        assert_eq!(
            s,
            "Take DARTS cell, retrained: accuracy 0.9810, tied with all 2 other networks by the paired 95% interval over 3 seeds, at 600,000 multiply-adds per image (0.02 of ResNet-18's)."
        );
        let mixed = [
            against("ResNet-18", 0.001, 0.01),
            against("ResNet-10", -0.004, 0.006),
        ];
        let s = sentence(&cell, &mixed, &others, &[], "accuracy", true, Some(&r18));
        assert!(
            s.contains("better than 1 and tied with 1 of the 2 other networks"),
            "{s}"
        );
        let beaten = [
            against("ResNet-18", 0.001, 0.01),
            against("ResNet-10", -0.01, -0.002),
        ];
        let s = sentence(&cell, &beaten, &others, &[], "accuracy", true, Some(&r18));
        assert!(
            s.starts_with("Take ResNet-10: accuracy 0.9790 against 0.9810"),
            "{s}"
        );
        assert!(s.contains("the search did not win here"), "{s}");
        // Beaten by the search's other network: the search still won.
        let s = sentence(
            &cell,
            &beaten,
            &others,
            &["ResNet-10"],
            "accuracy",
            true,
            Some(&r18),
        );
        assert!(
            s.contains("the search's other network beat the one its held-out parts picked"),
            "{s}"
        );
    }
}
