//! The supernet with its two optimisers and the three steps of a search: a weight step, a
//! first-order and a second-order architecture step. The search loop and the benchmark share it.
use crate::architect;
use crate::config::{LossKind, Order, SearchConfig, WOptimizer};
use crate::data::Task;
use crate::network::{Alphas, NetShape, SearchSpace, Supernet};
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
    order: Order,
    grad_clip: f64,
}

impl Searcher {
    pub fn new(shape: &NetShape, cfg: &SearchConfig, loss: Loss, device: Device) -> Self {
        let weights_vs = VarStore::new(device);
        let alphas_vs = VarStore::new(device);
        let space = SearchSpace {
            nodes: cfg.nodes,
            primitives: cfg.primitives.clone(),
        };
        let net = Supernet::new(&weights_vs.root(), shape, &space);
        let alphas = Alphas::new(&alphas_vs.root(), cfg.nodes, cfg.primitives.len());
        let weights = weights_vs.trainable_variables();
        let alpha_list = vec![alphas.normal.shallow_clone(), alphas.reduce.shallow_clone()];
        let w_opt = match cfg.w_optimizer {
            WOptimizer::Sgd => WeightOptimizer::Sgd(Sgd::new(
                weights.len(),
                cfg.w_lr,
                cfg.w_momentum,
                cfg.w_weight_decay,
            )),
            WOptimizer::Adam => WeightOptimizer::Adam(Adam::new(
                weights.len(),
                cfg.w_lr,
                (0.9, 0.999),
                cfg.w_weight_decay,
            )),
        };
        let a_opt = Adam::new(2, cfg.alpha_lr, (0.5, 0.999), cfg.alpha_weight_decay);
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
            order: cfg.order,
            grad_clip: cfg.grad_clip,
        }
    }

    /// One weight step on a training batch; returns (loss, output) with the output detached.
    pub fn weight_step(&mut self, x: &Tensor, y: &Tensor) -> (f64, Tensor) {
        // Detached alphas: no gradient flows to them, so autograd skips the per-op reductions.
        let fixed = Alphas {
            normal: self.alphas.normal.detach(),
            reduce: self.alphas.reduce.detach(),
        };
        let out = self.net.forward(x, &fixed, Mode::Train);
        let loss = self.loss.compute(&out, y);
        let mut grads = architect::grads(&loss, &self.weights);
        clip_grad_norm(&mut grads, self.grad_clip);
        self.w_opt.step(&self.weights, &grads);
        (loss.double_value(&[]), out.detach())
    }

    /// One architecture step: the gradient of the validation loss (first or second order), then
    /// Adam. The weights are left as they were.
    pub fn alpha_step(
        &mut self,
        train: (&Tensor, &Tensor),
        val: (&Tensor, &Tensor),
        order: Option<Order>,
    ) {
        let (net, alphas, loss) = (&self.net, &self.alphas, self.loss);
        let mut val_loss = || loss.compute(&net.forward(val.0, alphas, Mode::Probe), val.1);
        let grads = match order.unwrap_or(self.order) {
            Order::First => architect::first_order(&self.alpha_list, &mut val_loss),
            Order::Second => {
                let mut train_loss =
                    || loss.compute(&net.forward(train.0, alphas, Mode::Probe), train.1);
                // The virtual step's weight gradients need no path to the alphas.
                let fixed = alphas.detached();
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
        self.a_opt.step(&self.alpha_list, &grads);
    }

    /// The supernet's outputs on `x` in evaluation mode, batch by batch, without gradients.
    pub fn predict(&self, x: &Tensor) -> Tensor {
        tch::no_grad(|| self.net.forward(x, &self.alphas, Mode::Eval))
    }
}
