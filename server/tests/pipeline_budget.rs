//! `dartboard pipeline --budget`: a study of one seed given two minutes on the sample finishes
//! within them (plus a stated tolerance), every training stops for a stated reason, and the
//! comparison ends with its verdict.
mod common;

use common::{dartboard, json_line, sample, scratch};
use std::time::Instant;

/// What a budgeted study may overrun by: the steps of an epoch already begun, the process's
/// start and the dataset's import, the final scoring and exports (measured: 5-10 s here).
const TOLERANCE_SECONDS: f64 = 30.0;

#[test]
fn a_two_minute_study_finishes_in_its_budget_with_a_verdict() {
    let out = scratch("pipeline-budget");
    let o = out.display().to_string();
    let started = Instant::now();
    let c = json_line(&dartboard(&[
        "pipeline",
        "--data",
        &sample(),
        "--budget",
        "2m",
        "--seeds",
        "1",
        "--device",
        "cpu",
        "--out",
        &o,
    ]));
    let took = started.elapsed().as_secs_f64();
    assert!(
        took <= 120.0 + TOLERANCE_SECONDS,
        "a 2-minute study took {took:.0} s"
    );
    assert_eq!(c["budget_seconds"], 120.0);
    assert_eq!(c["symmetry"], "none");
    // Every trained network stopped on a plateau or when its share ran out.
    for row in c["rows"].as_array().unwrap().iter().skip(1) {
        for stopped in row["stopped"].as_array().unwrap() {
            let reason = stopped["reason"].as_str().unwrap();
            assert!(
                reason == "plateau" || reason == "budget",
                "{}: stopped by {reason}",
                row["method"]
            );
            assert!(stopped["kept_epoch"].as_u64().unwrap() >= 1);
        }
    }
    // The search planned its epochs for its fifth of the budget.
    let search: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("seed-0/search/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(search["seconds"], 24.0);
    // The verdict: the derived network against the four others, each with its interval.
    let v = &c["verdict"];
    let derived = v["derived"].as_str().unwrap();
    assert!(derived.starts_with("DARTS"), "{derived}");
    let against = v["against"].as_array().unwrap();
    assert_eq!(against.len(), 4, "{v}");
    for a in against {
        let (low, d, high) = (
            a["low"].as_f64().unwrap(),
            a["difference"].as_f64().unwrap(),
            a["high"].as_f64().unwrap(),
        );
        assert!(low <= d && d <= high, "{a}");
        let word = a["verdict"].as_str().unwrap();
        assert!(["better", "tie", "worse"].contains(&word));
    }
    let sentence = v["sentence"].as_str().unwrap();
    assert!(sentence.starts_with("Take "), "{sentence}");
    // Refused before anything runs: a budget that is no time.
    let bad = dartboard(&[
        "pipeline",
        "--data",
        &sample(),
        "--budget",
        "soon",
        "--out",
        &scratch("pipeline-budget-bad").display().to_string(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--budget: budget 'soon' is not a time"));
}
