//! Parameter counts against the authors' code (../shared/DARTS.md, "Reference sizes"):
//! quark0/darts model_search.py Network(16, 10, 8) has 1,930,618 weights and 2 x (14 x 8) = 224
//! architecture weights (khanrc/pt.darts agrees); model.py NetworkCIFAR(36, 10, 20, auxiliary,
//! DARTS_V2) has 3,349,342 weights without the auxiliary head ("param size = 3.349342MB" in the
//! authors' logs) and 3,825,768 with it.
use engine::genotype::Genotype;
use engine::model::EvalNetwork;
use engine::network::NetShape;
use engine::nn::Mode;
use engine::ops::Primitive;
use engine::search::strategy::{Darts, Strategy};
use engine::search::supernet::{Alphas, SearchSpace, Supernet};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn shape(in_channels: i64, outputs: i64, init_channels: i64, layers: usize) -> NetShape {
    NetShape {
        in_channels,
        outputs,
        init_channels,
        layers,
    }
}

fn darts_space() -> SearchSpace {
    SearchSpace {
        nodes: 4,
        primitives: Primitive::DARTS.to_vec(),
    }
}

#[test]
fn supernet_matches_the_authors_count() {
    let vs = VarStore::new(Device::Cpu);
    let avs = VarStore::new(Device::Cpu);
    let _net = Supernet::new(&vs.root(), &shape(3, 10, 16, 8), &darts_space());
    let _alphas = Alphas::new(&avs.root(), 4, 8);
    assert_eq!(engine::count_weights(&vs), 1_930_618);
    assert_eq!(engine::count_weights(&avs), 224);
}

#[test]
fn darts_v2_eval_net_matches_the_authors_count() {
    for (auxiliary, expected) in [(false, 3_349_342), (true, 3_825_768)] {
        let vs = VarStore::new(Device::Cpu);
        let _net = EvalNetwork::new(
            &vs.root(),
            &shape(3, 10, 36, 20),
            &Genotype::darts_v2(),
            auxiliary,
        );
        assert_eq!(
            engine::count_weights(&vs),
            expected,
            "auxiliary = {auxiliary}"
        );
    }
}

#[test]
fn parameter_names_mirror_pytorch_state_dict_keys() {
    let vs = VarStore::new(Device::Cpu);
    let _net = Supernet::new(&vs.root(), &shape(3, 10, 16, 8), &darts_space());
    let names = vs.variables();
    for key in [
        "stem.0.weight",
        "stem.1.weight",
        "cells.0.preprocess0.op.1.weight",
        "cells.0._ops.0._ops.4.op.1.weight",
        "cells.3.preprocess0.conv_1.weight",
        "cells.0._ops.0._ops.1.1.running_mean",
        "classifier.weight",
    ] {
        assert!(names.contains_key(key), "missing {key}");
    }
}

/// Any input: odd, tiny and non-square sizes, N channels, K classes or R outputs.
#[test]
fn supernet_and_eval_net_take_any_image_size() {
    tch::manual_seed(0);
    for (c, h, w, layers) in [
        (1, 28, 28, 5),
        (1, 8, 8, 3),
        (2, 27, 27, 4),
        (3, 32, 20, 5),
        (5, 9, 13, 2),
        (1, 5, 7, 1),
    ] {
        let vs = VarStore::new(Device::Cpu);
        let avs = VarStore::new(Device::Cpu);
        let space = SearchSpace {
            nodes: 2,
            primitives: vec![
                Primitive::None,
                Primitive::SkipConnect,
                Primitive::SepConv3x3,
                Primitive::MaxPool3x3,
            ],
        };
        let net = Supernet::new(&vs.root(), &shape(c, 7, 4, layers), &space);
        let alphas = Alphas::new(&avs.root(), 2, 4);
        let x = Tensor::randn([2, c, h, w], (Kind::Float, Device::Cpu));
        assert_eq!(
            net.forward(&x, &Darts.mixing(&alphas, None), Mode::Train)
                .size(),
            [2, 7],
            "supernet {c}x{h}x{w}"
        );
        let evs = VarStore::new(Device::Cpu);
        let eval = EvalNetwork::new(
            &evs.root(),
            &shape(c, 3, 4, layers.max(3)),
            &Genotype::darts_v2(),
            true,
        );
        let (logits, aux) = eval.forward(&x, Mode::Train, 0.2);
        assert_eq!(logits.size(), [2, 3], "eval {c}x{h}x{w}");
        assert_eq!(aux.map(|a| a.size()), Some(vec![2, 3]));
        assert!(eval.forward(&x, Mode::Eval, 0.0).1.is_none());
    }
}

#[test]
fn edge_count_follows_nodes() {
    for (nodes, edges) in [(1, 2), (2, 5), (3, 9), (4, 14), (5, 20)] {
        assert_eq!(engine::network::edge_count(nodes), edges);
        let avs = VarStore::new(Device::Cpu);
        let a = Alphas::new(&avs.root(), nodes, 5);
        assert_eq!(a.normal.size(), [edges as i64, 5]);
    }
}
