//! The pruned network ("prune and fine-tune", ../shared/DARTS.md "Closing the discretisation
//! gap"): the supernet reduced to the selected cell, with the supernet's trained weights. Before
//! any fine-tuning it computes what the supernet computes with the selection's projection; its
//! multiply-adds are the evaluation network's of the same genotype, width and depth; fine-tuned,
//! it exports a `model.pt` that PyTorch runs to the Rust network's outputs.
mod common;

use common::exported::{max_diff, python_forward, rust_forward};

use engine::config::{Preset, SearchConfig, SelectionKind, StrategyKind};
use engine::data::{load, Dataset};
use engine::model::EvalNetwork;
use engine::network::NetShape;
use engine::nn::Mode;
use engine::retrain::config::TrainConfig;
use engine::retrain::net::{Architecture, PRUNED};
use engine::search::checkpoint::{self, Progress};
use engine::search::pruned::{kept, PrunedNetwork, PrunedSource};
use engine::search::searcher::{Loss, Searcher};
use engine::search::selection::projection::Mask;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use tch::nn::VarStore;
use tch::{CModule, Device, Kind, Tensor};

fn search(data: &Dataset, cfg: &SearchConfig, name: &str) -> PathBuf {
    let out = common::scratch(name);
    engine::search::run(data, cfg, &out, &AtomicBool::new(false), &mut |_, _| {}).unwrap();
    out
}

fn tiny(strategy: StrategyKind, selection: SelectionKind) -> SearchConfig {
    SearchConfig {
        device: "cpu".into(),
        strategy,
        pc_k: 2,
        selection,
        pt_tune_steps: 1,
        pt_eval_samples: 32,
        max_steps_per_epoch: Some(3),
        ..Preset::Tiny.config()
    }
}

/// The pruned network of the search in `dir` with the checkpoint's weights.
fn pruned(data: &Dataset, source: &PrunedSource) -> (VarStore, PrunedNetwork) {
    let vs = VarStore::new(Device::Cpu);
    let shape = NetShape::of(data, 99, 99); // width and depth come from the search
    let net = PrunedNetwork::new(&vs.root(), &shape, source);
    source.load(&vs).unwrap();
    (vs, net)
}

#[test]
fn pruned_network_computes_what_the_projected_supernet_computes() {
    let data = load(&common::sample()).unwrap();
    let cfg = tiny(StrategyKind::Darts, SelectionKind::Perturbation);
    let dir = search(&data, &cfg, "pruned-projection");
    let source = PrunedSource::open(&dir).unwrap();
    assert_eq!(source.config, cfg);
    assert_eq!(source.edge_weights, None);
    // The supernet as selection left it, and its projection once every decision was taken.
    let shape = NetShape::of(&data, cfg.init_channels, cfg.layers);
    let mut searcher = Searcher::new(&shape, &cfg, Loss::CrossEntropy, Device::Cpu);
    let progress: Progress = checkpoint::load(&source.checkpoint, &mut searcher).unwrap();
    let state = progress.selection.expect("perturbation selection's state");
    assert_eq!(
        state.projection.genotype(&cfg.primitives).as_ref(),
        Some(&source.genotype)
    );
    let mixture = searcher.strategy.mixture(&searcher.alphas.detached());
    let projected = state.projection.apply(&mixture, false, Mask::None);
    let x = data
        .batch(
            &data.splits.test[..12],
            &data.stats(&data.splits.train),
            Device::Cpu,
        )
        .0;
    let expected = tch::no_grad(|| searcher.net.forward(&x, &projected, Mode::Eval));
    let (vs, net) = pruned(&data, &source);
    let got = tch::no_grad(|| net.forward(&x, Mode::Eval));
    assert_eq!(got.size(), vec![12, 10]);
    assert!(
        max_diff(&got, &expected) < 1e-5,
        "{}",
        max_diff(&got, &expected)
    );
    // Only the kept ops' weights remain: fewer than the supernet's.
    let pruned_weights = engine::count_weights(&vs);
    assert!(pruned_weights < engine::count_weights(&searcher.weights_vs) / 3);

    // The multiply-adds of one image equal the evaluation network's of the same genotype,
    // width and depth (both count the same convolutions and the classifier; its BNs are affine).
    let eval_vs = VarStore::new(Device::Cpu);
    let eval = EvalNetwork::new(&eval_vs.root(), &shape, &source.genotype, false);
    let one = Tensor::zeros([1, 1, 8, 8], (Kind::Float, Device::Cpu));
    let _guard = tch::no_grad_guard();
    let eval_macs = engine::nn::count_macs(|| {
        let _ = eval.forward(&one, Mode::Eval, 0.0);
    });
    let pruned_macs = engine::nn::count_macs(|| {
        let _ = net.forward(&one, Mode::Eval);
    });
    assert_eq!(pruned_macs, eval_macs);
}

/// PC-DARTS keeps its partial channels, channel shuffle and edge weights in the pruned network;
/// fine-tuned and exported, `model.pt` runs in PyTorch at another batch size than traced.
#[test]
fn pc_darts_pruned_network_fine_tunes_and_exports() {
    let data = load(&common::sample()).unwrap();
    let cfg = tiny(StrategyKind::PcDarts, SelectionKind::Argmax);
    let dir = search(&data, &cfg, "pruned-pc-darts");
    let source = PrunedSource::open(&dir).unwrap();
    let (n, r) = source.edge_weights.clone().expect("PC-DARTS edge weights");
    // Softmax over each node's inputs: node 0's two edges sum to 1, node 1's three too.
    for w in [&n, &r] {
        assert!((w[0] + w[1] - 1.0).abs() < 1e-6);
        assert!((w[2] + w[3] + w[4] - 1.0).abs() < 1e-6);
    }
    let arch = Architecture::Pruned(Box::new(source));
    let tcfg = TrainConfig {
        device: "cpu".into(),
        epochs: 1,
        max_steps_per_epoch: Some(4),
        ..TrainConfig::preset(Preset::Tiny)
    };
    let out = common::scratch("pruned-pc-darts-finetune");
    let result = engine::retrain::run(
        &data,
        &arch,
        &tcfg,
        &out,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(result.architecture, PRUNED);
    assert_eq!(result.genotype.as_ref(), arch.genotype());
    assert!(result.test_metric > 0.0 && result.test_metric <= 1.0);
    let idx = Tensor::from_slice(&data.splits.test[..5]);
    let x = data.images.index_select(0, &idx).to_kind(Kind::Float);
    let expected = rust_forward(&data, &arch, &TrainConfig::preset(Preset::Tiny), &out, &x);
    let py = python_forward(&out, &x);
    assert!(
        max_diff(&py, &expected) < 1e-5,
        "{}",
        max_diff(&py, &expected)
    );
    let traced = CModule::load(out.join("model.pt")).unwrap();
    let three = traced.forward_ts(&[&x.narrow(0, 0, 3)]).unwrap();
    assert!(max_diff(&three, &expected.narrow(0, 0, 3)) < 1e-5);
}

#[test]
fn pruning_refuses_unfinished_searches_and_cells_it_cannot_hold() {
    let dir = common::scratch("pruned-unfinished");
    std::fs::create_dir_all(&dir).unwrap();
    let e = PrunedSource::open(&dir).unwrap_err().to_string();
    assert!(e.contains("has not finished"), "{e}");
    let mut g = engine::genotype::Genotype::darts_v2();
    let prims = engine::ops::Primitive::DARTS;
    assert!(kept(&g, &prims, 4).is_ok());
    g.normal[1].1 = g.normal[0].1; // node 0 takes both ops from one input
    let e = kept(&g, &prims, 4).unwrap_err().to_string();
    assert!(
        e.contains("normal cell's node 0 takes two ops from input"),
        "{e}"
    );
    let e = kept(&g, &prims, 3).unwrap_err().to_string();
    assert!(
        e.contains("8 ops; a supernet of 3 nodes prunes to 6"),
        "{e}"
    );
}
