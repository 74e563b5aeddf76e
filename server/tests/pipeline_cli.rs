//! `dartboard baseline` and `dartboard pipeline` as a user runs them: the ResNet baselines on
//! their own, random search, and the whole study (search, retraining, ResNet-18/10, random
//! search) over seeds, with
//! comparison.json and its chart.
mod common;

use common::{dartboard, json_line, sample, scratch};
use serde_json::{json, Value};

fn read(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn baseline_trains_a_resnet_and_refuses_what_it_cannot_do() {
    let out = scratch("baseline-cli");
    let o = out.display().to_string();
    let r = json_line(&dartboard(&[
        "baseline",
        "--kind",
        "resnet10",
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--device",
        "cpu",
        "--out",
        &o,
    ]));
    for key in [
        "metric",
        "higher_is_better",
        "test_metric",
        "params",
        "seconds",
    ] {
        assert!(r.get(key).is_some(), "{key} in {r}");
    }
    assert_eq!(r["architecture"], "resnet10");
    assert!(out.join("model.pt").is_file());
    let bad = dartboard(&[
        "baseline",
        "--kind",
        "vgg",
        "--data",
        &sample(),
        "--out",
        &o,
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown baseline 'vgg'"));
    let both = dartboard(&[
        "baseline",
        "--kind",
        "random",
        "--data",
        &sample(),
        "--budget-seconds",
        "10",
        "--candidates",
        "2",
        "--out",
        &o,
    ]);
    assert!(String::from_utf8_lossy(&both.stderr).contains("not both"));
}

#[test]
fn random_search_trains_its_candidates_and_retrains_the_best() {
    let out = scratch("random-cli");
    let o = out.display().to_string();
    let r = json_line(&dartboard(&[
        "baseline",
        "--kind",
        "random",
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--candidates",
        "2",
        "--device",
        "cpu",
        "--out",
        &o,
    ]));
    assert_eq!(r["architecture"], "random");
    let s = &r["random_search"];
    assert_eq!(s["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(
        s["budget"],
        serde_json::json!({"kind": "candidates", "count": 2})
    );
    // The tiny preset's search space: DARTS's 8 ops on 4 nodes.
    assert_eq!(s["space"]["primitives"].as_array().unwrap().len(), 8);
    let best = s["best"].as_u64().unwrap() as usize;
    assert_eq!(r["genotype"], s["candidates"][best]["genotype"]);
    assert_eq!(read(&out.join("genotype.json")), r["genotype"]);
    for key in [
        "metric",
        "higher_is_better",
        "test_metric",
        "params",
        "seconds",
        "macs",
    ] {
        assert!(r.get(key).is_some(), "{key} in {r}");
    }
    assert!(r["speed"]["latency_ms"].as_f64().unwrap() > 0.0, "{r}");
    assert!(out.join("model.pt").is_file());
}

#[test]
fn pipeline_runs_the_study_over_seeds_and_writes_the_comparison() {
    let out = scratch("pipeline-cli");
    let o = out.display().to_string();
    let c = json_line(&dartboard(&[
        "pipeline",
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--seeds",
        "2",
        "--device",
        "cpu",
        // A search key over the preset, and a training key.
        "--alpha_reg",
        "beta",
        "--train-epochs",
        "2",
        "--out",
        &o,
    ]));
    assert_eq!(read(&out.join("comparison.json")), c);
    assert_eq!(
        (&c["strategy"], &c["alpha_reg"], &c["selection"]),
        (&json!("darts"), &json!("beta"), &json!("argmax"))
    );
    let rows = c["rows"].as_array().unwrap();
    let methods: Vec<&str> = rows.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(
        methods[..5],
        [
            "DARTS supernet (during search)",
            "DARTS cell, retrained",
            "DARTS network, pruned and fine-tuned",
            "ResNet-18",
            "ResNet-10"
        ]
    );
    assert!(
        methods[5].starts_with("Random search (best of "),
        "{methods:?}"
    );
    assert_eq!(methods.len(), 6);
    // The retrained row's mean and sample sd are those of the two seeds' own result files.
    let t: Vec<f64> = (0..2)
        .map(|s| {
            read(&out.join(format!("seed-{s}/train/result.json")))["test_metric"]
                .as_f64()
                .unwrap()
        })
        .collect();
    let mean = (t[0] + t[1]) / 2.0;
    let sd = ((t[0] - mean).powi(2) + (t[1] - mean).powi(2)).sqrt();
    assert!((rows[1]["test_metric_mean"].as_f64().unwrap() - mean).abs() < 1e-12);
    assert!((rows[1]["test_metric_sd"].as_f64().unwrap() - sd).abs() < 1e-12);
    for r in rows {
        assert_eq!(r["n"], 2, "{r}");
        assert!(r["macs"].as_i64().unwrap() > 0, "{r}");
    }
    // Random search's sampling was given each seed's search seconds.
    for s in 0..2 {
        let search = read(&out.join(format!("seed-{s}/search/result.json")));
        let random = read(&out.join(format!("seed-{s}/random/result.json")));
        assert_eq!(
            random["random_search"]["budget"]["seconds"],
            search["seconds"]
        );
    }
    // The supernet row is the searches' own test score.
    let s0 = read(&out.join("seed-0/search/result.json"));
    assert_eq!(rows[0]["test_metrics"][0], s0["supernet_test_metric"]);
    assert_eq!(
        rows[3]["params"],
        11_173_962 - 2 * 64 * 9,
        "kuangliu ResNet-18 on 1 channel"
    );
    // The pruned network from the command line, from seed 0's search: the same cell, and the
    // search's width (tiny: C=4) whatever the training preset says.
    let again = scratch("pipeline-cli-pruned");
    let a = again.display().to_string();
    let search_dir = out.join("seed-0/search").display().to_string();
    let p = json_line(&dartboard(&[
        "baseline",
        "--kind",
        "pruned",
        "--search",
        &search_dir,
        "--data",
        &sample(),
        "--preset",
        "quick",
        "--epochs",
        "1",
        "--max_steps_per_epoch",
        "2",
        "--device",
        "cpu",
        "--out",
        &a,
    ]));
    assert_eq!(p["architecture"], "darts-pruned");
    assert_eq!(p["genotype"], s0["genotype"]);
    let pruned0 = read(&out.join("seed-0/pruned/result.json"));
    assert_eq!(
        p["params"], pruned0["params"],
        "the search's width, not quick's"
    );
    let missing = dartboard(&[
        "baseline",
        "--kind",
        "pruned",
        "--data",
        &sample(),
        "--out",
        &a,
    ]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--search DIR"));
    let svg = std::fs::read_to_string(out.join("comparison.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("ResNet-10"));
    for s in 0..2 {
        let search = read(&out.join(format!("seed-{s}/search/config.json")));
        assert_eq!(search["alpha_reg"], "beta");
        let train = read(&out.join(format!("seed-{s}/train/config.json")));
        assert_eq!(train["epochs"], 2);
        let pruned = read(&out.join(format!("seed-{s}/pruned/result.json")));
        assert_eq!(pruned["architecture"], "darts-pruned");
        assert_eq!(pruned["epochs"], 2);
        for run in [
            "search", "train", "pruned", "resnet18", "resnet10", "random",
        ] {
            assert!(
                out.join(format!("seed-{s}/{run}/result.json")).is_file(),
                "seed {s} {run}"
            );
        }
    }
}

/// A study run in pieces: `--resume` reads back the seeds its folder holds whole (not studied
/// again), studies a half-done seed from scratch, and refuses to pool a seed searched with
/// another config.
#[test]
fn pipeline_resume_pools_finished_seeds_and_redoes_a_half_done_one() {
    let out = scratch("pipeline-resume");
    let (o, data) = (out.display().to_string(), sample());
    let run = |seeds: &str, extra: &[&str]| {
        let mut args = vec![
            "pipeline", "--data", &data, "--preset", "tiny", "--seeds", seeds, "--device", "cpu",
            "--out", &o,
        ];
        args.extend_from_slice(extra);
        dartboard(&args)
    };
    let one = json_line(&run("1", &[]));
    let seed0 = read(&out.join("seed-0/train/result.json"));
    let first = dartboard(&["pipeline", "--data", &data, "--preset", "tiny", "--out", &o]);
    assert!(String::from_utf8_lossy(&first.stderr).contains("the folder is not empty"));

    let both = run("2", &["--resume"]);
    let text = String::from_utf8_lossy(&both.stderr).to_string();
    assert!(text.contains("seed 0: finished before"), "{text}");
    let two = json_line(&both);
    assert_eq!(
        read(&out.join("seed-0/train/result.json")),
        seed0,
        "seed 0 not trained again"
    );
    for (k, r) in two["rows"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["n"], 2, "{r}");
        assert_eq!(
            r["test_metrics"][0], one["rows"][k]["test_metrics"][0],
            "{r}"
        );
    }
    assert!(out.join("seed-1/seed.json").is_file());

    // Seed 1 left half done: it is studied again; seed 0 is still read back.
    std::fs::remove_file(out.join("seed-1/random/result.json")).unwrap();
    let again = run("2", &["--resume"]);
    let text = String::from_utf8_lossy(&again.stderr).to_string();
    assert!(
        text.contains("seed 0: finished before") && !text.contains("seed 1: finished before"),
        "{text}"
    );
    assert_eq!(json_line(&again)["rows"][5]["n"], 2);

    // Another search config: refused, naming the key.
    let other = run("2", &["--resume", "--alpha_reg", "beta"]);
    assert!(!other.status.success());
    let text = String::from_utf8_lossy(&other.stderr).to_string();
    assert!(
        text.contains("alpha_reg") && text.contains("--resume pools only seeds of the same study"),
        "{text}"
    );
}
