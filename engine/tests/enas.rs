//! ENAS (issue 17): the controller's REINFORCE gradient against one worked out by hand for a
//! fixed sampled sequence, and whole searches on the sample digits that a seed reproduces and a
//! resume finishes as the uninterrupted search did.
mod common;

use engine::config::{Preset, SearchConfig, StrategyKind};
use engine::data::load;
use engine::enas::controller::{Controller, Pick, TANH_C, TEMPERATURE};
use engine::events::Event;
use engine::ops::Primitive;
use engine::rng::Rng;
use engine::search::{self, SearchError};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use tch::nn::VarStore;
use tch::Device;

/// d(objective)/d(raw logits) of one decision, by hand: with s = c tanh(z / T) over the valid
/// entries, p = softmax(s), H = -sum p log p and the objective -A log p_a - w H,
/// dobj/ds = -A (onehot_a - p) + w p (log p + H), and ds/dz = (c / T) (1 - tanh^2(z / T)).
fn by_hand(z: &[f64], valid: &[bool], action: usize, advantage: f64, w: f64) -> Vec<f64> {
    let s: Vec<f64> = z
        .iter()
        .map(|v| TANH_C * (v / TEMPERATURE).tanh())
        .collect();
    let top = s
        .iter()
        .zip(valid)
        .filter(|(_, ok)| **ok)
        .map(|(v, _)| *v)
        .fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = s
        .iter()
        .zip(valid)
        .map(|(v, ok)| if *ok { (v - top).exp() } else { 0.0 })
        .collect();
    let total: f64 = e.iter().sum();
    let p: Vec<f64> = e.iter().map(|v| v / total).collect();
    let h: f64 = -p
        .iter()
        .filter(|q| **q > 0.0)
        .map(|q| q * q.ln())
        .sum::<f64>();
    (0..z.len())
        .map(|k| {
            if !valid[k] {
                return 0.0;
            }
            let onehot = if k == action { 1.0 } else { 0.0 };
            let dobj_ds = -advantage * (onehot - p[k]) + w * p[k] * (p[k].ln() + h);
            let t = (z[k] / TEMPERATURE).tanh();
            dobj_ds * TANH_C / TEMPERATURE * (1.0 - t * t)
        })
        .collect()
}

#[test]
fn the_reinforce_gradient_matches_one_worked_out_by_hand() {
    let vs = VarStore::new(Device::Cpu);
    let prims = [
        Primitive::None,
        Primitive::SkipConnect,
        Primitive::SepConv3x3,
        Primitive::MaxPool3x3,
    ];
    let nodes = 2;
    // Seeded alone: the searches of this binary's other test initialise beside it.
    let controller = search::initialise(Some(3), || Controller::new(&vs.root(), &prims, nodes));
    let mut raw = vec![];
    let sample = controller.sample(Pick::Draw(&mut Rng::new(11)), Some(&mut raw));
    assert_eq!(raw.len(), controller.len());
    assert_eq!(sample.actions.len(), 2 * 4 * nodes);
    let (advantage, w) = (0.37, 0.05);
    let objective = -(&sample.log_prob * advantage) - &sample.entropy * w;
    objective.backward();
    let grad = |name: &str| -> Vec<f64> {
        let vars = vs.variables();
        Vec::<f64>::try_from(vars[name].grad().to_kind(tch::Kind::Double)).unwrap()
    };
    // The heads' biases add to the raw logits: their gradients are the sums over decisions.
    let (mut op_bias, mut input_bias) = (vec![0.0; 3], vec![0.0; nodes + 2]);
    for (t, z) in raw.iter().enumerate() {
        let (node, within) = ((t % (4 * nodes)) / 4, t % 4);
        let action = sample.actions[t];
        if within % 2 == 1 {
            for (g, v) in op_bias
                .iter_mut()
                .zip(by_hand(z, &[true; 3], action, advantage, w))
            {
                *g += v;
            }
        } else {
            // A node reads one of its node + 2 earlier states; its second input another one.
            let first = if within == 2 {
                Some(sample.actions[t - 2])
            } else {
                None
            };
            let valid: Vec<bool> = (0..nodes + 2)
                .map(|i| i < node + 2 && Some(i) != first)
                .collect();
            assert!(valid[action], "decision {t} took an input it may not");
            for (g, v) in input_bias
                .iter_mut()
                .zip(by_hand(z, &valid, action, advantage, w))
            {
                *g += v;
            }
        }
    }
    for (name, want) in [("op_head.bias", op_bias), ("input_head.bias", input_bias)] {
        let got = grad(name);
        for (g, h) in got.iter().zip(&want) {
            assert!((g - h).abs() < 1e-5, "{name}: {got:?} vs {want:?}");
        }
    }
    // The cell it wrote: two distinct inputs per node, ops without none.
    for cell in [&sample.genotype.normal, &sample.genotype.reduce] {
        assert_eq!(cell.len(), 2 * nodes);
        for pair in cell.chunks(2) {
            assert_ne!(pair[0].1, pair[1].1);
            assert!(pair.iter().all(|(op, _)| *op != Primitive::None));
        }
    }
}

fn tiny(seed: u64) -> SearchConfig {
    SearchConfig {
        device: "cpu".into(),
        strategy: StrategyKind::Enas,
        epochs: 2,
        max_steps_per_epoch: Some(3),
        enas_controller_steps: 3,
        enas_samples: 3,
        seed,
        ..Preset::Tiny.config()
    }
}

fn events(dir: &std::path::Path, kind: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["type"] == kind)
        .map(|mut e| {
            e.as_object_mut().unwrap().remove("seq");
            e
        })
        .collect()
}

#[test]
fn a_seed_reproduces_the_controller_and_a_resume_ends_as_the_straight_search() {
    let data = load(&common::sample()).unwrap();
    let run = |cfg: &SearchConfig, name: &str| {
        let out = common::scratch(name);
        let r = enas(&data, cfg, &out, &AtomicBool::new(false), &mut |_, _| {}).unwrap();
        (out, r)
    };
    let (a, ra) = run(&tiny(4), "enas-seed-a");
    let (b, rb) = run(&tiny(4), "enas-seed-b");
    let (c, _) = run(&tiny(5), "enas-seed-c");
    let controller = events(&a, "controller");
    assert_eq!(controller.len(), 2);
    for e in &controller {
        assert!(e["reward"].as_f64().unwrap() >= 0.0 && e["entropy"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(
        controller,
        events(&b, "controller"),
        "entropy and rewards for one seed"
    );
    assert_eq!(
        events(&a, "genotype"),
        events(&b, "genotype"),
        "cells for one seed"
    );
    assert_eq!(ra.genotype, rb.genotype);
    assert_ne!(
        events(&a, "controller"),
        events(&c, "controller"),
        "another seed"
    );
    assert!(std::fs::read_to_string(a.join("events.jsonl"))
        .unwrap()
        .contains("kept the best of 3 sampled cells"));
    assert!(ra.supernet_test_metric.is_some());
    ra.genotype.validate().unwrap();

    // Cancelled after its first epoch, then resumed: the same cell and controller.
    let split = common::scratch("enas-resumed");
    let cancel = AtomicBool::new(false);
    let err = enas(&data, &tiny(4), &split, &cancel, &mut |_, e| {
        if matches!(e, Event::Epoch { epoch: 1, .. }) {
            cancel.store(true, Ordering::Relaxed);
        }
    })
    .unwrap_err();
    assert!(matches!(err, SearchError::Cancelled));
    let resumed = enas(
        &data,
        &tiny(4),
        &split,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(resumed.genotype, ra.genotype);
    assert_eq!(events(&split, "controller").last(), controller.last());
}

/// An ENAS search through the method registry (ENAS is a method of its own, not a strategy of
/// `search::run`): its cell search's result.
fn enas(
    data: &engine::data::Dataset,
    cfg: &SearchConfig,
    out: &std::path::Path,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<engine::search::SearchResult, SearchError> {
    match engine::method::run(data, cfg, out, None, cancel, listener)? {
        engine::method::Outcome::Cell(r) => Ok(r),
        engine::method::Outcome::Layers(r) => panic!("ENAS found layers: {r:?}"),
    }
}
