//! The random-search baseline (../shared/DARTS.md: "Random search at equal compute is
//! competitive: always report it next to DARTS"): uniform sampling from the search space, the
//! budget rule, and a whole run that retrains the best candidate.
mod common;

use engine::config::Preset;
use engine::data::load;
use engine::genotype::Genotype;
use engine::ops::Primitive;
use engine::retrain::config::TrainConfig;
use engine::retrain::halving;
use engine::retrain::random::{self, budget_spent, Budget, Candidate, Space};
use engine::rng::Rng;
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

fn darts_space() -> Space {
    // DARTS.md: the 8 candidate ops (none included) on 4 intermediate nodes.
    Space {
        primitives: Primitive::DARTS.to_vec(),
        nodes: 4,
        arch_fraction: 0.5,
    }
}

#[test]
fn genotypes_are_drawn_uniformly_from_the_space_without_none() {
    let space = darts_space();
    let mut rng = Rng::new(7);
    let n = 3000;
    let mut ops: HashMap<Primitive, usize> = HashMap::new();
    // How often node 3 (reading from states 0..5) reads each state.
    let mut node3 = [0usize; 5];
    let mut distinct = std::collections::HashSet::new();
    for _ in 0..n {
        let g = random::sample(&space, &mut rng);
        g.validate().unwrap();
        assert_eq!(g.normal_concat, vec![2, 3, 4, 5]);
        for cell in [&g.normal, &g.reduce] {
            assert_eq!(cell.len(), 8);
            for pair in cell.chunks(2) {
                assert_ne!(pair[0].1, pair[1].1, "a node reads two different states");
            }
            for (p, _) in cell.iter() {
                *ops.entry(*p).or_default() += 1;
            }
            node3[cell[6].1] += 1;
            node3[cell[7].1] += 1;
        }
        distinct.insert(format!("{g:?}"));
    }
    assert!(!ops.contains_key(&Primitive::None), "none is never drawn");
    assert_eq!(ops.len(), 7, "every other op is drawn: {ops:?}");
    // 3000 genotypes x 16 edges over 7 ops: 6857 each; binomial sd 75, so 5% is 4.6 sd.
    let expected = (n * 16) as f64 / 7.0;
    for (p, k) in &ops {
        assert!(
            ((*k as f64) / expected - 1.0).abs() < 0.05,
            "{p:?} drawn {k} times, expected {expected:.0}"
        );
    }
    // Two of five states per node, 6000 cells: each state 2400 times (sd 38).
    for (state, k) in node3.iter().enumerate() {
        assert!(
            ((*k as f64) / 2400.0 - 1.0).abs() < 0.07,
            "node 3 reads state {state} {k} times"
        );
    }
    assert!(distinct.len() > n - 5, "draws repeat: {}", distinct.len());
    // A restricted space only yields its own ops.
    let small = Space {
        primitives: vec![
            Primitive::None,
            Primitive::SkipConnect,
            Primitive::MaxPool3x3,
        ],
        nodes: 2,
        arch_fraction: 0.5,
    };
    let g = random::sample(&small, &mut rng);
    assert_eq!(g.normal.len(), 4);
    assert!(g
        .normal
        .iter()
        .chain(&g.reduce)
        .all(|(p, _)| matches!(p, Primitive::SkipConnect | Primitive::MaxPool3x3)));
}

fn done(seconds: &[f64]) -> Vec<Candidate> {
    seconds
        .iter()
        .map(|&s| Candidate {
            genotype: Genotype::darts_v2(),
            val_metric: Some(0.5),
            seconds: s,
            rung: 0,
            scores: vec![Some(0.5)],
        })
        .collect()
}

#[test]
fn sampling_stops_where_the_total_lands_nearest_the_budget() {
    let search = Budget::Search { seconds: 100.0 };
    // Always one candidate, whatever the budget.
    assert!(!budget_spent(
        Budget::Search { seconds: 0.0 },
        5.0,
        &[],
        1.0
    ));
    // Candidates of 10 s: at 94 s another (ending near 104) is nearer 100 than stopping at 94.
    assert!(!budget_spent(search, 94.0, &done(&[10.0; 9]), 1.0));
    // At 96 s one more would end near 106; stopping is nearer.
    assert!(budget_spent(search, 96.0, &done(&[10.0; 9]), 1.0));
    // A total budget keeps room for the retraining: here 5 candidate-lengths of 10 s.
    let total = Budget::Total { seconds: 100.0 };
    assert!(!budget_spent(total, 44.0, &done(&[10.0; 4]), 5.0));
    assert!(budget_spent(total, 46.0, &done(&[10.0; 4]), 5.0));
    let count = Budget::Candidates { count: 3 };
    assert!(!budget_spent(count, 1e9, &done(&[1.0; 2]), 1.0));
    assert!(budget_spent(count, 0.0, &done(&[1.0; 3]), 1.0));
}

#[test]
fn the_best_candidate_is_picked_on_validation_skipping_diverged_ones() {
    let mut c = done(&[1.0, 1.0, 1.0, 1.0]);
    for (k, m) in [Some(0.7), None, Some(0.9), Some(0.9)]
        .into_iter()
        .enumerate()
    {
        c[k].val_metric = m;
    }
    // Accuracy: highest, the first of equals.
    assert_eq!(random::best_index(&c, true), Some(2));
    // RMSE: lowest.
    assert_eq!(random::best_index(&c, false), Some(0));
    for x in &mut c {
        x.val_metric = None;
    }
    assert_eq!(random::best_index(&c, true), None);
}

#[test]
fn a_random_search_retrains_its_best_candidate_and_scores_it_on_the_test_split() {
    let data = load(&common::sample()).unwrap();
    let cfg = TrainConfig {
        device: "cpu".into(),
        ..TrainConfig::preset(Preset::Tiny)
    };
    let out = common::scratch("random-digits");
    let mut logs = vec![];
    let mut epochs = 0;
    let r = random::run(
        &data,
        &darts_space(),
        Budget::Candidates { count: 3 },
        &cfg,
        &out,
        &AtomicBool::new(false),
        &mut |_, e| match e {
            engine::events::Event::Log { message, .. } => logs.push(message.clone()),
            engine::events::Event::Epoch { .. } => epochs += 1,
            _ => {}
        },
    )
    .unwrap();
    assert_eq!(r.architecture, "random");
    let s = r.random_search.as_ref().unwrap();
    assert_eq!(s.candidates.len(), 3);
    // Three candidates make one rung: the best of 3 is the choice, at a ninth of the steps.
    assert_eq!(s.candidate_epochs, cfg.epochs);
    assert_eq!(s.rungs.len(), 1);
    // tiny: 3 steps per epoch, a ninth of which is rounded up to one step.
    assert_eq!(s.rungs[0].steps_per_epoch, halving::rung_steps(3, 0));
    assert_eq!(halving::rung_steps(3, 0), 1);
    assert_eq!(Some(s.best), random::best_index(&s.candidates, true));
    let best = s.candidates[s.best].val_metric.unwrap();
    assert!(s.candidates.iter().all(|c| c.val_metric.unwrap() <= best));
    // The retrained network is the best candidate's, and the run's genotype.json says so.
    assert_eq!(r.genotype.as_ref(), Some(&s.candidates[s.best].genotype));
    let g: Genotype =
        serde_json::from_str(&std::fs::read_to_string(out.join("genotype.json")).unwrap()).unwrap();
    assert_eq!(g, s.candidates[s.best].genotype);
    // Candidates report a line each; only the final retraining reports epochs.
    assert_eq!(
        logs.iter().filter(|m| m.starts_with("candidate ")).count(),
        3
    );
    assert_eq!(epochs, cfg.epochs);
    assert!(logs.iter().any(|m| m.contains("best of 3")), "{logs:?}");
    assert!(s.sampling_seconds >= s.candidates.iter().map(|c| c.seconds).sum::<f64>());
    assert_eq!(r.train_samples + r.test_samples, 1797);
    assert!(r.test_metric.is_finite());
    for f in [
        "model.pt",
        "weights.safetensors",
        "result.json",
        "events.jsonl",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).unwrap()).unwrap();
    assert_eq!(saved["random_search"]["budget"]["kind"], "candidates");
    assert_eq!(
        saved["random_search"]["candidates"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_search_budget_of_zero_still_trains_one_candidate() {
    let data = load(&common::sample()).unwrap();
    let cfg = TrainConfig {
        device: "cpu".into(),
        ..TrainConfig::preset(Preset::Tiny)
    };
    let r = random::run(
        &data,
        &darts_space(),
        Budget::Search { seconds: 0.0 },
        &cfg,
        &common::scratch("random-zero"),
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(r.random_search.unwrap().candidates.len(), 1);
}

/// Successive halving: ten candidates make rungs of 10, 4 and 2; each rung trains the best of
/// the one before (by the earlier score) three times longer, and the retrained network is the
/// best of the last rung.
#[test]
fn successive_halving_promotes_the_best_third_and_picks_from_the_last_rung() {
    let data = load(&common::sample()).unwrap();
    let cfg = TrainConfig {
        device: "cpu".into(),
        max_steps_per_epoch: Some(9),
        ..TrainConfig::preset(Preset::Tiny)
    };
    let r = random::run(
        &data,
        &darts_space(),
        Budget::Candidates { count: 10 },
        &cfg,
        &common::scratch("random-halving"),
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    let s = r.random_search.unwrap();
    assert_eq!(s.candidates.len(), 10);
    let sizes: Vec<usize> = s.rungs.iter().map(|r| r.candidates).collect();
    assert_eq!(sizes, [10, 4, 2]);
    let steps: Vec<usize> = s.rungs.iter().map(|r| r.steps_per_epoch).collect();
    assert_eq!(steps, [1, 3, 9], "a ninth, a third, the recipe's 9");
    for rung in 1..3 {
        let before: Vec<&Candidate> = s.candidates.iter().filter(|c| c.rung >= rung - 1).collect();
        let promoted: Vec<&Candidate> = s.candidates.iter().filter(|c| c.rung >= rung).collect();
        assert_eq!(promoted.len(), sizes[rung]);
        // Every promoted candidate scored at least as well as every one left behind.
        let worst_promoted = promoted
            .iter()
            .map(|c| c.scores[rung - 1].unwrap_or(f64::NEG_INFINITY))
            .fold(f64::INFINITY, f64::min);
        for c in before.iter().filter(|c| c.rung == rung - 1) {
            assert!(c.scores[rung - 1].unwrap_or(f64::NEG_INFINITY) <= worst_promoted);
        }
    }
    for c in &s.candidates {
        assert_eq!(c.scores.len(), c.rung + 1);
        assert_eq!(c.val_metric, c.scores[c.rung]);
    }
    let last: Vec<usize> = (0..10).filter(|&k| s.candidates[k].rung == 2).collect();
    let best = s.candidates[s.best].scores[2].unwrap();
    assert!(last.contains(&s.best));
    assert!(last
        .iter()
        .all(|&k| s.candidates[k].scores[2].unwrap() <= best));
    assert_eq!(r.genotype.as_ref(), Some(&s.candidates[s.best].genotype));
}
