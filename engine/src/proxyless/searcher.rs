//! The two steps of a ProxylessNAS search (mit-han-lab/proxylessnas `search/nas_manager.py`):
//! a weight step on a training batch through one sampled path per layer, and an architecture
//! step on a validation batch through two, whose loss adds the expected latency from the lookup
//! table. The architecture optimiser is Adam with beta1 = 0, as the reference's.
use super::gates::{self, TwoPaths};
use super::space::{Choice, Layout};
use super::supernet::{self, ProxylessSupernet};
use crate::nn::Mode;
use crate::optim::{clip_grad_norm, Adam, WeightOptimizer};
use crate::rng::Rng;
use crate::search::architect;
use crate::search::searcher::Loss;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// How the expected latency E (milliseconds) enters the architecture loss, with the target T.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Objective {
    /// `loss * (ln E / ln T)^beta` (the paper's and the reference's `mul#log`). The logarithms
    /// are taken of microseconds, so that they stay positive for networks faster than 1 ms.
    MulLog { target_ms: f64, beta: f64 },
    /// `loss + lambda * (E - T) / T` (the reference's `add#linear`: the paper's additive term
    /// made unit-free).
    Add { target_ms: f64, lambda: f64 },
}

impl Objective {
    /// The architecture loss from the task loss and the expected latency (both scalars).
    pub fn combine(self, loss: &Tensor, expected_ms: &Tensor) -> Tensor {
        match self {
            Objective::MulLog { target_ms, beta } => {
                let ratio = (expected_ms * 1e3).log() / (target_ms * 1e3).ln();
                loss * ratio.pow_tensor_scalar(beta)
            }
            Objective::Add { target_ms, lambda } => {
                loss + (expected_ms - target_ms) / target_ms * lambda
            }
        }
    }
}

/// The latency side of a search: each layer's candidates' milliseconds (in the layer's
/// candidate order), the fixed parts', and the objective (None: the expected latency is
/// followed and reported, the loss is the task's alone).
#[derive(Debug, Clone)]
pub struct LatencyTerm {
    pub candidate_ms: Vec<Vec<f64>>,
    pub frame_ms: f64,
    pub objective: Option<Objective>,
}

pub struct ProxylessSearcher {
    pub net: ProxylessSupernet,
    pub weights_vs: VarStore,
    pub alphas_vs: VarStore,
    pub alphas: Vec<Tensor>,
    weights: Vec<Tensor>,
    pub w_opt: WeightOptimizer,
    pub a_opt: Adam,
    pub loss: Loss,
    pub latency: Option<LatencyTerm>,
    grad_clip: f64,
}

/// One architecture step's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArchStep {
    pub loss: f64,
    /// The expected latency before the step, milliseconds (None without a latency term).
    pub expected_ms: Option<f64>,
}

impl ProxylessSearcher {
    /// `w_opt` is built for the supernet's weights by the caller (`make_w_opt(n_weights)`).
    pub fn new(
        layout: &Layout,
        device: Device,
        loss: Loss,
        make_w_opt: impl FnOnce(usize) -> WeightOptimizer,
        alpha_lr: f64,
        latency: Option<LatencyTerm>,
        grad_clip: f64,
    ) -> ProxylessSearcher {
        let weights_vs = VarStore::new(device);
        let alphas_vs = VarStore::new(device);
        let net = ProxylessSupernet::new(&weights_vs.root(), layout);
        let alphas = net.alphas(&alphas_vs.root());
        let weights = weights_vs.trainable_variables();
        let w_opt = make_w_opt(weights.len());
        let a_opt = Adam::new(alphas.len(), alpha_lr, (0.0, 0.999), 0.0);
        ProxylessSearcher {
            net,
            weights_vs,
            alphas_vs,
            alphas,
            weights,
            w_opt,
            a_opt,
            loss,
            latency,
            grad_clip,
        }
    }

    /// Each layer's alphas as plain numbers.
    pub fn alpha_values(&self) -> Vec<Vec<f64>> {
        self.alphas
            .iter()
            .map(|a| Vec::<f64>::try_from(a.to_kind(Kind::Double)).unwrap_or_default())
            .collect()
    }

    /// Each layer's path probabilities, softmax(alpha).
    pub fn probabilities(&self) -> Vec<Vec<f64>> {
        self.alpha_values()
            .iter()
            .map(|a| gates::softmax(a))
            .collect()
    }

    /// The expected latency now, milliseconds (None without a latency term).
    pub fn expected_ms(&self) -> Option<f64> {
        let t = self.latency.as_ref()?;
        let e = tch::no_grad(|| {
            self.net
                .expected_latency(&self.alphas, &t.candidate_ms, t.frame_ms)
        });
        Some(e.double_value(&[]))
    }

    /// One weight step through one path per layer drawn from `rng`; returns (loss, output).
    pub fn weight_step(&mut self, x: &Tensor, y: &Tensor, rng: &mut Rng) -> (f64, Tensor) {
        let picks: Vec<usize> = self
            .alpha_values()
            .iter()
            .map(|a| gates::sample_one(a, rng))
            .collect();
        let out = self.net.forward_one(x, Mode::Train, &picks);
        let loss = self.loss.compute(&out, y);
        // Only the sampled paths' weights were reached: the others take no step.
        let mut grads = architect::reached(&loss, &self.weights);
        clip_grad_norm(&mut grads, self.grad_clip);
        self.w_opt.step(&self.weights, &grads);
        (loss.double_value(&[]), out.detach())
    }

    /// One architecture step on a validation batch through two paths per layer drawn from `rng`.
    pub fn arch_step(&mut self, x: &Tensor, y: &Tensor, rng: &mut Rng) -> ArchStep {
        let values = self.alpha_values();
        let paths: Vec<TwoPaths> = values.iter().map(|a| gates::sample_two(a, rng)).collect();
        let (out, gate_tensors) = self.net.forward_two(x, Mode::Probe, &paths);
        let task_loss = self.loss.compute(&out, y);
        let (total, expected_ms) = match &self.latency {
            Some(t) => {
                let e = self
                    .net
                    .expected_latency(&self.alphas, &t.candidate_ms, t.frame_ms);
                let ms = e.double_value(&[]);
                match t.objective {
                    Some(o) => (o.combine(&task_loss, &e), Some(ms)),
                    None => (task_loss.shallow_clone(), Some(ms)),
                }
            }
            None => (task_loss.shallow_clone(), None),
        };
        let mut inputs: Vec<Tensor> = gate_tensors.iter().map(Tensor::shallow_clone).collect();
        inputs.extend(self.alphas.iter().map(Tensor::shallow_clone));
        let grads = architect::reached(&total, &inputs);
        let (gate_grads, latency_grads) = grads.split_at(gate_tensors.len());
        let mut alpha_grads = Vec::with_capacity(self.alphas.len());
        for (l, two) in paths.iter().enumerate() {
            let layer = &self.net.layers[l];
            // The reference leaves a layer whose active path was the zero op alone this step.
            if layer.candidates[two.active] == Choice::Zero {
                alpha_grads.push(Tensor::new());
                continue;
            }
            let g = Vec::<f64>::try_from(gate_grads[l].to_kind(Kind::Double)).unwrap_or_default();
            let estimate = gates::alpha_grad(&values[l], *two, [g[0], g[1]]);
            let mut grad = Tensor::from_slice(&estimate)
                .to_kind(Kind::Float)
                .to_device(self.alphas[l].device());
            // The latency term reaches the two sampled paths alone, as the task's estimate does.
            // On every path (the reference's `two` mode adds it to all) Adam's per-parameter
            // scaling turns even a vanishing pull, a target far above every network, into full
            // steps towards the fastest blocks on the paths the task left unsampled: every
            // target then found about the same network.
            if latency_grads[l].defined() {
                let mut pair = vec![0f32; values[l].len()];
                for i in two.pair() {
                    pair[i] = 1.0;
                }
                let mask = Tensor::from_slice(&pair).to_device(self.alphas[l].device());
                grad = grad + &latency_grads[l] * mask;
            }
            alpha_grads.push(grad);
        }
        self.a_opt.step(&self.alphas, &alpha_grads);
        // The two sampled paths share what probability they had; the rest keep theirs.
        tch::no_grad(|| {
            for (l, two) in paths.iter().enumerate() {
                if !alpha_grads[l].defined() {
                    continue;
                }
                let mut now =
                    Vec::<f64>::try_from(self.alphas[l].to_kind(Kind::Double)).unwrap_or_default();
                let pair = two.pair();
                gates::rescale(&mut now, *two, [values[l][pair[0]], values[l][pair[1]]]);
                let t = Tensor::from_slice(&now)
                    .to_kind(Kind::Float)
                    .to_device(self.alphas[l].device());
                self.alphas[l].shallow_clone().copy_(&t);
            }
        });
        ArchStep {
            loss: task_loss.double_value(&[]),
            expected_ms,
        }
    }

    /// The outputs of the network each layer's most likely path makes, without gradients.
    pub fn predict(&self, x: &Tensor) -> Tensor {
        let picks = supernet::chosen(&self.alphas);
        tch::no_grad(|| self.net.forward_one(x, Mode::Eval, &picks))
    }

    /// What the search found so far: each layer's most likely candidate.
    pub fn choices(&self) -> Vec<Choice> {
        supernet::chosen(&self.alphas)
            .into_iter()
            .zip(&self.net.layers)
            .map(|(i, l)| l.candidates[i])
            .collect()
    }
}

crate::resumable_fields!(ProxylessSearcher);
