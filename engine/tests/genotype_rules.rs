//! The rules a genotype must pass before a network is built from it (security review "Configs
//! with no upper bound": a genotype of 10,000 nodes per cell was accepted, and an all-`none` one
//! passed validation and then failed in the worker). The rules: `Genotype::validate`.
use engine::genotype::Genotype;
use engine::model::EvalNetwork;
use engine::network::NetShape;
use engine::nn::Mode;
use engine::ops::Primitive;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn invalid(g: &Genotype) -> String {
    match g.validate() {
        Ok(()) => String::from("accepted"),
        Err(e) => e.to_string(),
    }
}

fn all_none() -> Genotype {
    let cell: Vec<(Primitive, usize)> = (0..8).map(|k| (Primitive::None, k % 2)).collect();
    Genotype {
        normal: cell.clone(),
        normal_concat: vec![2, 3, 4, 5],
        reduce: cell,
        reduce_concat: vec![2, 3, 4, 5],
    }
}

#[test]
fn named_genotypes_are_valid() {
    assert_eq!(invalid(&Genotype::darts_v1()), "accepted");
    assert_eq!(invalid(&Genotype::darts_v2()), "accepted");
}

#[test]
fn an_all_none_genotype_is_refused_naming_cell_and_node() {
    assert_eq!(
        invalid(&all_none()),
        "normal cell: node 0 (state 2) is in the output but outputs only zeros: no op other than none leads to it from the cell's inputs"
    );
}

#[test]
fn a_ten_thousand_node_genotype_is_refused() {
    let ops: Vec<(Primitive, usize)> = (0..20_000)
        .map(|k| (Primitive::SepConv3x3, k % 2))
        .collect();
    let g = Genotype {
        normal: ops,
        normal_concat: vec![2],
        ..Genotype::darts_v2()
    };
    let msg = invalid(&g);
    assert!(
        msg.starts_with("normal cell: has 10000 nodes (20000 ops); at most 8 nodes (16 ops)"),
        "{msg}"
    );
    // 8 nodes, the `nodes` limit, are fine.
    let eight: Vec<(Primitive, usize)> = (0..16).map(|k| (Primitive::SepConv3x3, k % 2)).collect();
    let g = Genotype {
        reduce: eight,
        reduce_concat: (2..10).collect(),
        ..Genotype::darts_v2()
    };
    assert_eq!(invalid(&g), "accepted");
    let mut nine = g.clone();
    nine.reduce
        .extend([(Primitive::SepConv3x3, 0), (Primitive::SepConv3x3, 1)]);
    assert!(
        invalid(&nine).starts_with("reduce cell: has 9 nodes"),
        "{}",
        invalid(&nine)
    );
}

#[test]
fn a_node_in_the_output_with_two_none_inputs_is_refused() {
    let mut g = Genotype::darts_v2();
    // Node 3 (state 5): skip from 0 and dil_conv from node 0, both replaced by none.
    g.normal[6].0 = Primitive::None;
    g.normal[7].0 = Primitive::None;
    assert_eq!(
        invalid(&g),
        "normal cell: node 3 (state 5) is in the output but outputs only zeros: no op other than none leads to it from the cell's inputs"
    );
    // A node fed only by a node of zeros outputs zeros too.
    let mut chain = Genotype::darts_v2();
    chain.reduce[0].0 = Primitive::None;
    chain.reduce[1].0 = Primitive::None;
    chain.reduce[2] = (Primitive::MaxPool3x3, 2);
    chain.reduce[3] = (Primitive::None, 1);
    chain.reduce_concat = vec![3, 4, 5];
    assert!(
        invalid(&chain).starts_with("reduce cell: node 1 (state 3)"),
        "{}",
        invalid(&chain)
    );
    // One none beside a live op is fine.
    let mut one = Genotype::darts_v2();
    one.normal[7].0 = Primitive::None;
    assert_eq!(invalid(&one), "accepted");
}

#[test]
fn weights_off_every_path_to_the_output_are_refused() {
    // darts-v2 without node 3 in the output: its dil_conv (op 7) feeds nothing.
    let mut g = Genotype::darts_v2();
    g.normal_concat = vec![2, 3, 4];
    assert_eq!(
        invalid(&g),
        "normal cell: op 7 (dil_conv_3x3) of node 3 has weights but reaches no state in concat [2, 3, 4], so they would never learn"
    );
    // Input 0 read only through none.
    let mut g = Genotype::darts_v2();
    for k in [0, 2, 5, 6] {
        g.normal[k].0 = Primitive::None;
    }
    assert!(
        invalid(&g).starts_with("normal cell: input 0 reaches no state"),
        "{}",
        invalid(&g)
    );
}

/// Whether every trainable weight of the evaluation network gets a gradient from one training
/// step: a weight without one makes the retraining's gradient clipping fail.
fn every_weight_learns(g: &Genotype) -> bool {
    tch::manual_seed(0);
    let vs = VarStore::new(Device::Cpu);
    let shape = NetShape {
        in_channels: 1,
        outputs: 3,
        init_channels: 4,
        layers: 3,
    };
    let net = EvalNetwork::new(&vs.root(), &shape, g, false);
    let x = Tensor::randn([2, 1, 8, 8], (Kind::Float, Device::Cpu));
    let (logits, _) = net.forward(&x, Mode::Train, 0.0);
    let loss = logits.square().sum(Kind::Float);
    let weights = vs.trainable_variables();
    Tensor::run_backward(&[&loss], &weights, false, false)
        .iter()
        .all(|g| g.defined())
}

#[test]
fn accepted_genotypes_train_and_refused_ones_would_not() {
    let mut pools_only = Genotype::darts_v2();
    pools_only.normal = pools_only.reduce.clone();
    let mut one_none = Genotype::darts_v2();
    one_none.normal[7].0 = Primitive::None;
    for g in [
        Genotype::darts_v1(),
        Genotype::darts_v2(),
        pools_only,
        one_none,
    ] {
        assert_eq!(invalid(&g), "accepted", "{g:?}");
        assert!(every_weight_learns(&g), "{g:?}");
    }
    let mut unused_conv = Genotype::darts_v2();
    unused_conv.normal_concat = vec![2, 3, 4];
    let mut unread_input = Genotype::darts_v2();
    for k in [0, 2, 5, 6] {
        unread_input.normal[k].0 = Primitive::None;
    }
    for g in [all_none(), unused_conv, unread_input] {
        assert_ne!(invalid(&g), "accepted", "{g:?}");
        assert!(!every_weight_learns(&g), "{g:?}");
    }
}
