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
        symmetry: Default::default(),
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
    // The quick recipe at 5 epochs of 20 steps of 32, without seconds or early stopping.
    let cfg = TrainConfig {
        device: "cpu".into(),
        epochs: 5,
        batch_size: 32,
        max_steps_per_epoch: Some(20),
        seconds: None,
        patience: None,
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
    // Train and validation together less the held-out tenth, the test split apart: every
    // sample used exactly once.
    let held = r.stopped.as_ref().unwrap().holdout_samples;
    assert_eq!(held, 153, "a tenth of the 1,527 train + validation samples");
    assert_eq!(r.train_samples + held + r.test_samples, 1797);
    assert_eq!(r.test_samples, data.splits.test.len());
    assert_eq!(epochs.len(), 5);
    // The held-out tenth is scored after every epoch.
    assert!(epochs.iter().all(|(_, v)| (0.0..=1.0).contains(v)));
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
    // Every trained network carries its measured speed. Which of the two is faster is a
    // timing, and timings are the benchmarks' business (README "Performance"): with the test
    // lanes running beside each other, ResNet-18 has been measured faster than ResNet-10.
    for s in &speeds {
        assert!(s.latency_ms.is_finite() && s.latency_ms > 0.0, "{speeds:?}");
        assert!(s.throughput.is_finite() && s.throughput > 0.0, "{speeds:?}");
    }
}

/// Flips and quarter turns come from the dataset's symmetry, never by default: a dataset
/// imported without one is never flipped, whatever its task.
#[test]
fn a_dataset_without_symmetry_is_never_flipped() {
    use engine::data::Symmetry;
    use engine::retrain::fit::augmentation;
    // A marked left column: a mirror image has it on the right, a quarter turn on a row.
    let x = Tensor::zeros([64, 1, 6, 6], (Kind::Float, Device::Cpu));
    let _ = x.narrow(3, 0, 1).fill_(1.0);
    let moved = |symmetry: Symmetry, flip: Option<bool>| {
        let mut data = cifar_like(8);
        data.symmetry = symmetry;
        let cfg = TrainConfig {
            flip,
            crop_padding: Some(0.0),
            ..TrainConfig::preset(Preset::Quick)
        };
        let aug = augmentation(&cfg, &data, 6);
        let mut rng = engine::rng::Rng::derive(0, 12, 1);
        let y = aug.apply(&x, &mut rng);
        // Images whose left column is no longer the marked one.
        (0..64)
            .filter(|&i| y.get(i).narrow(2, 0, 1).sum(Kind::Float).double_value(&[]) != 6.0)
            .count()
    };
    assert_eq!(moved(Symmetry::None, None), 0, "no symmetry, no flips");
    let flipped = moved(Symmetry::Flip, None);
    assert!(
        (16..=48).contains(&flipped),
        "about half flipped: {flipped}"
    );
    assert!(moved(Symmetry::Dihedral, None) > flipped / 2);
    assert_eq!(
        moved(Symmetry::Dihedral, Some(false)),
        0,
        "flip false rules both out"
    );
    assert!(
        moved(Symmetry::None, Some(true)) > 0,
        "flip true forces flips"
    );
}

/// A training with a held-out share keeps its best epoch and says why it stopped.
#[test]
fn a_training_keeps_its_best_held_out_epoch_and_records_why_it_stopped() {
    let data = load(&common::sample()).unwrap();
    let out = common::scratch("retrain-keeps-best");
    let cfg = TrainConfig {
        epochs: 6,
        batch_size: 32,
        max_steps_per_epoch: Some(4),
        layers: 3,
        init_channels: 4,
        patience: Some(2),
        seconds: None,
        device: "cpu".into(),
        ..TrainConfig::preset(Preset::Quick)
    };
    let r = retrain::run(
        &data,
        &Architecture::ResNet(Depth::ResNet10),
        &cfg,
        &out,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    let s = r.stopped.expect("stopped is recorded");
    assert_eq!(s.holdout_curve.len(), s.epochs_run);
    let best = s.holdout_curve.iter().cloned().fold(f64::MIN, f64::max);
    assert_eq!(s.holdout_metric, Some(best));
    assert_eq!(s.holdout_curve[s.kept_epoch - 1], best);
    match s.reason {
        engine::retrain::fit::StopReason::Plateau => assert_eq!(s.epochs_run - s.kept_epoch, 2),
        engine::retrain::fit::StopReason::Epochs => assert_eq!(s.epochs_run, 6),
        other => panic!("stopped by {other:?} without seconds"),
    }
    // 10% of the sample's train + validation samples were held out, not trained on.
    let all = data.splits.train.len() + data.splits.val.len();
    assert_eq!(s.holdout_samples, (all as f64 * 0.1).round() as usize);
    assert_eq!(r.train_samples + s.holdout_samples, all);
    // Every test image has its score, and they give the test metric.
    let scores = engine::verdict::TestScores::read(&out).unwrap();
    assert_eq!(scores.scores.len(), data.splits.test.len());
    assert!((scores.metric() - r.test_metric).abs() < 1e-9);
}
