//! The supernet with its two optimisers and the three steps of a search: a weight step, a
//! first-order and a second-order architecture step, each weighing the edges as the config's
//! strategy does and adding its regulariser's penalty to the architecture loss. The search loop
//! and the benchmark share it.
use super::architect;
use super::regularizer::{self, Regularizer};
use super::strategy::{self, Mixing, Sampler, Strategy};
use super::supernet::{Alphas, SearchSpace, Supernet};
use crate::config::{LossKind, Order, SearchConfig, WOptimizer};
use crate::data::Task;
use crate::network::NetShape;
use crate::nn::Mode;
use crate::optim::{clip_grad_norm, Adam, Sgd, WeightOptimizer};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// The training loss, resolved from the config and the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    CrossEntropy,
    Mse,
    Mae,
}

impl Loss {
    pub fn resolve(kind: LossKind, task: Task) -> Result<Loss, String> {
        match (kind, task) {
            (LossKind::Auto | LossKind::Ce, Task::Classification) => Ok(Loss::CrossEntropy),
            (LossKind::Auto | LossKind::Mse, Task::Regression) => Ok(Loss::Mse),
            (LossKind::Mae, Task::Regression) => Ok(Loss::Mae),
            (LossKind::Ce, Task::Regression) => {
                Err("loss ce needs a classification dataset; use mse or mae".into())
            }
            (LossKind::Mse | LossKind::Mae, Task::Classification) => {
                Err("loss mse/mae needs a regression dataset; use ce or auto".into())
            }
        }
    }

    /// `out`: [N, K] logits or [N, R] standardised predictions; `y`: [N] classes or [N, R].
    pub fn compute(self, out: &Tensor, y: &Tensor) -> Tensor {
        match self {
            Loss::CrossEntropy => out.cross_entropy_for_logits(y),
            Loss::Mse => (out - y).square().mean(Kind::Float),
            Loss::Mae => (out - y).abs().mean(Kind::Float),
        }
    }
}

pub struct Searcher {
    pub net: Supernet,
    pub weights_vs: VarStore,
    pub alphas_vs: VarStore,
    pub alphas: Alphas,
    weights: Vec<Tensor>,
    alpha_list: Vec<Tensor>,
    pub w_opt: WeightOptimizer,
    pub a_opt: Adam,
    pub loss: Loss,
    pub strategy: Box<dyn Strategy>,
    regularizer: Option<Box<dyn Regularizer>>,
    /// The draws of this epoch's search steps (`begin_epoch`).
    sampler: Sampler,
    seed: u64,
    order: Order,
    grad_clip: f64,
}

/// The weights' optimiser a config names, for `n` weight tensors.
pub fn weight_optimizer(cfg: &SearchConfig, n: usize) -> WeightOptimizer {
    match cfg.w_optimizer {
        WOptimizer::Sgd => {
            WeightOptimizer::Sgd(Sgd::new(n, cfg.w_lr, cfg.w_momentum, cfg.w_weight_decay))
        }
        WOptimizer::Adam => {
            WeightOptimizer::Adam(Adam::new(n, cfg.w_lr, (0.9, 0.999), cfg.w_weight_decay))
        }
    }
}

impl Searcher {
    pub fn new(shape: &NetShape, cfg: &SearchConfig, loss: Loss, device: Device) -> Self {
        let weights_vs = VarStore::new(device);
        let alphas_vs = VarStore::new(device);
        let space = SearchSpace {
            nodes: cfg.nodes,
            primitives: cfg.primitives.clone(),
        };
        let strategy = strategy::for_config(cfg);
        let (net, alphas) = strategy.build(&weights_vs.root(), &alphas_vs.root(), shape, &space);
        let weights = weights_vs.trainable_variables();
        let alpha_list = alphas.tensors();
        let w_opt = weight_optimizer(cfg, weights.len());
        let a_opt = Adam::new(
            alpha_list.len(),
            cfg.alpha_lr,
            (0.5, 0.999),
            cfg.alpha_weight_decay,
        );
        Searcher {
            net,
            weights_vs,
            alphas_vs,
            alphas,
            weights,
            alpha_list,
            w_opt,
            a_opt,
            loss,
            strategy,
            regularizer: regularizer::for_config(cfg),
            sampler: Sampler::for_epoch(cfg.seed, 1, cfg.epochs),
            seed: cfg.seed,
            order: cfg.order,
            grad_clip: cfg.grad_clip,
        }
    }

    /// Starts `epoch` (from 1) of `epochs`: the draws of its steps derive from (seed, epoch), so
    /// a resumed run draws as an uninterrupted one.
    pub fn begin_epoch(&mut self, epoch: usize, epochs: usize) {
        self.sampler = Sampler::for_epoch(self.seed, epoch, epochs);
    }

    /// The edges' weights of a search step (drawn, for a sampling strategy).
    fn sampled(&mut self, alphas: &Alphas) -> Mixing {
        self.strategy.mixing(alphas, Some(&mut self.sampler))
    }

    /// One weight step on a training batch; returns (loss, output) with the output detached.
    pub fn weight_step(&mut self, x: &Tensor, y: &Tensor) -> (f64, Tensor) {
        // Detached alphas: no gradient flows to them, so autograd skips the per-op reductions.
        let fixed = self.sampled(&self.alphas.detached());
        self.weight_step_with(x, y, &fixed)
    }

    /// One architecture step after `progress` (0..1) of the search: the gradient of the
    /// validation loss (first or second order) plus the regulariser's penalty, then Adam. The
    /// weights are left as they were.
    pub fn alpha_step(
        &mut self,
        train: (&Tensor, &Tensor),
        val: (&Tensor, &Tensor),
        order: Option<Order>,
        progress: f64,
    ) {
        let alphas = self.alphas.shallow();
        // Every pass of the step weighs the edges alike (the same GDAS draws), each with a graph
        // of its own: the unrolled gradient runs backward through several of them.
        let draws = self.sampler.clone();
        let (net, loss, strategy) = (&self.net, self.loss, &self.strategy);
        let mix_of = |a: &Alphas| strategy.mixing(a, Some(&mut draws.clone()));
        let mut val_loss =
            || loss.compute(&net.forward(val.0, &mix_of(&alphas), Mode::Probe), val.1);
        let grads = match order.unwrap_or(self.order) {
            Order::First => architect::first_order(&self.alpha_list, &mut val_loss),
            Order::Second => {
                let mut train_loss = || {
                    loss.compute(
                        &net.forward(train.0, &mix_of(&alphas), Mode::Probe),
                        train.1,
                    )
                };
                // The virtual step's weight gradients need no path to the alphas.
                let fixed = mix_of(&alphas.detached());
                let (w_opt, weights) = (&self.w_opt, &self.weights);
                let mut virtual_step = || {
                    let l = loss.compute(&net.forward(train.0, &fixed, Mode::Probe), train.1);
                    w_opt.direction(weights, &architect::grads(&l, weights))
                };
                let xi = w_opt.lr();
                architect::second_order(
                    weights,
                    &self.alpha_list,
                    xi,
                    &mut virtual_step,
                    &mut train_loss,
                    &mut val_loss,
                )
            }
        };
        // The step's draws are spent.
        let _ = self.sampled(&alphas.detached());
        let mut grads = grads;
        if let Some(r) = &self.regularizer {
            // The penalty reads the op alphas only (the first two tensors, not PC-DARTS's betas).
            let extra = architect::grads(&r.penalty(&alphas, progress), &self.alpha_list[..2]);
            for (g, e) in grads.iter_mut().zip(&extra) {
                *g = &*g + e;
            }
        }
        self.a_opt.step(&self.alpha_list, &grads);
    }

    /// The supernet's outputs on `x` in evaluation mode, batch by batch, without gradients.
    pub fn predict(&self, x: &Tensor) -> Tensor {
        tch::no_grad(|| {
            let mix = self.strategy.mixing(&self.alphas, None);
            self.net.forward(x, &mix, Mode::Eval)
        })
    }

    /// Recomputes the deterministic pass's batch-norm statistics from `batches` (PyTorch's
    /// momentum=None cumulative average, as precise BN) when the strategy asks for it; does
    /// nothing (and draws no batch) otherwise.
    pub fn recalibrate(&self, batches: impl Iterator<Item = Tensor>, always: bool) {
        if !always && !self.strategy.recalibrates() {
            return;
        }
        tch::no_grad(|| {
            let mix = self.strategy.mixing(&self.alphas, None);
            for (k, x) in batches.enumerate() {
                let _ = self.net.forward(&x, &mix, Mode::Calibrate(k as u32 + 1));
            }
        })
    }

    /// The supernet's outputs on `x` in evaluation mode with the edges weighed by `mix`.
    pub fn predict_with(&self, x: &Tensor, mix: &Mixing) -> Tensor {
        tch::no_grad(|| self.net.forward(x, mix, Mode::Eval))
    }

    /// One weight step with the edges weighed by `mix` (a search step's, or selection's
    /// fine-tuning of a partly decided supernet); returns (loss, output) with the output detached.
    pub fn weight_step_with(&mut self, x: &Tensor, y: &Tensor, mix: &Mixing) -> (f64, Tensor) {
        let out = self.net.forward(x, mix, Mode::Train);
        let loss = self.loss.compute(&out, y);
        // Weights the pass did not reach (ops GDAS did not sample) get no step at all.
        let mut grads = architect::reached(&loss, &self.weights);
        clip_grad_norm(&mut grads, self.grad_clip);
        self.w_opt.step(&self.weights, &grads);
        (loss.double_value(&[]), out.detach())
    }

    /// Per edge, each op's weight as discretisation reads it: (normal, reduce).
    pub fn op_weights(&self) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        self.strategy.op_weights(&self.alphas)
    }
}

crate::resumable_fields!(Searcher);
