//! ENAS (Pham et al., ICML 2018) on the DARTS cell space: an LSTM controller writes cells, the
//! supernet's weights are shared by every cell it writes and trained on the cells it samples,
//! and the controller learns by REINFORCE from the validation metric of its cells. The cell a
//! search ends with is the best of N sampled cells on the validation part.
pub mod controller;
pub mod run;

use crate::genotype::Genotype;
use crate::ops::Primitive;
use crate::optim::{Adam, State};
use crate::search::checkpoint::Resumable;
use crate::search::mixing::{CellMix, Mixing};
use crate::search::searcher::Searcher;
use crate::search::selection::projection::first_edge;
use controller::Controller;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// The shared weights (a DARTS supernet and its optimiser) and the controller with its own.
pub struct EnasSearcher {
    pub shared: Searcher,
    pub controller: Controller,
    pub controller_vs: VarStore,
    pub controller_opt: Adam,
}

impl Resumable for EnasSearcher {
    fn weights_vs(&self) -> &VarStore {
        &self.shared.weights_vs
    }
    fn alphas_vs(&self) -> &VarStore {
        &self.controller_vs
    }
    fn stores_mut(&mut self) -> (&mut VarStore, &mut VarStore) {
        (&mut self.shared.weights_vs, &mut self.controller_vs)
    }
    fn optimizer_states(&self) -> (State, State) {
        (self.shared.w_opt.state(), self.controller_opt.state())
    }
    fn load_optimizer_states(&mut self, weights: &State, arch: &State) {
        self.shared.w_opt.load_state(weights);
        self.controller_opt.load_state(arch);
    }
}

/// The edges' weights that run `genotype` through the supernet: each kept edge its one op at
/// weight 1, every other edge nothing.
pub fn mixing(
    genotype: &Genotype,
    primitives: &[Primitive],
    nodes: usize,
    device: Device,
) -> Mixing {
    let cell = |edges: &[(Primitive, usize)]| {
        let rows = first_edge(nodes);
        let cols = primitives.len();
        let mut weights = vec![0f32; rows * cols];
        // An index no op has: the edge adds zeros.
        let mut only = vec![-1i64; rows];
        for (k, (op, input)) in edges.iter().enumerate() {
            let (Some(col), e) = (
                primitives.iter().position(|p| p == op),
                first_edge(k / 2) + input,
            ) else {
                continue;
            };
            if e < rows {
                weights[e * cols + col] = 1.0;
                only[e] = col as i64;
            }
        }
        CellMix {
            ops: Tensor::from_slice(&weights)
                .reshape([rows as i64, cols as i64])
                .to_kind(Kind::Float)
                .to_device(device),
            edges: None,
            only: Some(only),
        }
    };
    Mixing {
        normal: cell(&genotype.normal),
        reduce: cell(&genotype.reduce),
    }
}
