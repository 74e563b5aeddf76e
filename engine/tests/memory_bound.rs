//! The analytic memory lower bound that refuses a search before anything is built (security
//! review "Configs with no upper bound": `estimate` built the supernet of any config, which took
//! minutes or exhausted the memory).
mod common;

use engine::config::{Order, Preset, SearchConfig, StrategyKind};
use engine::estimate::{check_fits, lower_bound_bytes, supernet_weights, InputShape};
use engine::network::NetShape;
use engine::ops::Primitive;
use engine::search::supernet::{SearchSpace, Supernet};
use tch::nn::VarStore;
use tch::Device;

const GIB: u64 = 1 << 30;

fn config(layers: usize, init_channels: i64, nodes: usize, batch_size: usize) -> SearchConfig {
    SearchConfig {
        layers,
        init_channels,
        nodes,
        batch_size,
        ..Preset::DartsPaper.config()
    }
}

fn input(channels: i64, side: i64, outputs: i64) -> InputShape {
    InputShape {
        channels,
        height: side,
        width: side,
        outputs,
    }
}

#[test]
fn the_weight_count_matches_the_built_supernet() {
    // quark0/darts Network(16, 10, 8): 1,930,618 weights (tests/param_counts.rs).
    assert_eq!(
        supernet_weights(&config(8, 16, 4, 64), &input(3, 32, 10)),
        1_930_618
    );
    for (layers, c, nodes, prims, channels, outputs) in [
        (5, 4, 2, Primitive::ALL.to_vec(), 1, 7),
        (
            2,
            6,
            3,
            vec![Primitive::SkipConnect, Primitive::MaxPool3x3],
            2,
            3,
        ),
        (1, 3, 1, vec![Primitive::Conv7x1_1x7, Primitive::None], 3, 2),
        (7, 5, 5, Primitive::DARTS.to_vec(), 1, 4),
    ] {
        let cfg = SearchConfig {
            primitives: prims.clone(),
            ..config(layers, c, nodes, 8)
        };
        let vs = VarStore::new(Device::Cpu);
        let shape = NetShape {
            in_channels: channels,
            outputs,
            init_channels: c,
            layers,
        };
        let space = SearchSpace {
            nodes,
            primitives: prims,
        };
        let _net = Supernet::new(&vs.root(), &shape, &space);
        assert_eq!(
            supernet_weights(&cfg, &input(channels, 9, outputs)) as i64,
            engine::count_weights(&vs),
            "{layers} layers, C={c}, {nodes} nodes"
        );
    }
}

// Worked by hand: 1 layer (a reduction cell, inputs padded to a multiple of 2), 1 node, ops
// none, max_pool, sep_conv_3x3, C=2, one 1x2x2 image, 3 outputs.
// Weights: stem 1*6*9 + 2*6 = 66; preprocessing 6*4 + 6*4 = 48 (C doubles to 4); two edges of
// sep_conv 2*(4*9 + 16) = 104 each; classifier 4*3 + 3 = 15: 337.
// Kept floats: stem output 6*2*2 = 24; per edge the ReLU of its 4x2x2 input (16) and 1 + 5
// tensors of 4x1x1 for the pool and the sep_conv (24): 2 * 40 = 80; 104 per image.
#[test]
fn the_lower_bound_matches_a_hand_count() {
    let cfg = SearchConfig {
        primitives: vec![
            Primitive::None,
            Primitive::MaxPool3x3,
            Primitive::SepConv3x3,
        ],
        ..config(1, 2, 1, 1)
    };
    let tiny = input(1, 2, 3);
    assert_eq!(supernet_weights(&cfg, &tiny), 337);
    assert_eq!(lower_bound_bytes(&cfg, &tiny), (337 + 104) * 4);
    let three = SearchConfig {
        batch_size: 3,
        ..cfg
    };
    assert_eq!(lower_bound_bytes(&three, &tiny), (337 + 3 * 104) * 4);
}

#[test]
fn the_reviewed_search_cannot_fit_and_the_tiny_one_can() {
    let huge = config(30, 256, 8, 4096);
    let mnist = input(1, 28, 10);
    assert!(lower_bound_bytes(&huge, &mnist) > 24 * GIB);
    let err = check_fits(&huge, &mnist, 24 * GIB).err();
    assert!(
        err.as_ref()
            .is_some_and(|e| e.needed > e.available && e.available == 24 * GIB),
        "{err:?}"
    );
    assert!(
        err.is_some_and(|e| e
            .to_string()
            .contains("but 25.8 GB is available; lower batch_size")),
        "message"
    );
    let tiny = Preset::Tiny.config();
    let digits = input(1, 8, 10);
    let bound = lower_bound_bytes(&tiny, &digits);
    assert!(bound < GIB, "{bound}");
    assert_eq!(check_fits(&tiny, &digits, GIB), Ok(bound));
    // Absurd values that were never validated saturate rather than overflow or hang.
    let absurd = SearchConfig {
        layers: usize::MAX,
        nodes: usize::MAX,
        batch_size: usize::MAX,
        init_channels: i64::MAX,
        ..tiny
    };
    assert_eq!(lower_bound_bytes(&absurd, &digits), u64::MAX);
    // ProxylessNAS at the widest and deepest it may be, on large images: refused unbuilt.
    let wide = SearchConfig {
        strategy: StrategyKind::Proxyless,
        per_stage: 8,
        ..config(1, 256, 4, 512)
    };
    let big = input(3, 512, 10);
    assert!(lower_bound_bytes(&wide, &big) > 24 * GIB);
    assert!(check_fits(&wide, &big, 24 * GIB).is_err());
    let absurd = SearchConfig {
        strategy: StrategyKind::Proxyless,
        per_stage: usize::MAX,
        ..absurd
    };
    assert_eq!(lower_bound_bytes(&absurd, &digits), u64::MAX);
}

/// The bound against what `estimate` measures (this process's peak resident memory, with the
/// per-image growth extrapolated to the batch): it must stay below, for the tiny preset and for a
/// config whose activations are most of the memory.
#[test]
fn the_lower_bound_is_below_the_measured_memory() -> Result<(), Box<dyn std::error::Error>> {
    let data = engine::data::load(&common::sample())?;
    let digits = InputShape::of(&data);
    for cfg in [
        Preset::Tiny.config(),
        SearchConfig {
            max_steps_per_epoch: Some(1),
            order: Order::First,
            ..config(5, 16, 4, 256)
        },
        // ProxylessNAS's layers (issue 17), counted by `proxyless::cost`.
        SearchConfig {
            strategy: StrategyKind::Proxyless,
            per_stage: 3,
            ..config(5, 16, 4, 256)
        },
    ] {
        let cfg = SearchConfig {
            device: "cpu".into(),
            ..cfg
        };
        let measured =
            engine::estimate::estimate(&data, &cfg, &engine::estimate::cpu_memory, None)?;
        let bound = lower_bound_bytes(&cfg, &digits);
        assert_eq!(measured.weights as u64, supernet_weights(&cfg, &digits));
        eprintln!(
            "batch {}: bound {bound} B, measured {} B",
            cfg.batch_size, measured.memory_bytes
        );
        assert!(
            bound < measured.memory_bytes,
            "{bound} vs {}",
            measured.memory_bytes
        );
        assert!(bound >= measured.weights as u64 * 4);
    }
    Ok(())
}
