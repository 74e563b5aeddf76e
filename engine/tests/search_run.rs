//! Whole searches with the `tiny` preset: the files a run leaves, the events it streams,
//! regression targets, cancellation and resuming from a checkpoint.
mod common;

use engine::config::{AlphaReg, Preset, SearchConfig, StrategyKind};
use engine::data::{load, Dataset, Splits, Task};
use engine::events::{Event, RunStatus};
use engine::search::{self, SearchError};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use tch::{Device, Kind, Tensor};

fn tiny() -> SearchConfig {
    SearchConfig {
        device: "cpu".into(),
        ..Preset::Tiny.config()
    }
}

fn read_events(dir: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn tiny_search_writes_every_result_file_and_event() {
    let data = load(&common::sample()).unwrap();
    let out = common::scratch("tiny-search");
    let cfg = SearchConfig {
        epochs: 2,
        ..tiny()
    };
    let mut seen = Vec::new();
    let result = search::run(&data, &cfg, &out, &AtomicBool::new(false), &mut |seq, e| {
        seen.push((seq, e.clone()))
    })
    .unwrap();
    for f in [
        "config.json",
        "events.jsonl",
        "genotype.json",
        "alphas.json",
        "result.json",
        "checkpoint/weights.safetensors",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    assert_eq!(
        (
            result.metric.as_str(),
            result.higher_is_better,
            result.epochs
        ),
        ("accuracy", true, 2)
    );
    assert!((0.0..=1.0).contains(&result.best_val_metric));
    // The supernet scored once on the test split, with every metric of the task.
    let t = result.supernet_test_metric.unwrap();
    assert!((0.0..=1.0).contains(&t), "{t}");
    assert_eq!(result.supernet_test_metrics.get("accuracy"), Some(&t));
    assert!(result
        .supernet_test_metrics
        .contains_key("balanced_accuracy"));
    assert_eq!(
        result.val_metrics.keys().collect::<Vec<_>>(),
        ["accuracy", "balanced_accuracy"]
    );
    assert_eq!(result.val_metrics["accuracy"], result.final_val_metric);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).unwrap()).unwrap();
    for key in [
        "genotype",
        "metric",
        "higher_is_better",
        "best_val_metric",
        "epochs",
        "seconds",
    ] {
        assert!(saved.get(key).is_some(), "result.json lacks {key}");
    }
    assert_eq!(
        serde_json::from_value::<engine::genotype::Genotype>(saved["genotype"].clone()).unwrap(),
        result.genotype
    );

    let events = read_events(&out);
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
    assert_eq!(seen.len(), events.len());
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"status"));
    assert_eq!(events.last().unwrap()["status"], "succeeded");
    let epochs: Vec<&Value> = events.iter().filter(|e| e["type"] == "epoch").collect();
    assert_eq!(epochs.len(), 2);
    assert_eq!(epochs[1]["epoch"], 2);
    for key in [
        "train_loss",
        "train_metric",
        "val_loss",
        "val_metric",
        "seconds",
        "memory_bytes",
    ] {
        assert!(epochs[0][key].is_number(), "epoch event lacks {key}");
    }
    let alphas = events.iter().find(|e| e["type"] == "alphas").unwrap();
    assert_eq!(alphas["normal"].as_array().unwrap().len(), 14);
    let row: f64 = alphas["normal"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((row - 1.0).abs() < 1e-5, "alphas rows are softmaxed");
    assert!(events
        .iter()
        .any(|e| e["type"] == "genotype" && e["param_free"]["normal"].is_number()));
}

/// A regression dataset made in the test: the target is the mean brightness of the image.
fn brightness_dataset() -> Dataset {
    // Deterministic pixels in 0..100 without the process-global generator other tests share.
    let images = (Tensor::arange(120 * 2 * 9 * 11, (Kind::Int64, Device::Cpu)) * 7919)
        .remainder(101)
        .to_kind(Kind::Float)
        .view([120, 2, 9, 11]);
    let targets = images
        .mean_dim([1i64, 2, 3].as_slice(), false, Kind::Float)
        .view([120, 1]);
    let splits = Splits {
        train: (0..100).collect(),
        val: vec![],
        test: (100..120).collect(),
        test_seed: None,
    };
    Dataset {
        name: "brightness".into(),
        task: Task::Regression,
        images,
        targets,
        names: vec!["brightness".into()],
        splits,
        warnings: vec![],
        preprocessing: Default::default(),
        symmetry: Default::default(),
    }
}

#[test]
fn regression_search_reports_rmse_in_original_units() {
    let out = common::scratch("tiny-regression");
    let result = search::run(
        &brightness_dataset(),
        &tiny(),
        &out,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(
        (result.metric.as_str(), result.higher_is_better),
        ("rmse", false)
    );
    // Targets are means of pixels spread over 0..100: about 50. An RMSE in standardised units
    // would be near 1; in original units it is a few units, never 0.
    assert!(
        result.best_val_metric > 0.0 && result.best_val_metric < 60.0,
        "{}",
        result.best_val_metric
    );
}

/// A search cancelled after its first epoch and resumed ends as the uninterrupted one: the same
/// architecture weights and genotype (every draw of an epoch derives from the seed and the
/// epoch: batches, and GDAS's Gumbel noise).
fn resumes_to_the_same_result(cfg: &SearchConfig, name: &str) {
    let data = load(&common::sample()).unwrap();
    let straight = common::scratch(&format!("resume-{name}-straight"));
    search::run(
        &data,
        cfg,
        &straight,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();

    let resumed = common::scratch(&format!("resume-{name}-split"));
    let cancel = AtomicBool::new(false);
    let stop_after_first = &mut |_: u64, e: &Event| {
        if matches!(e, Event::Epoch { epoch: 1, .. }) {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let err = search::run(&data, cfg, &resumed, &cancel, stop_after_first).unwrap_err();
    assert!(matches!(err, SearchError::Cancelled));
    assert!(!resumed.join("result.json").exists());
    let events = read_events(&resumed);
    assert_eq!(events.last().unwrap()["status"], "cancelled");

    search::run(
        &data,
        cfg,
        &resumed,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    let alphas = |dir: &std::path::Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("alphas.json")).unwrap()).unwrap()
    };
    let (a, b) = (alphas(&straight), alphas(&resumed));
    for cell in ["normal", "reduce"] {
        let flat = |v: &Value| -> Vec<f64> {
            v[cell]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
                .collect()
        };
        for (x, y) in flat(&a).iter().zip(flat(&b)) {
            assert!((x - y).abs() < 1e-5, "{cell}: {x} vs {y}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(straight.join("genotype.json")).unwrap(),
        std::fs::read_to_string(resumed.join("genotype.json")).unwrap()
    );
    let events = read_events(&resumed);
    assert_eq!(events.last().unwrap()["status"], "succeeded");
    assert!(events
        .iter()
        .any(|e| e["type"] == "log" && e["message"].as_str().unwrap().contains("resumed")));
    let _ = RunStatus::Running;
}

#[test]
fn cancelled_search_resumes_to_the_same_result() {
    let cfg = SearchConfig {
        epochs: 2,
        ..tiny()
    };
    resumes_to_the_same_result(&cfg, "darts");
}

#[test]
fn cancelled_pc_darts_and_gdas_searches_resume_to_the_same_result() {
    // PC-DARTS with its warm-up (alphas frozen in epoch 1) and edge normalisation.
    let pc = SearchConfig {
        epochs: 2,
        strategy: StrategyKind::PcDarts,
        pc_k: 2,
        warmup_epochs: 1,
        ..tiny()
    };
    resumes_to_the_same_result(&pc, "pc-darts");
    // GDAS with the beta regulariser: the noise and lambda(t) of epoch 2 are drawn afresh.
    let gdas = SearchConfig {
        epochs: 2,
        strategy: StrategyKind::Gdas,
        alpha_reg: AlphaReg::Beta,
        ..tiny()
    };
    resumes_to_the_same_result(&gdas, "gdas");
}

#[test]
fn diverging_search_fails_with_a_readable_message() {
    // A loss that is not finite ends the search: learning rates that large are now refused by the
    // config's ranges, so the loss is made infinite through the data (the import refuses such
    // pixels; here they are put in after it).
    let mut data = load(&common::sample()).unwrap();
    data.images = data.images.ones_like() * f64::INFINITY;
    let out = common::scratch("diverge");
    let cfg = tiny();
    let err = search::run(&data, &cfg, &out, &AtomicBool::new(false), &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("diverged"), "{err}");
}

#[test]
fn an_exploding_validation_loss_is_divergence() {
    // SGD at w_lr 10 without clipping: batch norm keeps each training step finite, but the
    // validation loss (running statistics) reaches 1e8 or more in the first epoch.
    let data = load(&common::sample()).unwrap();
    let cfg = SearchConfig {
        w_optimizer: engine::config::WOptimizer::Sgd,
        w_lr: 10.0,
        w_momentum: 0.99,
        grad_clip: 1e30,
        ..tiny()
    };
    let out = common::scratch("diverge-explode");
    let err = search::run(&data, &cfg, &out, &AtomicBool::new(false), &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("diverged at epoch 1"), "{err}");
}
