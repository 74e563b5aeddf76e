//! Optimisers written over plain tensors, because the unrolled architecture gradient needs the
//! momentum buffers and checkpoints need every piece of optimiser state, which tch's `nn::Optimizer`
//! does not expose. Updates follow PyTorch's `torch.optim.SGD` and `torch.optim.Adam` (L2 weight
//! decay added to the gradient). A parameter whose gradient is undefined (the loss did not reach
//! it) is skipped, as PyTorch skips one whose `.grad` is None: no decay, no state update.
use tch::Tensor;

/// Named tensors of an optimiser's state, for checkpoints.
pub type State = Vec<(String, Tensor)>;

#[derive(Debug)]
pub struct Sgd {
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
    buffers: Vec<Option<Tensor>>,
}

impl Sgd {
    pub fn new(n_params: usize, lr: f64, momentum: f64, weight_decay: f64) -> Self {
        Sgd {
            lr,
            momentum,
            weight_decay,
            buffers: (0..n_params).map(|_| None).collect(),
        }
    }

    /// buf = momentum * buf + (g + wd * p) (buf = g + wd * p at the first step); p -= lr * buf.
    pub fn step(&mut self, params: &[Tensor], grads: &[Tensor]) {
        tch::no_grad(|| {
            for ((p, g), buf) in params.iter().zip(grads).zip(self.buffers.iter_mut()) {
                if !g.defined() {
                    continue;
                }
                let d = g + p * self.weight_decay;
                let b = match buf.take() {
                    Some(mut b) if self.momentum != 0.0 => {
                        let _ = b.g_mul_scalar_(self.momentum).g_add_(&d);
                        b
                    }
                    _ => d,
                };
                let _ = p.shallow_clone().g_sub_(&(&b * self.lr));
                *buf = (self.momentum != 0.0).then_some(b);
            }
        })
    }

    /// The direction of the next step without taking it: momentum * buf + g + wd * p
    /// (quark0/darts architect.py `_compute_unrolled_model`).
    pub fn direction(&self, params: &[Tensor], grads: &[Tensor]) -> Vec<Tensor> {
        tch::no_grad(|| {
            params
                .iter()
                .zip(grads)
                .zip(&self.buffers)
                .map(|((p, g), buf)| {
                    if !g.defined() {
                        return p.zeros_like();
                    }
                    let d = g + p * self.weight_decay;
                    match buf {
                        Some(b) => d + b * self.momentum,
                        None => d,
                    }
                })
                .collect()
        })
    }

    pub fn state(&self) -> State {
        let bufs = self.buffers.iter().enumerate();
        bufs.filter_map(|(i, b)| {
            b.as_ref()
                .map(|b| (format!("momentum_buffer.{i}"), b.shallow_clone()))
        })
        .collect()
    }

    pub fn load_state(&mut self, state: &State) {
        for (name, t) in state {
            if let Some(i) = name
                .strip_prefix("momentum_buffer.")
                .and_then(|i| i.parse::<usize>().ok())
            {
                if let Some(slot) = self.buffers.get_mut(i) {
                    *slot = Some(t.shallow_clone());
                }
            }
        }
    }
}

#[derive(Debug)]
pub struct Adam {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// Steps taken by each parameter (its bias correction), as PyTorch keeps `state['step']`
    /// per parameter.
    steps: Vec<i64>,
    m: Vec<Option<Tensor>>,
    v: Vec<Option<Tensor>>,
}

impl Adam {
    pub fn new(n_params: usize, lr: f64, betas: (f64, f64), weight_decay: f64) -> Self {
        Adam {
            lr,
            beta1: betas.0,
            beta2: betas.1,
            eps: 1e-8,
            weight_decay,
            steps: vec![0; n_params],
            m: (0..n_params).map(|_| None).collect(),
            v: (0..n_params).map(|_| None).collect(),
        }
    }

    pub fn step(&mut self, params: &[Tensor], grads: &[Tensor]) {
        tch::no_grad(|| {
            for (i, (p, g)) in params.iter().zip(grads).enumerate() {
                if !g.defined() {
                    continue;
                }
                self.steps[i] += 1;
                let bc1 = 1.0 - self.beta1.powi(self.steps[i] as i32);
                let bc2 = 1.0 - self.beta2.powi(self.steps[i] as i32);
                let g = g + p * self.weight_decay;
                let m = match self.m[i].take() {
                    Some(m) => m * self.beta1 + &g * (1.0 - self.beta1),
                    None => &g * (1.0 - self.beta1),
                };
                let v = match self.v[i].take() {
                    Some(v) => v * self.beta2 + g.square() * (1.0 - self.beta2),
                    None => g.square() * (1.0 - self.beta2),
                };
                let denom = (v.sqrt() / bc2.sqrt()) + self.eps;
                let _ = p.shallow_clone().g_sub_(&(&m / denom * (self.lr / bc1)));
                self.m[i] = Some(m);
                self.v[i] = Some(v);
            }
        })
    }

    /// The plain-gradient direction used for the unrolled step when the weights train with Adam.
    pub fn direction(&self, params: &[Tensor], grads: &[Tensor]) -> Vec<Tensor> {
        tch::no_grad(|| {
            params
                .iter()
                .zip(grads)
                .map(|(p, g)| {
                    if g.defined() {
                        g + p * self.weight_decay
                    } else {
                        p.zeros_like()
                    }
                })
                .collect()
        })
    }

    pub fn state(&self) -> State {
        // "step" alone is what checkpoints held before steps were counted per parameter.
        let most = self.steps.iter().copied().max().unwrap_or(0);
        let mut s = vec![("step".to_string(), Tensor::from(most))];
        for (i, (m, v)) in self.m.iter().zip(&self.v).enumerate() {
            if let (Some(m), Some(v)) = (m, v) {
                s.push((format!("exp_avg.{i}"), m.shallow_clone()));
                s.push((format!("exp_avg_sq.{i}"), v.shallow_clone()));
                s.push((format!("step.{i}"), Tensor::from(self.steps[i])));
            }
        }
        s
    }

    pub fn load_state(&mut self, state: &State) {
        // An older checkpoint's one "step" holds for every parameter with state.
        if let Some((_, t)) = state.iter().find(|(n, _)| n == "step") {
            let step = t.int64_value(&[]);
            self.steps.iter_mut().for_each(|s| *s = step);
        }
        for (name, t) in state {
            if let Some(i) = name
                .strip_prefix("step.")
                .and_then(|i| i.parse::<usize>().ok())
            {
                if let Some(slot) = self.steps.get_mut(i) {
                    *slot = t.int64_value(&[]);
                }
            } else if let Some(i) = name
                .strip_prefix("exp_avg.")
                .and_then(|i| i.parse::<usize>().ok())
            {
                if let Some(slot) = self.m.get_mut(i) {
                    *slot = Some(t.shallow_clone());
                }
            } else if let Some(i) = name
                .strip_prefix("exp_avg_sq.")
                .and_then(|i| i.parse::<usize>().ok())
            {
                if let Some(slot) = self.v.get_mut(i) {
                    *slot = Some(t.shallow_clone());
                }
            }
        }
        // A parameter without state has taken no step.
        for (s, m) in self.steps.iter_mut().zip(&self.m) {
            if m.is_none() {
                *s = 0;
            }
        }
    }
}

/// The weights' optimiser: SGD with momentum (the DARTS paper) or Adam (what worked on MNIST).
#[derive(Debug)]
pub enum WeightOptimizer {
    Sgd(Sgd),
    Adam(Adam),
}

impl WeightOptimizer {
    pub fn set_lr(&mut self, lr: f64) {
        match self {
            WeightOptimizer::Sgd(o) => o.lr = lr,
            WeightOptimizer::Adam(o) => o.lr = lr,
        }
    }

    pub fn lr(&self) -> f64 {
        match self {
            WeightOptimizer::Sgd(o) => o.lr,
            WeightOptimizer::Adam(o) => o.lr,
        }
    }

    pub fn step(&mut self, params: &[Tensor], grads: &[Tensor]) {
        match self {
            WeightOptimizer::Sgd(o) => o.step(params, grads),
            WeightOptimizer::Adam(o) => o.step(params, grads),
        }
    }

    pub fn direction(&self, params: &[Tensor], grads: &[Tensor]) -> Vec<Tensor> {
        match self {
            WeightOptimizer::Sgd(o) => o.direction(params, grads),
            WeightOptimizer::Adam(o) => o.direction(params, grads),
        }
    }

    pub fn state(&self) -> State {
        match self {
            WeightOptimizer::Sgd(o) => o.state(),
            WeightOptimizer::Adam(o) => o.state(),
        }
    }

    pub fn load_state(&mut self, state: &State) {
        match self {
            WeightOptimizer::Sgd(o) => o.load_state(state),
            WeightOptimizer::Adam(o) => o.load_state(state),
        }
    }
}

/// Scales `grads` in place so their joint L2 norm is at most `max_norm` (torch.nn.utils
/// clip_grad_norm_, with its 1e-6); returns the norm before clipping.
pub fn clip_grad_norm(grads: &mut [Tensor], max_norm: f64) -> f64 {
    let total = global_norm(grads);
    let coef = max_norm / (total + 1e-6);
    if coef < 1.0 {
        tch::no_grad(|| {
            for g in grads.iter_mut().filter(|g| g.defined()) {
                let _ = g.g_mul_scalar_(coef);
            }
        });
    }
    total
}

/// The L2 norm of a list of tensors taken as one vector.
pub fn global_norm(ts: &[Tensor]) -> f64 {
    ts.iter()
        .filter(|t| t.defined())
        .map(|t| t.square().sum(tch::Kind::Double).double_value(&[]))
        .sum::<f64>()
        .sqrt()
}

/// Cosine annealing from `base` to `min` over `epochs` (torch CosineAnnealingLR, stepped per
/// epoch); `epoch` counts from 0.
pub fn cosine_lr(base: f64, min: f64, epoch: usize, epochs: usize) -> f64 {
    if epochs == 0 {
        return base;
    }
    min + (base - min) * (1.0 + (std::f64::consts::PI * epoch as f64 / epochs as f64).cos()) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn t(v: &[f64]) -> Tensor {
        Tensor::from_slice(v).to_kind(Kind::Double)
    }

    // Expected values worked by hand from the update rules of torch.optim.SGD:
    // p = 1, g = 0.5, wd = 0.1, lr = 0.1, momentum 0.9.
    // step 1: d = 0.5 + 0.1 = 0.6, buf = 0.6, p = 1 - 0.06 = 0.94
    // step 2: d = 0.5 + 0.094 = 0.594, buf = 0.54 + 0.594 = 1.134, p = 0.94 - 0.1134 = 0.8266
    #[test]
    fn sgd_matches_torch_update_rule() {
        let p = t(&[1.0]);
        let mut opt = Sgd::new(1, 0.1, 0.9, 0.1);
        opt.step(&[p.shallow_clone()], &[t(&[0.5])]);
        assert!((p.double_value(&[0]) - 0.94).abs() < 1e-12);
        opt.step(&[p.shallow_clone()], &[t(&[0.5])]);
        assert!((p.double_value(&[0]) - 0.8266).abs() < 1e-12);
    }

    // torch.optim.Adam, lr 0.1, betas (0.9, 0.999), eps 1e-8, wd 0: the first step moves every
    // coordinate by lr * sign(g) (m_hat / sqrt(v_hat) = g / |g|). Second step with g2 = 1 after
    // g1 = 2: m = 0.9*0.2 + 0.1 = 0.28, v = 0.999*0.004 + 0.001 = 0.004996,
    // m_hat = 0.28/0.19 = 1.4736842, v_hat = 0.004996/0.001999 = 2.4992496, step = 0.1*0.932186.
    #[test]
    fn adam_matches_torch_update_rule() {
        let p = t(&[1.0, -1.0]);
        let mut opt = Adam::new(1, 0.1, (0.9, 0.999), 0.0);
        opt.step(&[p.shallow_clone()], &[t(&[2.0, -3.0])]);
        assert!((p.double_value(&[0]) - 0.9).abs() < 1e-7);
        assert!((p.double_value(&[1]) + 0.9).abs() < 1e-7);
        opt.step(&[p.shallow_clone()], &[t(&[1.0, -3.0])]);
        let expected = 0.9 - 0.1 * 1.4736842105 / (2.4992496248f64.sqrt() + 1e-8);
        assert!(
            (p.double_value(&[0]) - expected).abs() < 1e-7,
            "{}",
            p.double_value(&[0])
        );
    }

    // torch.optim skips a parameter whose .grad is None: no weight decay, no momentum, and its
    // Adam step count (bias correction) starts at its own first gradient, so that first step
    // moves it by exactly lr * sign(g), as in the test above.
    #[test]
    fn parameters_without_a_gradient_are_skipped() {
        let (a, b) = (t(&[1.0]), t(&[1.0]));
        let params = [a.shallow_clone(), b.shallow_clone()];
        let mut adam = Adam::new(2, 0.1, (0.9, 0.999), 0.5);
        adam.step(&params, &[t(&[2.0]), Tensor::new()]);
        assert_eq!(b.double_value(&[0]), 1.0, "skipped: no decay");
        // Saved and restored in between, as a checkpoint does.
        let mut resumed = Adam::new(2, 0.1, (0.9, 0.999), 0.5);
        resumed.load_state(&adam.state());
        resumed.step(&params, &[t(&[1.0]), t(&[-3.0])]);
        assert!(
            (b.double_value(&[0]) - 1.1).abs() < 1e-7,
            "{}",
            b.double_value(&[0])
        );
        let mut sgd = Sgd::new(2, 0.1, 0.9, 0.1);
        sgd.step(&params, &[t(&[0.5]), Tensor::new()]);
        assert!(
            (b.double_value(&[0]) - 1.1).abs() < 1e-7,
            "SGD skipped it too"
        );
        let mut g = vec![t(&[3.0]), Tensor::new(), t(&[4.0])];
        assert!((clip_grad_norm(&mut g, 1.0) - 5.0).abs() < 1e-12);
        assert!(!g[1].defined());
    }

    #[test]
    fn clipping_scales_to_the_max_norm() {
        let mut g = vec![t(&[3.0]), t(&[4.0])];
        let norm = clip_grad_norm(&mut g, 1.0);
        assert!((norm - 5.0).abs() < 1e-12);
        assert!((global_norm(&g) - 1.0).abs() < 1e-5);
        let mut small = vec![Tensor::ones([2], (Kind::Float, Device::Cpu))];
        clip_grad_norm(&mut small, 5.0);
        assert_eq!(small[0].double_value(&[0]), 1.0);
    }

    #[test]
    fn cosine_schedule_ends_points() {
        assert_eq!(cosine_lr(0.025, 0.001, 0, 50), 0.025);
        assert!((cosine_lr(0.025, 0.001, 25, 50) - 0.013).abs() < 1e-12);
        assert!((cosine_lr(0.025, 0.001, 50, 50) - 0.001).abs() < 1e-12);
    }
}
