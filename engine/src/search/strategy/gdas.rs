//! GDAS (Dong & Yang, CVPR 2019; D-X-Y/AutoDL-Projects search_model_gdas.py): in each search
//! step every edge runs one op, drawn by a hard Gumbel-softmax of its alphas with the
//! straight-through gradient, at a temperature annealed linearly from `tau_max` to `tau_min`
//! over the epochs. Deterministic passes run each edge's strongest op.
use super::{softmax_mix, CellMix, Mixing, Sampler, Strategy};
use crate::search::supernet::Alphas;
use tch::{Kind, Tensor};

#[derive(Debug, Clone, Copy)]
pub struct Gdas {
    pub tau_max: f64,
    pub tau_min: f64,
}

impl Gdas {
    /// The temperature of `epoch` (from 1) of `epochs`: tau_max at the first, tau_min at the
    /// last (`tau_max - (tau_max - tau_min) * e / (epochs - 1)` with e from 0, as GDAS sets it).
    pub fn tau(&self, epoch: usize, epochs: usize) -> f64 {
        if epochs <= 1 {
            return self.tau_max;
        }
        let t = (epoch.saturating_sub(1)) as f64 / (epochs - 1) as f64;
        self.tau_max - (self.tau_max - self.tau_min) * t.min(1.0)
    }
}

/// The hard Gumbel-softmax of `logits` [edges, ops] given `uniform` noise of the same shape in
/// (0, 1): gumbels g = -log(-log u), soft = softmax((logits + g) / tau), and the one-hot of each
/// row's argmax with the straight-through gradient, `hard - soft.detach() + soft` (torch's
/// `F.gumbel_softmax(hard=True)`, whose exponential draws e are -log u). Returns the weights and
/// each row's chosen column.
pub fn gumbel_hard(logits: &Tensor, uniform: &Tensor, tau: f64) -> (Tensor, Vec<i64>) {
    let gumbels = -(-uniform.log()).log();
    let soft = ((logits + gumbels) / tau).softmax(-1, Kind::Float);
    let index = soft.argmax(-1, true); // [edges, 1]
    let hard = soft.zeros_like().scatter_value(-1, &index, 1.0);
    let weights = hard - soft.detach() + &soft;
    let chosen =
        Vec::<i64>::try_from(&index.flatten(0, -1).to_device(tch::Device::Cpu)).unwrap_or_default();
    (weights, chosen)
}

impl Gdas {
    fn cell(&self, alphas: &Tensor, sample: Option<&mut Sampler>) -> CellMix {
        let (rows, cols) = (alphas.size()[0], alphas.size()[1]);
        match sample {
            Some(s) => {
                let u = s.uniform_tensor(rows, cols, alphas.device());
                let (ops, chosen) = gumbel_hard(alphas, &u, self.tau(s.epoch, s.epochs));
                CellMix {
                    ops,
                    edges: None,
                    only: Some(chosen),
                }
            }
            None => {
                let index = alphas.argmax(-1, true);
                let ops = alphas.detach().zeros_like().scatter_value(-1, &index, 1.0);
                let chosen =
                    Vec::<i64>::try_from(&index.flatten(0, -1).to_device(tch::Device::Cpu))
                        .unwrap_or_default();
                CellMix {
                    ops,
                    edges: None,
                    only: Some(chosen),
                }
            }
        }
    }
}

impl Strategy for Gdas {
    /// The softmax mixture of every op (its ops were trained one at a time; selection scores
    /// them together, as DARTS-PT does a DARTS supernet).
    fn mixture(&self, alphas: &Alphas) -> Mixing {
        softmax_mix(alphas)
    }

    fn mixing(&self, alphas: &Alphas, mut sample: Option<&mut Sampler>) -> Mixing {
        Mixing {
            normal: self.cell(&alphas.normal, sample.as_deref_mut()),
            reduce: self.cell(&alphas.reduce, sample),
        }
    }

    /// An op's running statistics move only in the steps that drew it (about one in eight at
    /// 8 ops): after the `quick` preset's 50 steps the strongest ops' statistics were still
    /// near their start, and the deterministic pass scored below chance (PneumoniaMNIST
    /// validation accuracy 0.26, Mechanical-MNIST test RMSE 132).
    fn recalibrates(&self) -> bool {
        true
    }
}
