//! ENAS's controller (Pham et al., ICML 2018; melodyguan/enas `src/cifar10/micro_controller.py`):
//! an LSTM that writes a cell decision by decision. For each intermediate node of the normal
//! cell, then of the reduction cell: its first input (one of the node's earlier states), that
//! input's op, its second input (another of them: a DARTS genotype reads two distinct states)
//! and that input's op. Each decision is drawn from `tanh_c * tanh(logits / temperature)`
//! (invalid inputs masked), its embedding feeds the next step. REINFORCE trains it: the loss is
//! `-(R - b) * sum(log p) - entropy_weight * sum(H)` for a sampled cell of reward R with the
//! moving-average baseline b.
use crate::genotype::Genotype;
use crate::ops::Primitive;
use crate::proxyless::gates::draw;
use crate::rng::Rng;
use tch::nn::{self, Module, RNN};
use tch::{Kind, Tensor};

/// The controller's LSTM width (the reference's `lstm_size`).
pub const HIDDEN: i64 = 64;
/// The reference's `temperature` and `tanh_constant` for the micro search.
pub const TEMPERATURE: f64 = 5.0;
pub const TANH_C: f64 = 1.1;

/// One decision's kind: which state a node reads, or which op it applies to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// Of `options` earlier states, `except` already taken.
    Input {
        options: usize,
        except: Option<usize>,
    },
    Op,
}

/// How each decision is taken.
pub enum Pick<'a> {
    /// Drawn from the controller's distribution.
    Draw(&'a mut Rng),
    /// The most likely (the controller's current cell).
    Greedy,
    /// Given, in order (to score a known sequence).
    Forced(&'a [usize]),
}

/// A cell the controller wrote, with what REINFORCE needs.
#[derive(Debug)]
pub struct Sample {
    pub genotype: Genotype,
    /// The decisions, in order.
    pub actions: Vec<usize>,
    /// Sum of the decisions' log-probabilities (with autograd when sampled with it).
    pub log_prob: Tensor,
    /// Sum of the decisions' entropies.
    pub entropy: Tensor,
}

pub struct Controller {
    lstm: nn::LSTM,
    /// The first step's input.
    start: Tensor,
    op_embedding: nn::Embedding,
    input_embedding: nn::Embedding,
    op_head: nn::Linear,
    input_head: nn::Linear,
    /// The ops a node may apply (the primitives without `none`, as DARTS discretisation).
    ops: Vec<Primitive>,
    nodes: usize,
}

/// A decision's log-probability and entropy from its raw logits `z` (valid entries only; the
/// others are masked out): the distribution is softmax(tanh_c * tanh(z / temperature)).
pub fn decide(z: &Tensor, valid: &[bool], action: usize) -> (Tensor, Tensor) {
    let squashed = (z / TEMPERATURE).tanh() * TANH_C;
    let mask: Vec<f32> = valid
        .iter()
        .map(|v| if *v { 0.0 } else { f32::NEG_INFINITY })
        .collect();
    let logits = squashed + Tensor::from_slice(&mask).to_device(z.device());
    let log_p = logits.log_softmax(-1, Kind::Float);
    let p = log_p.exp();
    // 0 * -inf is NaN: the masked entries add nothing.
    let plogp = (&p * log_p.masked_fill(&p.eq(0.0), 0.0)).sum(Kind::Float);
    (log_p.get(action as i64), -plogp)
}

/// The distribution a decision is drawn from, as plain numbers (masked entries 0).
fn probabilities(z: &Tensor, valid: &[bool]) -> Vec<f64> {
    let squashed = tch::no_grad(|| (z / TEMPERATURE).tanh() * TANH_C);
    let logits: Vec<f64> = Vec::try_from(squashed.to_kind(Kind::Double)).unwrap_or_default();
    let top = logits
        .iter()
        .zip(valid)
        .filter(|(_, v)| **v)
        .map(|(l, _)| *l)
        .fold(f64::NEG_INFINITY, f64::max);
    logits
        .iter()
        .zip(valid)
        .map(|(l, v)| if *v { (l - top).exp() } else { 0.0 })
        .collect()
}

impl Controller {
    pub fn new(p: &nn::Path, primitives: &[Primitive], nodes: usize) -> Controller {
        let ops: Vec<Primitive> = primitives
            .iter()
            .copied()
            .filter(|o| *o != Primitive::None)
            .collect();
        let max_inputs = nodes as i64 + 1;
        let init = nn::Init::Uniform { lo: -0.1, up: 0.1 };
        let linear = |name: &str, out: i64| {
            nn::linear(
                p / name,
                HIDDEN,
                out,
                nn::LinearConfig {
                    ws_init: init,
                    bs_init: Some(nn::Init::Const(0.0)),
                    bias: true,
                },
            )
        };
        Controller {
            lstm: nn::lstm(p / "lstm", HIDDEN, HIDDEN, Default::default()),
            start: p.var("start", &[1, HIDDEN], init),
            op_embedding: nn::embedding(
                p / "op_embedding",
                ops.len() as i64,
                HIDDEN,
                nn::EmbeddingConfig {
                    ws_init: init,
                    ..Default::default()
                },
            ),
            input_embedding: nn::embedding(
                p / "input_embedding",
                max_inputs + 1,
                HIDDEN,
                nn::EmbeddingConfig {
                    ws_init: init,
                    ..Default::default()
                },
            ),
            op_head: linear("op_head", ops.len() as i64),
            input_head: linear("input_head", max_inputs + 1),
            ops,
            nodes,
        }
    }

    /// The decisions of one cell, in order.
    fn decisions(&self) -> Vec<Decision> {
        (0..self.nodes)
            .flat_map(|node| {
                [
                    Decision::Input {
                        options: node + 2,
                        except: None,
                    },
                    Decision::Op,
                    // `except` is filled in with the first input's choice.
                    Decision::Input {
                        options: node + 2,
                        except: Some(usize::MAX),
                    },
                    Decision::Op,
                ]
            })
            .collect()
    }

    /// Writes a normal and a reduction cell, each decision taken as `pick` says. Outside
    /// `tch::no_grad`, the log-probability and the entropy carry autograd to the controller's
    /// weights. `raw`: each decision's raw logits (the head's output before squashing and
    /// masking) are pushed to it when given.
    pub fn sample(&self, mut pick: Pick, mut raw: Option<&mut Vec<Vec<f64>>>) -> Sample {
        let device = self.start.device();
        let mut state = self.lstm.zero_state(1);
        let mut x = self.start.shallow_clone();
        let (mut log_prob, mut entropy) = (
            Tensor::zeros([], (Kind::Float, device)),
            Tensor::zeros([], (Kind::Float, device)),
        );
        let mut actions = vec![];
        let mut cells = vec![];
        for _ in 0..2 {
            let mut edges = vec![];
            let mut first_input = 0;
            for d in self.decisions() {
                state = self.lstm.step(&x, &state);
                // [layers = 1, batch = 1, HIDDEN] to [HIDDEN].
                let h = state.h().reshape([HIDDEN]);
                let (z, valid) = match d {
                    Decision::Op => (self.op_head.forward(&h), vec![true; self.ops.len()]),
                    Decision::Input { options, except } => {
                        let valid: Vec<bool> = (0..self.nodes + 2)
                            .map(|i| i < options && !(except.is_some() && i == first_input))
                            .collect();
                        (self.input_head.forward(&h), valid)
                    }
                };
                if let Some(r) = raw.as_deref_mut() {
                    r.push(Vec::<f64>::try_from(z.to_kind(Kind::Double)).unwrap_or_default());
                }
                let action = match &mut pick {
                    Pick::Forced(f) => f[actions.len()],
                    Pick::Draw(rng) => draw(&probabilities(&z, &valid), rng),
                    Pick::Greedy => {
                        let p = probabilities(&z, &valid);
                        (0..p.len())
                            .max_by(|a, b| p[*a].total_cmp(&p[*b]).then(b.cmp(a)))
                            .unwrap_or(0)
                    }
                };
                let (lp, ent) = decide(&z, &valid, action);
                log_prob = log_prob + lp;
                entropy = entropy + ent;
                actions.push(action);
                x = match d {
                    Decision::Op => self
                        .op_embedding
                        .forward(&Tensor::from_slice(&[action as i64]).to_device(device)),
                    Decision::Input { except, .. } => {
                        if except.is_none() {
                            first_input = action;
                        }
                        self.input_embedding
                            .forward(&Tensor::from_slice(&[action as i64]).to_device(device))
                    }
                };
                if d == Decision::Op {
                    // The input chosen just before this op.
                    let input = actions[actions.len() - 2];
                    edges.push((self.ops[action], input));
                }
            }
            cells.push(edges);
        }
        let concat: Vec<usize> = (2..2 + self.nodes).collect();
        let reduce = cells.pop().unwrap_or_default();
        let normal = cells.pop().unwrap_or_default();
        Sample {
            genotype: Genotype {
                normal,
                normal_concat: concat.clone(),
                reduce,
                reduce_concat: concat,
            },
            actions,
            log_prob,
            entropy,
        }
    }

    /// The number of decisions a sample makes.
    pub fn len(&self) -> usize {
        2 * 4 * self.nodes
    }

    pub fn is_empty(&self) -> bool {
        self.nodes == 0
    }
}
