//! Retraining a genotype from scratch (run kind `train`): the evaluation network's size as
//! DARTS reports it, training on train + validation, one score on the untouched test split, and
//! the files a run leaves.
mod common;

use engine::config::Preset;
use engine::data::{load, Dataset, Splits, Task};
use engine::genotype::Genotype;
use engine::resnet::Depth;
use engine::retrain::net::Architecture;
use engine::retrain::{self, config::TrainConfig};
use std::sync::atomic::AtomicBool;
use tch::{Device, Kind, Tensor};

fn cifar_like(n: i64) -> Dataset {
    let images = (Tensor::arange(n * 3 * 32 * 32, (Kind::Int64, Device::Cpu)) * 7919)
        .remainder(256)
        .to_kind(Kind::Uint8)
        .view([n, 3, 32, 32]);
    Dataset {
        name: "cifar-like".into(),
        task: Task::Classification,
        images,
        targets: Tensor::arange(n, (Kind::Int64, Device::Cpu)).remainder(10),
        names: (0..10).map(|c| c.to_string()).collect(),
        splits: Splits {
            train: (0..n - 2).collect(),
            val: vec![],
            test: vec![n - 2, n - 1],
            test_seed: None,
        },
        warnings: vec![],
        preprocessing: Default::default(),
    }
}

#[test]
fn the_paper_network_has_the_papers_size_without_its_auxiliary_head() {
    // ../shared/DARTS.md: NetworkCIFAR(36, 10, 20, auxiliary, DARTS_V2) has 3,349,342 weights
    // ("param size = 3.349342MB", the auxiliary head excluded). One step of batch 2 is enough.
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 2,
        max_steps_per_epoch: Some(1),
        device: "cpu".into(),
        ..TrainConfig::preset(Preset::DartsPaper)
    };
    let out = common::scratch("retrain-paper-size");
    let r = retrain::run(
        &cifar_like(6),
        &Architecture::Cell(Genotype::darts_v2()),
        &cfg,
        &out,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(r.params, 3_349_342);
    assert_eq!((r.train_samples, r.test_samples), (4, 2));
    let saved = Tensor::read_safetensors(out.join("weights.safetensors")).unwrap();
    // PyTorch-style names, the auxiliary head's weights kept for a resumed training.
    assert!(
        saved.iter().any(|(n, _)| n == "classifier.weight"),
        "{:?}",
        saved.iter().map(|(n, _)| n).take(5).collect::<Vec<_>>()
    );
    assert!(saved.iter().any(|(n, _)| n.starts_with("auxiliary_head.")));
}

#[test]
fn retraining_on_the_digits_learns_and_scores_the_held_out_test_split_once() {
    let data = load(&common::sample()).unwrap();
    let cfg = TrainConfig {
        device: "cpu".into(),
        ..TrainConfig::preset(Preset::Quick)
    };
    let out = common::scratch("retrain-digits");
    let mut epochs = vec![];
    let r = retrain::run(
        &data,
        &Architecture::Cell(Genotype::darts_v2()),
        &cfg,
        &out,
        &AtomicBool::new(false),
        &mut |_, e| {
            if let engine::events::Event::Epoch {
                train_loss,
                val_metric,
                ..
            } = e
            {
                epochs.push((*train_loss, *val_metric));
            }
        },
    )
    .unwrap();
    // Train and validation together, the test split apart: every sample used exactly once.
    assert_eq!(r.train_samples + r.test_samples, 1797);
    assert_eq!(r.test_samples, data.splits.test.len());
    assert_eq!(epochs.len(), 5);
    // No validation part to report: it was trained on.
    assert!(epochs.iter().all(|(_, v)| v.is_nan()));
    assert!(
        epochs[4].0 < epochs[0].0,
        "the training loss falls: {epochs:?}"
    );
    // Chance is 0.1 on ten balanced classes; 100 steps of 32 reach well above it.
    assert!(r.test_metric > 0.5, "test accuracy {}", r.test_metric);
    assert_eq!(r.test_metrics.get("accuracy"), Some(&r.test_metric));
    assert!(r.test_metrics.contains_key("balanced_accuracy"));
    // The confusion matrix holds every test image once; its diagonal is the accuracy.
    let m = r.confusion_matrix.as_ref().unwrap();
    let total: u64 = m.iter().flatten().sum();
    let hits: u64 = (0..10).map(|i| m[i][i]).sum();
    assert_eq!(total as usize, r.test_samples);
    assert!((hits as f64 / total as f64 - r.test_metric).abs() < 1e-12);
    assert!(
        !r.test_metrics.contains_key("roc_auc"),
        "ten classes: no ROC AUC"
    );
    for f in [
        "config.json",
        "genotype.json",
        "events.jsonl",
        "weights.safetensors",
        "result.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let g: Genotype =
        serde_json::from_str(&std::fs::read_to_string(out.join("genotype.json")).unwrap()).unwrap();
    assert_eq!(g, Genotype::darts_v2());
}

#[test]
fn binary_tasks_report_roc_auc() {
    let mut data = cifar_like(12);
    data.targets = data.targets.remainder(2);
    data.names.truncate(2);
    data.splits.test = (6..12).collect();
    data.splits.train = (0..6).collect();
    let cfg = TrainConfig {
        device: "cpu".into(),
        ..TrainConfig::preset(Preset::Tiny)
    };
    let r = retrain::run(
        &data,
        &Architecture::ResNet(Depth::ResNet10),
        &cfg,
        &common::scratch("retrain-binary"),
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    let auc = r.test_metrics["roc_auc"];
    assert!((0.0..=1.0).contains(&auc), "{auc}");
    assert_eq!(r.confusion_matrix.as_ref().map(|m| m.len()), Some(2));
}

#[test]
fn a_bad_config_is_refused_with_every_field_named() {
    let cfg = TrainConfig {
        epochs: 0,
        layers: 2,
        drop_path: 1.5,
        ..TrainConfig::preset(Preset::Tiny)
    };
    let err = retrain::run(
        &cifar_like(6),
        &Architecture::Cell(Genotype::darts_v2()),
        &cfg,
        &common::scratch("retrain-bad"),
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    for field in ["epochs", "layers", "drop_path"] {
        assert!(err.contains(field), "{err}");
    }
}

#[test]
fn resnet_baselines_have_the_cifar_resnet_sizes_and_train_with_the_same_recipe() {
    // kuangliu/pytorch-cifar ResNet18 (3x3 stem, no max-pool, 10 classes): 11,173,962 weights;
    // with one basic block per stage (ResNet-10): 4,903,242 (both counted with torch 2.11 on
    // that model code).
    //
    // Multiply-adds on one 3x32x32 image, by hand from the layer shapes (output positions x
    // output channels x input channels x kernel area, summed): ResNet-18: stem 1,769,472,
    // stage 1 150,994,944, stages 2-4 134,217,728 each (with the 1x1 shortcuts), linear 5,120:
    // 555,422,720 (thop and ptflops print 0.56 G for this model). ResNet-10: 1,769,472 +
    // 75,497,472 + 3 x 58,720,256 + 5,120 = 253,432,832.
    let mut speeds = vec![];
    for (depth, expected, macs) in [
        (Depth::ResNet18, 11_173_962, 555_422_720),
        (Depth::ResNet10, 4_903_242, 253_432_832),
    ] {
        let cfg = TrainConfig {
            epochs: 1,
            batch_size: 2,
            max_steps_per_epoch: Some(1),
            device: "cpu".into(),
            ..TrainConfig::preset(Preset::Tiny)
        };
        let out = common::scratch(&format!("retrain-{}", depth.name()));
        let r = retrain::run(
            &cifar_like(6),
            &Architecture::ResNet(depth),
            &cfg,
            &out,
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(
            (r.architecture.as_str(), r.params),
            (depth.name(), expected)
        );
        assert_eq!(r.macs, Some(macs), "{}", depth.name());
        assert!(r.genotype.is_none() && !out.join("genotype.json").exists());
        assert!(r.test_metric.is_finite());
        speeds.push(r.speed.expect("a trained network's speed"));
    }
    // Measured on this CPU after training: ResNet-18 runs 2.2 times ResNet-10's multiply-adds,
    // so it answers one image more slowly and gets through fewer images a second.
    let (r18, r10) = (speeds[0], speeds[1]);
    assert!(r18.latency_ms > 0.0 && r10.latency_ms > 0.0, "{speeds:?}");
    assert!(r18.latency_ms > r10.latency_ms, "{speeds:?}");
    assert!(r18.throughput < r10.throughput, "{speeds:?}");
}
