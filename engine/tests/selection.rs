//! Perturbation-based selection (DARTS-PT, ../shared/DARTS.md "Closing the discretisation
//! gap"): it keeps the op whose removal costs the validation metric most, where argmax keeps the
//! op of largest alpha; its decisions are events and `selection.json`; a search cancelled during
//! selection resumes to the same cell.
mod common;

use engine::config::{Preset, SearchConfig, SelectionKind};
use engine::data::load;
use engine::events::Event;
use engine::network::NetShape;
use engine::ops::Primitive;
use engine::scoring::{evaluate_with, metric_name};
use engine::search::checkpoint::Progress;
use engine::search::searcher::{Loss, Searcher};
use engine::search::selection::{self, Context, Selection};
use engine::search::strategy::{CellMix, Mixing};
use engine::search::{self, EventLog, SearchError};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use tch::{Device, Kind, Tensor};

fn tiny_pt() -> SearchConfig {
    SearchConfig {
        device: "cpu".into(),
        selection: SelectionKind::Perturbation,
        pt_tune_steps: 1,
        pt_eval_samples: 64,
        ..Preset::Tiny.config()
    }
}

fn events(dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A supernet whose cells mix avg_pool_3x3 and sep_conv_3x3, trained with the convolutions
/// weighing 99% of every edge (alpha 5 against 0), then given alphas that favour the pool
/// slightly (0.1 against 0: 52.5% of each edge). The network leans on the convolutions, so
/// removing the pool costs least: argmax keeps the pool everywhere, perturbation keeps
/// convolutions, and its first decision is checked against masks built independently.
#[test]
fn perturbation_keeps_what_the_metric_misses_where_argmax_keeps_the_larger_alpha() {
    let data = load(&common::sample()).unwrap();
    let cfg = SearchConfig {
        primitives: vec![Primitive::AvgPool3x3, Primitive::SepConv3x3],
        nodes: 2,
        init_channels: 8,
        batch_size: 32,
        pt_tune_steps: 0,
        pt_eval_samples: 300,
        ..tiny_pt()
    };
    tch::manual_seed(4);
    let shape = NetShape::of(&data, cfg.init_channels, cfg.layers);
    let mut s = Searcher::new(&shape, &cfg, Loss::CrossEntropy, Device::Cpu);
    let set_alphas = |s: &Searcher, pool: f64, conv: f64| {
        tch::no_grad(|| {
            for a in [&s.alphas.normal, &s.alphas.reduce] {
                let _ = a.shallow_clone().select(1, 0).fill_(pool);
                let _ = a.shallow_clone().select(1, 1).fill_(conv);
            }
        })
    };
    set_alphas(&s, 0.0, 5.0);
    let parts = search::parts(&data, &cfg).unwrap();
    for step in 0..80 {
        let idx: Vec<i64> = (0..32)
            .map(|i| parts.weights[(step * 32 + i) % parts.weights.len()])
            .collect();
        let (x, y) = data.batch(&idx, &parts.stats, Device::Cpu);
        let _ = s.weight_step(&x, &y);
    }
    set_alphas(&s, 0.1, 0.0);
    let (normal, reduce) = s.op_weights();
    let argmax = engine::genotype::Genotype::from_weights(
        &normal,
        &reduce,
        &cfg.primitives,
        cfg.nodes,
        None,
    );
    assert!(argmax
        .normal
        .iter()
        .all(|(p, _)| *p == Primitive::AvgPool3x3));

    let out = common::scratch("pt-keeps-what-matters");
    std::fs::create_dir_all(&out).unwrap();
    let mut decisions = vec![];
    let mut listener = |_: u64, e: &Event| {
        if let Event::Selection(d) = e {
            decisions.push(d.clone());
        }
    };
    let mut log = EventLog::open(&out, &mut listener).unwrap();
    let mut progress = Progress::default();
    let cancel = AtomicBool::new(false);
    let chosen = selection::Perturbation
        .select(&mut Context {
            searcher: &mut s,
            data: &data,
            parts: &parts,
            cfg: &cfg,
            out: &out,
            log: &mut log,
            cancel: &cancel,
            progress: &mut progress,
            device: Device::Cpu,
        })
        .unwrap();
    drop(log);
    assert_ne!(chosen, argmax, "perturbation and argmax choose alike");
    let convs = chosen
        .normal
        .iter()
        .chain(&chosen.reduce)
        .filter(|(p, _)| *p == Primitive::SepConv3x3)
        .count();
    assert!(convs > 0, "{chosen:?}");

    // The first decision, checked without the rule's code: with nothing decided yet, masking an
    // op of the edge is zeroing its softmax weight.
    let first = &decisions[0];
    let edge = first.edge.unwrap() as i64;
    // The samples the rule scores on: a seeded random draw of the architecture part (a file
    // sorted by class would otherwise give a one-class sample).
    let eval = engine::retrain::fit::calibration_sample(&parts.arch, 300);
    let accuracy_without = |op: i64| {
        let cell = |a: &Tensor, masked: bool| {
            let w = a.detach().softmax(-1, Kind::Float);
            if masked {
                let _ = w.get(edge).get(op).fill_(0.0);
            }
            CellMix {
                ops: w,
                edges: None,
                only: None,
            }
        };
        let reduce = first.cell == "reduce";
        let mix = Mixing {
            normal: cell(&s.alphas.normal, !reduce),
            reduce: cell(&s.alphas.reduce, reduce),
        };
        let score = evaluate_with(&s, Some(&mix), &data, &eval, &parts.stats, Device::Cpu, 64);
        score.metrics[metric_name(data.task)]
    };
    let (pool, conv) = (accuracy_without(0), accuracy_without(1));
    let kept_conv = first.chosen == "sep_conv_3x3";
    assert_eq!(
        kept_conv,
        conv < pool || (conv == pool && kept_conv),
        "{first:?}"
    );
    for r in &first.candidates {
        let expected = if r.name == "avg_pool_3x3" { pool } else { conv };
        assert!((r.metric - expected).abs() < 1e-9, "{r:?} vs {expected}");
    }
}

/// Every decision is an event and a row of selection.json: 9 op decisions per cell type with
/// 3 nodes, and 1 + 2 input drops; the genotype is the decisions' and valid.
#[test]
fn a_perturbation_search_records_every_decision() {
    let data = load(&common::sample()).unwrap();
    let out = common::scratch("pt-search");
    let cfg = SearchConfig {
        nodes: 3,
        pt_eval_samples: 32,
        ..tiny_pt()
    };
    let result = search::run(&data, &cfg, &out, &AtomicBool::new(false), &mut |_, _| {}).unwrap();
    let selection: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("selection.json")).unwrap())
            .unwrap();
    let decisions = selection["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 2 * (9 + 3));
    let ev: Vec<Value> = events(&out)
        .into_iter()
        .filter(|e| e["type"] == "selection")
        .collect();
    assert_eq!(ev.len(), decisions.len());
    // The last cell the run reports is the one selection kept (the pages draw it).
    let last_genotype = events(&out)
        .into_iter()
        .rfind(|e| e["type"] == "genotype")
        .unwrap();
    assert_eq!(
        last_genotype["genotype"],
        serde_json::to_value(&result.genotype).unwrap()
    );
    assert_eq!(selection["metric"], "accuracy");
    assert!(result.genotype.validate().is_ok());
    // Each edge's kept op is what the genotype holds.
    for cell in ["normal", "reduce"] {
        let kept: Vec<&Value> = decisions
            .iter()
            .filter(|d| d["cell"] == cell && d["kind"] == "op")
            .collect();
        assert_eq!(kept.len(), 9);
        let ops = if cell == "normal" {
            &result.genotype.normal
        } else {
            &result.genotype.reduce
        };
        for (node, pair) in ops.chunks(2).enumerate() {
            assert_ne!(pair[0].1, pair[1].1, "node {node} reads one input twice");
            for (prim, input) in pair {
                let edge = node * (node + 3) / 2 + input;
                let d = kept.iter().find(|d| d["edge"] == edge).unwrap();
                assert_eq!(d["chosen"], prim.as_str());
                // The kept op's removal hurts at least as much as any other's.
                let drop_of = |name: &str| {
                    d["candidates"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|c| c["name"] == name)
                        .unwrap()["drop"]
                        .as_f64()
                        .unwrap()
                };
                let kept_drop = drop_of(prim.as_str());
                for c in d["candidates"].as_array().unwrap() {
                    assert!(c["drop"].as_f64().unwrap() <= kept_drop + 1e-12, "{d}");
                }
            }
        }
    }
}

/// A search cancelled in the middle of selection resumes from its last decision to the same
/// decisions and cell as an uninterrupted one.
#[test]
fn a_search_cancelled_during_selection_resumes_to_the_same_cell() {
    let data = load(&common::sample()).unwrap();
    let cfg = SearchConfig {
        nodes: 2,
        pt_eval_samples: 32,
        ..tiny_pt()
    };
    let straight = common::scratch("pt-resume-straight");
    let a = search::run(
        &data,
        &cfg,
        &straight,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();

    let resumed = common::scratch("pt-resume-split");
    let cancel = AtomicBool::new(false);
    let mut seen = 0;
    let err = search::run(&data, &cfg, &resumed, &cancel, &mut |_, e| {
        if matches!(e, Event::Selection(_)) {
            seen += 1;
            if seen == 7 {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    })
    .unwrap_err();
    assert!(matches!(err, SearchError::Cancelled));
    assert!(!resumed.join("selection.json").exists());
    let b = search::run(
        &data,
        &cfg,
        &resumed,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(a.genotype, b.genotype);
    let read = |d: &std::path::Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("selection.json")).unwrap()).unwrap()
    };
    let (x, y) = (read(&straight), read(&resumed));
    let chosen = |v: &Value| -> Vec<Value> {
        v["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["chosen"].clone())
            .collect()
    };
    assert_eq!(chosen(&x), chosen(&y));
    let metrics = |v: &Value| -> Vec<f64> {
        v["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["base"].as_f64().unwrap())
            .collect()
    };
    for (p, q) in metrics(&x).iter().zip(metrics(&y)) {
        assert!((p - q).abs() < 1e-6, "{p} vs {q}");
    }
    assert_eq!(a.supernet_test_metric, b.supernet_test_metric);
}
