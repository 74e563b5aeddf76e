//! Search strategies: how the supernet is built and how its edges are weighted in each forward
//! pass. One file per strategy behind `Strategy`; the epoch loop and the architecture step only
//! see the trait.
mod darts;
mod gdas;
mod pc_darts;

pub use darts::Darts;
pub use gdas::{gumbel_hard, Gdas};
pub use pc_darts::PcDarts;

pub use super::mixing::{CellMix, Mixing};
use super::supernet::{Alphas, SearchSpace, Supernet};
use crate::config::{SearchConfig, StrategyKind};
use crate::network::NetShape;
use crate::rng::Rng;
use tch::nn::Path;
use tch::Tensor;

/// The random draws of the search steps of one epoch (GDAS's Gumbel noise), derived from the
/// run's seed and the epoch so a resumed run draws the same.
#[derive(Debug, Clone)]
pub struct Sampler {
    pub rng: Rng,
    /// The epoch (from 1) and the search's epochs, for annealed schedules.
    pub epoch: usize,
    pub epochs: usize,
}

impl Sampler {
    pub fn for_epoch(seed: u64, epoch: usize, epochs: usize) -> Sampler {
        Sampler {
            rng: Rng::derive(seed, 3, epoch as u64),
            epoch,
            epochs,
        }
    }

    /// A uniform draw strictly inside (0, 1), 53 bits.
    pub fn uniform(&mut self) -> f64 {
        self.rng.uniform()
    }

    /// `rows x cols` uniform draws as a float tensor on `device`.
    pub fn uniform_tensor(&mut self, rows: i64, cols: i64, device: tch::Device) -> Tensor {
        let v: Vec<f32> = (0..rows * cols).map(|_| self.uniform() as f32).collect();
        Tensor::from_slice(&v)
            .reshape([rows, cols])
            .to_device(device)
    }
}

/// How a search builds its supernet and weighs its edges.
pub trait Strategy: Send + std::fmt::Debug {
    /// The supernet (weights under `weights`) and its architecture parameters (under `arch`):
    /// by default the DARTS supernet with one alpha table per cell type.
    fn build(
        &self,
        weights: &Path,
        arch: &Path,
        shape: &NetShape,
        space: &SearchSpace,
    ) -> (Supernet, Alphas) {
        (
            Supernet::new(weights, shape, space),
            Alphas::new(arch, space.nodes, space.primitives.len()),
        )
    }

    /// The edges' weights of one forward pass. `sample`: the draws of a search step, or None
    /// for a deterministic pass (scoring, export, the checks of selection).
    fn mixing(&self, alphas: &Alphas, sample: Option<&mut Sampler>) -> Mixing;

    /// Deterministic weights with every op of every edge running: what perturbation selection
    /// masks op by op.
    fn mixture(&self, alphas: &Alphas) -> Mixing {
        self.mixing(alphas, None)
    }

    /// Per edge, each op's weight as discretisation reads it: (normal, reduce).
    fn op_weights(&self, alphas: &Alphas) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        alphas.softmaxed()
    }

    /// Whether the deterministic pass's batch-norm statistics must be recomputed before it is
    /// scored: true where an op trains only in the steps that sample it (GDAS), so that its
    /// running statistics trail its weights.
    fn recalibrates(&self) -> bool {
        false
    }
}

/// The strategy a config names. ProxylessNAS searches a space of its own and ENAS's controller
/// picks the cells its supernet runs (methods of their own, `crate::method`): a cell supernet
/// built for either config is DARTS's.
pub fn for_config(cfg: &SearchConfig) -> Box<dyn Strategy> {
    match cfg.strategy {
        StrategyKind::Darts | StrategyKind::Proxyless | StrategyKind::Enas => Box::new(Darts),
        StrategyKind::PcDarts => Box::new(PcDarts {
            k: cfg.pc_k as i64,
            nodes: cfg.nodes,
        }),
        StrategyKind::Gdas => Box::new(Gdas {
            tau_max: cfg.gdas_tau_max,
            tau_min: cfg.gdas_tau_min,
        }),
    }
}

/// Softmax over ops of each cell type's alphas, every op on every edge: the DARTS mixing that
/// PC-DARTS extends.
fn softmax_mix(alphas: &Alphas) -> Mixing {
    let cell = |a: &Tensor| CellMix {
        ops: a.softmax(-1, tch::Kind::Float),
        edges: None,
        only: None,
    };
    Mixing {
        normal: cell(&alphas.normal),
        reduce: cell(&alphas.reduce),
    }
}
