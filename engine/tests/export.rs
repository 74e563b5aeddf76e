//! `model.pt`: TorchScript that takes images as they were before the import (the import's crop
//! and resize it applies itself) and applies the normalisation itself. Its outputs agree to 1e-5 with the Rust forward pass of the network
//! rebuilt from `weights.safetensors`, loaded by tch's CModule and by PyTorch's `torch.jit.load`
//! in the project's venv.
mod common;

use common::exported::{max_diff, python_forward, rust_forward};

use engine::config::Preset;
use engine::data::{load, load_with, Dataset, ImportOptions, Splits, Task};
use engine::genotype::Genotype;
use engine::retrain::config::TrainConfig;
use engine::retrain::net::Architecture;
use engine::retrain::{self, TrainResult};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use tch::{CModule, Device, Kind, Tensor};

fn train(data: &Dataset, arch: &Architecture, name: &str) -> (PathBuf, TrainResult, TrainConfig) {
    let cfg = TrainConfig {
        device: "cpu".into(),
        epochs: 2,
        // An auxiliary head is trained; model.pt must leave it out.
        auxiliary_weight: 0.4,
        ..TrainConfig::preset(Preset::Tiny)
    };
    let out = common::scratch(name);
    let r = retrain::run(
        data,
        arch,
        &cfg,
        &out,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    (out, r, cfg)
}

#[test]
fn classification_model_agrees_in_rust_tch_and_python() {
    let data = load(&common::sample()).unwrap();
    let arch = Architecture::Cell(Genotype::darts_v2());
    let (out, _, cfg) = train(&data, &arch, "export-digits");
    // Ten test images exactly as the dataset stores them (0-16 grey levels), as float32.
    let idx = Tensor::from_slice(&data.splits.test[..10]);
    let x = data.images.index_select(0, &idx).to_kind(Kind::Float);
    let expected = rust_forward(&data, &arch, &cfg, &out, &x);
    assert_eq!(expected.size(), vec![10, 10], "logits for ten classes");
    let module = CModule::load(out.join("model.pt")).unwrap();
    let traced = module.forward_ts(&[&x]).unwrap();
    assert!(
        max_diff(&traced, &expected) < 1e-5,
        "{}",
        max_diff(&traced, &expected)
    );
    // Another batch size than the one traced.
    let one = module.forward_ts(&[&x.narrow(0, 0, 3)]).unwrap();
    assert!(max_diff(&one, &expected.narrow(0, 0, 3)) < 1e-5);
    let py = python_forward(&out, &x);
    assert!(
        max_diff(&py, &expected) < 1e-5,
        "{}",
        max_diff(&py, &expected)
    );
}

#[test]
fn the_model_crops_and_resizes_source_images_as_the_import_did() {
    // The digits imported with a centre crop to 6x6 and a resize to 12x12: the model takes the
    // 8x8 source images and must give what the network gives on the stored 12x12 ones.
    let opts = ImportOptions {
        crop: Some((6, 6)),
        resize: Some((12, 12)),
        ..ImportOptions::default()
    };
    let data = load_with(&common::sample(), &opts).unwrap();
    let source = load(&common::sample()).unwrap();
    assert_eq!(data.image_shape(), (1, 12, 12));
    assert_eq!(data.preprocessing.source_size, Some((8, 8)));
    assert!(
        data.preprocessing.rounded,
        "0-16 grey levels are 8-bit data"
    );
    assert_eq!(data.splits.test, source.splits.test);
    let arch = Architecture::Cell(Genotype::darts_v2());
    let (out, r, cfg) = train(&data, &arch, "export-crop-resize");
    assert_eq!(
        r.model_input,
        engine::export::ModelInput {
            size: Some((8, 8)),
            crop: Some((6, 6)),
            resize: Some((12, 12)),
            rounded: true,
        }
    );
    let idx = Tensor::from_slice(&data.splits.test[..10]);
    let stored = data.images.index_select(0, &idx).to_kind(Kind::Float);
    let raw = source.images.index_select(0, &idx).to_kind(Kind::Float);
    assert_eq!(raw.size(), vec![10, 1, 8, 8]);
    let expected = rust_forward(&data, &arch, &cfg, &out, &stored);
    let module = CModule::load(out.join("model.pt")).unwrap();
    let traced = module.forward_ts(&[&raw]).unwrap();
    assert!(
        max_diff(&traced, &expected) < 1e-5,
        "{}",
        max_diff(&traced, &expected)
    );
    let py = python_forward(&out, &raw);
    assert!(
        max_diff(&py, &expected) < 1e-5,
        "{}",
        max_diff(&py, &expected)
    );
}

#[test]
fn regression_model_returns_targets_in_original_units() {
    // The target is each image's mean brightness, in 0-100 pixel units.
    let images = (Tensor::arange(80 * 9 * 9, (Kind::Int64, Device::Cpu)) * 7919)
        .remainder(101)
        .to_kind(Kind::Float)
        .view([80, 1, 9, 9]);
    let targets = images
        .mean_dim([1i64, 2, 3].as_slice(), false, Kind::Float)
        .view([80, 1]);
    let data = Dataset {
        name: "brightness".into(),
        task: Task::Regression,
        images,
        targets,
        names: vec!["brightness".into()],
        splits: Splits {
            train: (0..70).collect(),
            val: vec![],
            test: (70..80).collect(),
            test_seed: None,
        },
        warnings: vec![],
        preprocessing: Default::default(),
        symmetry: Default::default(),
    };
    let arch = Architecture::ResNet(engine::resnet::Depth::ResNet10);
    let (out, _, cfg) = train(&data, &arch, "export-regression");
    let x = data.images.narrow(0, 70, 10);
    let expected = rust_forward(&data, &arch, &cfg, &out, &x);
    let py = python_forward(&out, &x);
    assert!(
        max_diff(&py, &expected) < 1e-5,
        "{}",
        max_diff(&py, &expected)
    );
    // Original units: standardised outputs (near 0) times the targets' sd (about 0.3 here; the
    // means sit near 50) plus their mean.
    let mean = py.mean(Kind::Float).double_value(&[]);
    assert!((30.0..70.0).contains(&mean), "{mean}");
}
