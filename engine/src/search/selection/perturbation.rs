//! Perturbation-based selection, DARTS-PT (Wang et al., ICLR 2021; ruocwang/darts-pt
//! sota/cnn/projection.py; ../shared/DARTS.md, "Closing the discretisation gap"): edges in a
//! seeded random order, normal then reduction cell each time; on each, the supernet's validation
//! metric with every op masked out in turn, keeping the op whose removal hurts most; then, node
//! by node, the inputs whose removal hurts least are dropped until two are left. Between
//! decisions the supernet is fine-tuned for `pt_tune_steps` weight steps at w_lr / 10. Every
//! decision is an event and goes to `selection.json`; a checkpoint after each one lets a
//! cancelled run resume where it stopped.
use super::projection::{first_edge, Mask, Projection, SelectionState};
use super::{Context, Selection};
use crate::data::Task;
use crate::events::{Decision, Event, LogLevel, Removal, RunStatus};
use crate::genotype::Genotype;
use crate::ops::Primitive;
use crate::rng::Rng;
use crate::scoring::{evaluate_with, metric_name};
use crate::search::checkpoint;
use crate::search::mixing::Mixing;
use crate::search::{write_json, SearchError};
use std::sync::atomic::Ordering;

#[derive(Debug, Clone, Copy)]
pub struct Perturbation;

/// One step of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Which op edge `edge` of the cell keeps.
    Op { reduce: bool, edge: usize },
    /// Which two inputs node `node` keeps.
    Inputs { reduce: bool, node: usize },
}

/// Every edge (in a seeded random order), then every node with more than two inputs (likewise),
/// each for the normal and then the reduction cell.
fn plan(nodes: usize, seed: u64) -> Vec<Step> {
    let mut edges: Vec<usize> = (0..first_edge(nodes)).collect();
    Rng::derive(seed, 5, 0).shuffle(&mut edges);
    let mut inner: Vec<usize> = (1..nodes).collect();
    Rng::derive(seed, 5, 1).shuffle(&mut inner);
    let both = |f: &dyn Fn(bool) -> Step| [f(false), f(true)];
    edges
        .iter()
        .flat_map(|&edge| both(&|reduce| Step::Op { reduce, edge }))
        .chain(
            inner
                .iter()
                .flat_map(|&node| both(&|reduce| Step::Inputs { reduce, node })),
        )
        .collect()
}

/// A validation score: the metric the rule compares (accuracy, or the loss for regression) and
/// the loss that breaks ties between equal accuracies.
#[derive(Debug, Clone, Copy)]
struct Score {
    metric: f64,
    loss: f64,
}

/// How much worse `s` is than `base` (positive: worse), the metric first, then the loss.
fn worse(task: Task, base: Score, s: Score) -> (f64, f64) {
    match task {
        Task::Classification => (base.metric - s.metric, s.loss - base.loss),
        Task::Regression => (s.metric - base.metric, 0.0),
    }
}

fn cmp(a: (f64, f64), b: (f64, f64)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1))
}

struct Run<'c, 'a, 'l> {
    cx: &'c mut Context<'a, 'l>,
    eval: Vec<i64>,
}

impl Run<'_, '_, '_> {
    /// The supernet's weights with every op running, as selection perturbs them.
    fn mixture(&self) -> Mixing {
        let s = &self.cx.searcher;
        s.strategy.mixture(&s.alphas.detached())
    }

    fn score(&self, mix: &Mixing) -> Score {
        let cx = &self.cx;
        let b = cx.cfg.batch_size.max(64);
        let s = evaluate_with(
            cx.searcher,
            Some(mix),
            cx.data,
            &self.eval,
            &cx.parts.stats,
            cx.device,
            b,
        );
        let metric = match cx.data.task {
            Task::Classification => s.metrics.get(metric_name(Task::Classification)).copied(),
            Task::Regression => Some(s.loss),
        };
        Score {
            metric: metric.unwrap_or(f64::NAN),
            loss: s.loss,
        }
    }

    fn removal(&self, name: String, base: Score, s: Score) -> Removal {
        Removal {
            name,
            metric: s.metric,
            drop: worse(self.cx.data.task, base, s).0,
        }
    }

    /// Decides which op `edge` keeps: the one whose removal hurts most.
    fn decide_op(&self, p: &mut Projection, reduce: bool, edge: usize) -> Decision {
        let mix = self.mixture();
        let base = self.score(&p.apply(&mix, reduce, Mask::None));
        let prims = &self.cx.cfg.primitives;
        // `none` adds nothing, so removing it changes nothing: it is never a candidate.
        let mut scored: Vec<(usize, Score)> = (0..prims.len())
            .filter(|&k| prims[k] != Primitive::None)
            .map(|k| {
                (
                    k,
                    self.score(&p.apply(&mix, reduce, Mask::Op { edge, op: k })),
                )
            })
            .collect();
        let task = self.cx.data.task;
        scored.sort_by(|a, b| cmp(worse(task, base, b.1), worse(task, base, a.1)));
        let kept = scored[0].0;
        p.cell_mut(reduce).ops[edge] = Some(kept);
        let node = (0..self.cx.cfg.nodes)
            .rfind(|&n| first_edge(n) <= edge)
            .unwrap_or(0);
        scored.sort_by_key(|(k, _)| *k);
        Decision {
            cell: cell_name(reduce).into(),
            kind: "op".into(),
            node,
            edge: Some(edge),
            base: base.metric,
            candidates: scored
                .iter()
                .map(|&(k, s)| self.removal(prims[k].to_string(), base, s))
                .collect(),
            chosen: prims[kept].to_string(),
        }
    }

    /// Drops the inputs of `node` whose removal hurts least, one per decision, until two are
    /// left.
    fn decide_inputs(&self, p: &mut Projection, reduce: bool, node: usize) -> Vec<Decision> {
        let mix = self.mixture();
        let task = self.cx.data.task;
        let mut live = p.cell(reduce).live_inputs(node);
        let mut decisions = Vec::new();
        while live.len() > 2 {
            let base = self.score(&drop_inputs(p, reduce, node, &live, &mix, Mask::None));
            let scored: Vec<(usize, Score)> = live
                .iter()
                .map(|&i| {
                    let mask = Mask::Edge(first_edge(node) + i);
                    (
                        i,
                        self.score(&drop_inputs(p, reduce, node, &live, &mix, mask)),
                    )
                })
                .collect();
            let dropped = scored
                .iter()
                .min_by(|a, b| cmp(worse(task, base, a.1), worse(task, base, b.1)))
                .map_or(live[0], |s| s.0);
            live.retain(|&i| i != dropped);
            decisions.push(Decision {
                cell: cell_name(reduce).into(),
                kind: "input".into(),
                node,
                edge: None,
                base: base.metric,
                candidates: scored
                    .iter()
                    .map(|&(i, s)| self.removal(format!("input {i}"), base, s))
                    .collect(),
                chosen: format!("input {dropped}"),
            });
        }
        if let [a, b] = live[..] {
            p.cell_mut(reduce).inputs[node] = Some([a, b]);
        }
        decisions
    }

    /// `pt_tune_steps` weight steps at w_lr / 10 on the partly decided supernet; the batches of
    /// step `k` of the plan derive from the seed and `k`.
    fn tune(&mut self, p: &Projection, k: usize) -> Result<(), SearchError> {
        let cx = &mut self.cx;
        let steps = cx.cfg.pt_tune_steps;
        if steps == 0 {
            return Ok(());
        }
        cx.searcher.w_opt.set_lr(cx.cfg.w_lr / 10.0);
        let mut order = cx.parts.weights.clone();
        Rng::derive(cx.cfg.seed, 6, k as u64).shuffle(&mut order);
        let b = cx.cfg.batch_size.min(order.len()).max(1);
        for step in 0..steps {
            if cx.cancel.load(Ordering::Relaxed) {
                return Err(SearchError::Cancelled);
            }
            let start = (step * b) % order.len();
            let batch: Vec<i64> = (0..b).map(|i| order[(start + i) % order.len()]).collect();
            let (x, y) = cx.data.batch(&batch, &cx.parts.stats, cx.device);
            let s = &cx.searcher;
            let mix = p.apply(&s.strategy.mixture(&s.alphas.detached()), false, Mask::None);
            let (loss, _) = cx.searcher.weight_step_with(&x, &y, &mix);
            if !loss.is_finite() {
                return Err(SearchError::Data(format!(
                    "fine-tuning diverged during selection (step {} of decision {}, loss {loss}); lower w_lr or pt_tune_steps",
                    step + 1,
                    k + 1
                )));
            }
        }
        Ok(())
    }
}

/// The projection with the inputs of `node` outside `live` dropped and `mask` applied.
fn drop_inputs(
    p: &Projection,
    reduce: bool,
    node: usize,
    live: &[usize],
    mix: &Mixing,
    mask: Mask,
) -> Mixing {
    let mut m = p.apply(mix, reduce, mask);
    let cell = if reduce { &mut m.reduce } else { &mut m.normal };
    for i in (0..2 + node).filter(|i| !live.contains(i)) {
        let e = (first_edge(node) + i) as i64;
        let _ = cell.ops.get(e).fill_(0.0);
    }
    m
}

fn cell_name(reduce: bool) -> &'static str {
    if reduce {
        "reduce"
    } else {
        "normal"
    }
}

impl Selection for Perturbation {
    fn select(&self, cx: &mut Context) -> Result<Genotype, SearchError> {
        let nodes = cx.cfg.nodes;
        let mut state = cx.progress.selection.clone().unwrap_or(SelectionState {
            projection: Projection::new(nodes),
            done: 0,
            decisions: vec![],
        });
        let steps = plan(nodes, cx.cfg.seed);
        // A random sample: the architecture part is in file order when the data has a
        // validation split, and files are often sorted by class.
        let eval = crate::retrain::fit::calibration_sample(&cx.parts.arch, cx.cfg.pt_eval_samples);
        if state.done == 0 {
            cx.log.emit(Event::log(
                LogLevel::Info,
                format!(
                    "perturbation selection: {} decisions, each scored on {} samples of the architecture part, {} fine-tuning steps after each",
                    steps.len(),
                    eval.len(),
                    cx.cfg.pt_tune_steps
                ),
            ))?;
        }
        let mut run = Run { cx, eval };
        for (k, step) in steps.iter().enumerate().skip(state.done) {
            if run.cx.cancel.load(Ordering::Relaxed) {
                return cancelled(run.cx, k);
            }
            let mut p = state.projection.clone();
            let decisions = match *step {
                Step::Op { reduce, edge } => vec![run.decide_op(&mut p, reduce, edge)],
                Step::Inputs { reduce, node } => run.decide_inputs(&mut p, reduce, node),
            };
            match run.tune(&p, k) {
                Err(SearchError::Cancelled) => return cancelled(run.cx, k),
                other => other?,
            }
            for d in &decisions {
                run.cx.log.emit(Event::Selection(d.clone()))?;
            }
            state.projection = p;
            state.decisions.extend(decisions);
            state.done = k + 1;
            run.cx.progress.selection = Some(state.clone());
            checkpoint::save(run.cx.out, run.cx.searcher, run.cx.progress)?;
        }
        let cx = run.cx;
        write_json(
            &cx.out.join("selection.json"),
            &serde_json::json!({
                "rule": "perturbation",
                "metric": match cx.data.task {
                    Task::Classification => "accuracy",
                    Task::Regression => "validation loss",
                },
                "eval_samples": cx.cfg.pt_eval_samples.min(cx.parts.arch.len()),
                "tune_steps": cx.cfg.pt_tune_steps,
                "decisions": state.decisions,
            }),
        )?;
        state
            .projection
            .genotype(&cx.cfg.primitives)
            .ok_or_else(|| {
                SearchError::Data("perturbation selection ended with an undecided edge".into())
            })
    }
}

fn cancelled(cx: &mut Context, k: usize) -> Result<Genotype, SearchError> {
    cx.log.emit(Event::Status {
        status: RunStatus::Cancelled,
        message: Some(format!("cancelled in selection, decision {}", k + 1)),
    })?;
    Err(SearchError::Cancelled)
}
