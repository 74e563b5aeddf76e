//! The search supernet (quark0/darts cnn/model_search.py Network) and its architecture
//! parameters, for any channel count, any image size, K classes or R regression outputs.
use super::cell::{CellShape, EdgeOps, SearchCell};
use super::mixing::Mixing;
use crate::network::{channels_last, edge_count, pad_to_multiple, NetShape, Stem, STEM_MULTIPLIER};
use crate::nn::Mode;
use crate::ops::Primitive;
use serde::{Deserialize, Serialize};
use tch::nn::Path;
use tch::{Kind, Tensor};

/// The architecture parameters: one (edges x ops) table of alphas shared by all normal cells,
/// one by all reduction cells, initialised to 1e-3 * N(0, 1); with PC-DARTS's edge
/// normalisation also one beta per edge and cell type (same init). They live in their own
/// VarStore.
#[derive(Debug)]
pub struct Alphas {
    pub normal: Tensor,
    pub reduce: Tensor,
    /// (normal, reduce), each [edges]; None without edge normalisation.
    pub betas: Option<(Tensor, Tensor)>,
}

impl Alphas {
    pub fn new(p: &Path, nodes: usize, ops: usize) -> Self {
        let dims = [edge_count(nodes) as i64, ops as i64];
        Alphas {
            normal: p.randn("alphas_normal", &dims, 0.0, 1e-3),
            reduce: p.randn("alphas_reduce", &dims, 0.0, 1e-3),
            betas: None,
        }
    }

    /// Alphas and the betas of edge normalisation (PC-DARTS `_initialize_alphas`).
    pub fn with_betas(p: &Path, nodes: usize, ops: usize) -> Self {
        // Drawn in the authors' order: both alpha tables, then both beta vectors.
        let alphas = Alphas::new(p, nodes, ops);
        let edges = [edge_count(nodes) as i64];
        Alphas {
            betas: Some((
                p.randn("betas_normal", &edges, 0.0, 1e-3),
                p.randn("betas_reduce", &edges, 0.0, 1e-3),
            )),
            ..alphas
        }
    }

    /// The same values cut from autograd, for passes that need no alpha gradient.
    pub fn detached(&self) -> Alphas {
        Alphas {
            normal: self.normal.detach(),
            reduce: self.reduce.detach(),
            betas: self.betas.as_ref().map(|(n, r)| (n.detach(), r.detach())),
        }
    }

    /// Handles to the same tensors (gradients reach the same leaves).
    pub fn shallow(&self) -> Alphas {
        Alphas {
            normal: self.normal.shallow_clone(),
            reduce: self.reduce.shallow_clone(),
            betas: self
                .betas
                .as_ref()
                .map(|(n, r)| (n.shallow_clone(), r.shallow_clone())),
        }
    }

    /// Every architecture tensor, in the order the optimiser and the checkpoint keep them.
    pub fn tensors(&self) -> Vec<Tensor> {
        let mut all = vec![self.normal.shallow_clone(), self.reduce.shallow_clone()];
        if let Some((n, r)) = &self.betas {
            all.extend([n.shallow_clone(), r.shallow_clone()]);
        }
        all
    }

    /// Softmax over ops, per edge, as rows of f32: (normal, reduce).
    pub fn softmaxed(&self) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        let rows = |t: &Tensor| rows(&t.detach().softmax(-1, Kind::Float));
        (rows(&self.normal), rows(&self.reduce))
    }

    /// The edge weights of edge normalisation, softmaxed over each node's inputs: (normal,
    /// reduce), each one value per edge; None without betas.
    pub fn edge_weights(&self, nodes: usize) -> Option<(Vec<f32>, Vec<f32>)> {
        let (n, r) = self.betas.as_ref()?;
        let flat = |t: &Tensor| -> Vec<f32> {
            Vec::<f32>::try_from(&node_softmax(&t.detach(), nodes).to_device(tch::Device::Cpu))
                .unwrap_or_default()
        };
        Some((flat(n), flat(r)))
    }
}

/// A [edges, k] tensor as rows of f32 on the CPU.
pub fn rows(t: &Tensor) -> Vec<Vec<f32>> {
    Vec::<Vec<f32>>::try_from(&t.to_device(tch::Device::Cpu)).unwrap_or_default()
}

/// `betas` [edges] softmaxed over the inputs of each node (node i has 2 + i): PC-DARTS
/// `Network.forward`'s `weights2`.
pub fn node_softmax(betas: &Tensor, nodes: usize) -> Tensor {
    let mut parts = Vec::with_capacity(nodes);
    let mut start = 0;
    for i in 0..nodes {
        let n = 2 + i as i64;
        parts.push(betas.narrow(0, start, n).softmax(0, Kind::Float));
        start += n;
    }
    Tensor::cat(&parts, 0)
}

/// The search space a supernet covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSpace {
    pub nodes: usize,
    pub primitives: Vec<Primitive>,
}

#[derive(Debug)]
pub struct Supernet {
    pub shape: NetShape,
    pub space: SearchSpace,
    stem: Stem,
    cells: Vec<SearchCell>,
    classifier: crate::nn::Linear,
}

impl Supernet {
    /// The DARTS supernet: every op of every edge sees all channels.
    pub fn new(p: &Path, shape: &NetShape, space: &SearchSpace) -> Self {
        Supernet::partial(p, shape, space, 1)
    }

    /// The supernet whose ops see 1/`k` of each edge's channels (PC-DARTS; `k` divides
    /// `init_channels`).
    pub fn partial(p: &Path, shape: &NetShape, space: &SearchSpace, k: i64) -> Self {
        Supernet::with_edges(p, shape, space, k, [EdgeOps::All; 2])
    }

    /// The supernet with only the ops `kept` names (per cell type, normal then reduce): the
    /// discrete network selection leaves, under the supernet's own variable names.
    pub fn pruned(
        p: &Path,
        shape: &NetShape,
        space: &SearchSpace,
        k: i64,
        kept: &[Vec<Option<usize>>; 2],
    ) -> Self {
        Supernet::with_edges(
            p,
            shape,
            space,
            k,
            [EdgeOps::Kept(&kept[0]), EdgeOps::Kept(&kept[1])],
        )
    }

    /// `which`: the ops of the normal and of the reduction cells' edges.
    fn with_edges(
        p: &Path,
        shape: &NetShape,
        space: &SearchSpace,
        k: i64,
        which: [EdgeOps; 2],
    ) -> Self {
        let c_stem = STEM_MULTIPLIER * shape.init_channels;
        let stem = Stem::new(&(p / "stem"), shape.in_channels, c_stem);
        let (mut c_pp, mut c_p, mut c) = (c_stem, c_stem, shape.init_channels);
        let mut reduction_prev = false;
        let mut cells = Vec::with_capacity(shape.layers);
        for i in 0..shape.layers {
            let reduction = shape.is_reduction(i);
            if reduction {
                c *= 2;
            }
            let cs = CellShape {
                c_prev_prev: c_pp,
                c_prev: c_p,
                c,
                reduction,
                reduction_prev,
            };
            cells.push(SearchCell::new(
                &(p / "cells" / i),
                &cs,
                space.nodes,
                &space.primitives,
                k,
                which[reduction as usize],
            ));
            reduction_prev = reduction;
            (c_pp, c_p) = (c_p, space.nodes as i64 * c);
        }
        let classifier = crate::nn::linear(p / "classifier", c_p, shape.outputs);
        Supernet {
            shape: shape.clone(),
            space: space.clone(),
            stem,
            cells,
            classifier,
        }
    }

    /// `x`: [N, C_in, H, W] normalised images; `mix`: the edges' weights of this pass (a
    /// strategy's `mixing`). Returns [N, outputs].
    pub fn forward(&self, x: &Tensor, mix: &Mixing, mode: Mode) -> Tensor {
        let x = pad_to_multiple(x, self.shape.size_multiple()); // [N, C_in, H', W']
        let s = channels_last(&self.stem.forward(&x, mode)); // [N, 3C, H', W']
        let (mut s0, mut s1) = (s.shallow_clone(), s);
        for cell in &self.cells {
            let m = if cell.reduction {
                &mix.reduce
            } else {
                &mix.normal
            };
            let out = cell.forward(&s0, &s1, m, mode); // [N, nodes*C_i, H_i, W_i]
            (s0, s1) = (s1, out);
        }
        s1.adaptive_avg_pool2d([1, 1])
            .flatten(1, -1)
            .apply(&self.classifier) // [N, outputs]
    }
}
