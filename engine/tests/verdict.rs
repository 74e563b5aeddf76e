//! The paired bootstrap against a reference computed with numpy on the same paired values and
//! the same resampling draws (the draws come from SplitMix64, re-implemented in the script).
mod common;

use engine::verdict::{paired, TestScores, Verdict};

fn scores(metric: &str, v: Vec<f64>) -> TestScores {
    TestScores {
        metric: metric.into(),
        indices: (0..v.len() as i64).collect(),
        scores: v,
    }
}

/// Deterministic per-image values: right/wrong for two classifiers, squared errors for two
/// regressors, over two seeds of 57 and 57 images.
fn values(seed: u64, n: usize, p: f64) -> Vec<f64> {
    let mut r = engine::rng::Rng::derive(seed, 99, 0);
    (0..n)
        .map(|_| if r.uniform() < p { 1.0 } else { 0.0 })
        .collect()
}

fn errors(seed: u64, n: usize, scale: f64) -> Vec<f64> {
    let mut r = engine::rng::Rng::derive(seed, 98, 0);
    (0..n).map(|_| scale * r.uniform() * r.uniform()).collect()
}

const REFERENCE: &str = r#"
import json, sys
import numpy as np
M = (1 << 64) - 1
def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)
def derive(seed, stream, epoch):
    s = seed ^ ((stream * 0x9E3779B97F4A7C15) & M)
    s2, out = splitmix(s)
    return s2 ^ out ^ ((epoch * 0xD1B54A32D192ED03) & M)
case = json.load(open(sys.argv[1]))
metric, pairs, B, seed = case["metric"], case["pairs"], case["resamples"], case["seed"]
reduce = (lambda m: np.sqrt(m)) if metric == "rmse" else (lambda m: m)
states = [derive(seed, 31, k) for k in range(len(pairs))]
diffs = []
for _ in range(B):
    total = 0.0
    for k, (a, b) in enumerate(pairs):
        a, b = np.array(a), np.array(b)
        n = len(a)
        picks = []
        for _ in range(n):
            states[k], z = splitmix(states[k])
            picks.append(z % n)
        total += reduce(a[picks].mean()) - reduce(b[picks].mean())
    diffs.append(total / len(pairs))
point = np.mean([reduce(np.mean(a)) - reduce(np.mean(b)) for a, b in pairs])
json.dump({"difference": point, "low": np.percentile(diffs, 2.5),
           "high": np.percentile(diffs, 97.5)}, open(sys.argv[2], "w"))
"#;

fn reference(
    metric: &str,
    pairs: &[(Vec<f64>, Vec<f64>)],
    resamples: usize,
    seed: u64,
) -> serde_json::Value {
    let dir = common::scratch(&format!("verdict-{metric}-{}", pairs.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = dir.join("case.json");
    let out = dir.join("out.json");
    std::fs::write(
        &case,
        serde_json::json!({"metric": metric, "pairs": pairs, "resamples": resamples, "seed": seed})
            .to_string(),
    )
    .unwrap();
    let script = dir.join("reference.py");
    std::fs::write(&script, REFERENCE).unwrap();
    common::python(&format!(
        "import runpy, sys; sys.argv = ['r', {:?}, {:?}]; runpy.run_path({:?})",
        case.display().to_string(),
        out.display().to_string(),
        script.display().to_string()
    ));
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

fn check(metric: &str, pairs: Vec<(Vec<f64>, Vec<f64>)>, higher: bool) -> engine::verdict::Paired {
    let (resamples, seed) = (300, 7);
    let owned: Vec<(TestScores, TestScores)> = pairs
        .iter()
        .map(|(a, b)| (scores(metric, a.clone()), scores(metric, b.clone())))
        .collect();
    let refs: Vec<(&TestScores, &TestScores)> = owned.iter().map(|(a, b)| (a, b)).collect();
    let ours = paired(&refs, higher, resamples, seed).unwrap();
    let numpy = reference(metric, &pairs, resamples, seed);
    for (name, v) in [
        ("difference", ours.difference),
        ("low", ours.low),
        ("high", ours.high),
    ] {
        let r = numpy[name].as_f64().unwrap();
        assert!((v - r).abs() < 1e-9, "{metric} {name}: ours {v}, numpy {r}");
    }
    ours
}

#[test]
fn paired_bootstrap_matches_numpy_for_accuracy_and_rmse() {
    // Classifier a right 90% of the time against b's 60%: better by a clear interval.
    let acc = check(
        "accuracy",
        vec![
            (values(1, 57, 0.9), values(2, 57, 0.6)),
            (values(3, 57, 0.9), values(4, 57, 0.6)),
        ],
        true,
    );
    assert_eq!(acc.verdict, Verdict::Better);
    assert!(acc.low > 0.0 && acc.seeds == 2);
    // Regression: a's squared errors a quarter of b's: lower RMSE, a negative difference,
    // which is better when lower is better.
    let rmse = check(
        "rmse",
        vec![
            (errors(5, 57, 1.0), errors(6, 57, 4.0)),
            (errors(7, 57, 1.0), errors(8, 57, 4.0)),
        ],
        false,
    );
    assert!(rmse.high < 0.0);
    assert_eq!(rmse.verdict, Verdict::Better);
    // Two equal classifiers tie.
    let tie = check(
        "accuracy",
        vec![(values(9, 57, 0.8), values(10, 57, 0.8))],
        true,
    );
    assert_eq!(tie.verdict, Verdict::Tie);
    assert!(tie.low < 0.0 && tie.high > 0.0);
}
