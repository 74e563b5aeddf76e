//! The supernet's cell (quark0/darts cnn/model_search.py Cell and MixedOp): every edge holds
//! every candidate op, mixed by the weights a strategy gives it (`mixing::CellMix`). With
//! partial channels (PC-DARTS, yuhuixu1993/PC-DARTS model_search.py) an edge's ops see only the
//! first 1/K of its input's channels; the rest bypass them and the two are channel-shuffled.
use super::mixing::CellMix;
use crate::network::{channels_last, edge_count, edge_stride};
use crate::nn::Mode;
use crate::ops::{Op, Preprocess, Primitive};
use tch::nn::Path;
use tch::Tensor;

/// One edge of the supernet: the weighted sum of every candidate op.
#[derive(Debug)]
pub struct MixedOp {
    /// (column of the op in the alpha table, op); `none` is left out since it adds zero and
    /// contributes nothing to any gradient.
    ops: Vec<(i64, Op)>,
    wants_relu: bool,
    stride: i64,
    /// K of PC-DARTS: the ops see `C / K` of the `C` input channels; 1: all of them.
    partial: i64,
}

impl MixedOp {
    /// An edge on `c` channels; its ops are built on `c / partial` of them. `only`: build
    /// that column's op alone (the pruned network), else every op.
    pub fn new(
        p: &Path,
        primitives: &[Primitive],
        c: i64,
        stride: i64,
        partial: i64,
        only: Option<usize>,
    ) -> Self {
        let ops: Vec<(i64, Op)> = primitives
            .iter()
            .enumerate()
            .filter(|(k, prim)| **prim != Primitive::None && only.is_none_or(|o| o == *k))
            .map(|(k, prim)| {
                (
                    k as i64,
                    prim.build(&(p / "_ops" / k), c / partial, stride, false, true),
                )
            })
            .collect();
        let wants_relu = ops.iter().any(|(_, op)| op.wants_relu());
        MixedOp {
            ops,
            wants_relu,
            stride,
            partial,
        }
    }

    /// `x`: [N, C, H, W]; `weights`: [ops]; `only`: the one op to run (GDAS), the others then
    /// add their weights alone, which are zero but carry the straight-through gradient.
    /// Returns [N, C, H/s, W/s].
    pub fn forward(&self, x: &Tensor, weights: &Tensor, only: Option<i64>, mode: Mode) -> Tensor {
        if self.partial == 1 {
            return self.mix(x, weights, only, mode);
        }
        let c = x.size()[1];
        let part = c / self.partial;
        let mixed = self.mix(&x.narrow(1, 0, part), weights, only, mode); // [N, C/K, H/s, W/s]
        let rest = x.narrow(1, part, c - part); // [N, C - C/K, H, W]
        let rest = if self.stride == 1 {
            rest
        } else {
            // PC-DARTS max-pools the bypassing channels of a reduction edge (2x2, stride 2).
            rest.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false)
        };
        channel_shuffle(&Tensor::cat(&[mixed, rest], 1), self.partial)
    }

    fn mix(&self, x: &Tensor, weights: &Tensor, only: Option<i64>, mode: Mode) -> Tensor {
        if let Some(k) = only {
            return self.single(x, weights, k, mode);
        }
        let relu_x = if self.wants_relu {
            x.relu()
        } else {
            x.shallow_clone()
        };
        let mut terms = self
            .ops
            .iter()
            .map(|(k, op)| op.forward(x, &relu_x, mode) * weights.get(*k));
        let first = terms.next().unwrap_or_else(|| self.zeros(x));
        terms.fold(first, |acc, t| acc + t)
    }

    /// Only op `k` runs: `w_k * op_k(x) + sum of the other weights` (D-X-Y/AutoDL-Projects
    /// search_cells.py `forward_gdas`), so every weight's gradient is defined while one op's
    /// forward and backward pass are computed.
    fn single(&self, x: &Tensor, weights: &Tensor, k: i64, mode: Mode) -> Tensor {
        let out = match self.ops.iter().find(|(j, _)| *j == k) {
            Some((_, op)) => op.forward_alone(x, mode) * weights.get(k),
            // `none` was chosen: zero, with its weight's gradient kept.
            None => self.zeros(x) * weights.get(k),
        };
        let others = weights.sum(tch::Kind::Float) - weights.get(k);
        out + others
    }

    /// Zeros of the edge's output shape.
    fn zeros(&self, x: &Tensor) -> Tensor {
        Op::Zero {
            stride: self.stride,
        }
        .forward(x, x, Mode::Eval)
    }
}

/// PC-DARTS `channel_shuffle`: [N, C, H, W] viewed as [N, K, C/K, H, W], the two group axes
/// swapped, so each group of the next edge mixes processed and bypassing channels. The result
/// is laid out channels-last again, as every op of a cell expects.
pub fn channel_shuffle(x: &Tensor, groups: i64) -> Tensor {
    let (_, c, h, w) = x.size4().unwrap_or((0, 0, 0, 0));
    // -1 for the batch, so a traced `model.pt` takes any batch size.
    let shuffled = x
        .reshape([-1, groups, c / groups, h, w])
        .transpose(1, 2)
        .reshape([-1, c, h, w]);
    channels_last(&shuffled)
}

/// A search cell: two preprocessed inputs, `nodes` intermediate nodes, output the concatenation
/// of the intermediate nodes.
#[derive(Debug)]
pub struct SearchCell {
    pub reduction: bool,
    preprocess0: Preprocess,
    preprocess1: Preprocess,
    /// None: an edge the pruned network dropped (it contributes nothing, bypass included).
    edges: Vec<Option<MixedOp>>,
    nodes: usize,
}

pub struct CellShape {
    pub c_prev_prev: i64,
    pub c_prev: i64,
    pub c: i64,
    pub reduction: bool,
    pub reduction_prev: bool,
}

/// Which ops a cell's edges hold.
#[derive(Debug, Clone, Copy)]
pub enum EdgeOps<'a> {
    /// Every candidate op on every edge: the supernet.
    All,
    /// Per edge, the one column kept, or None for a dropped edge: the pruned network.
    Kept(&'a [Option<usize>]),
}

impl SearchCell {
    pub fn new(
        p: &Path,
        shape: &CellShape,
        nodes: usize,
        primitives: &[Primitive],
        partial: i64,
        which: EdgeOps,
    ) -> Self {
        let preprocess0 = Preprocess::new(
            &(p / "preprocess0"),
            shape.c_prev_prev,
            shape.c,
            shape.reduction_prev,
            false,
        );
        let preprocess1 =
            Preprocess::new(&(p / "preprocess1"), shape.c_prev, shape.c, false, false);
        let mut edges = Vec::with_capacity(edge_count(nodes));
        for i in 0..nodes {
            for j in 0..2 + i {
                let stride = edge_stride(shape.reduction, j);
                let only = match which {
                    EdgeOps::All => Some(None),
                    EdgeOps::Kept(kept) => kept[edges.len()].map(Some),
                };
                edges.push(only.map(|only| {
                    MixedOp::new(
                        &(p / "_ops" / edges.len()),
                        primitives,
                        shape.c,
                        stride,
                        partial,
                        only,
                    )
                }));
            }
        }
        SearchCell {
            reduction: shape.reduction,
            preprocess0,
            preprocess1,
            edges,
            nodes,
        }
    }

    /// `s0`, `s1`: outputs of the two previous cells; `mix`: the weights of this pass.
    /// Returns [N, nodes*C, H', W'].
    pub fn forward(&self, s0: &Tensor, s1: &Tensor, mix: &CellMix, mode: Mode) -> Tensor {
        let mut states = vec![
            self.preprocess0.forward(s0, mode),
            self.preprocess1.forward(s1, mode),
        ];
        let mut offset = 0;
        for _ in 0..self.nodes {
            let node = states
                .iter()
                .enumerate()
                .filter_map(|(j, h)| {
                    let e = offset + j;
                    let edge = self.edges[e].as_ref()?;
                    let only = mix.only.as_ref().map(|o| o[e]);
                    let out = edge.forward(h, &mix.ops.get(e as i64), only, mode);
                    Some(match &mix.edges {
                        Some(w) => out * w.get(e as i64),
                        None => out,
                    })
                })
                .reduce(|a, b| a + b)
                .unwrap_or_else(|| s1.zeros_like());
            offset += states.len();
            states.push(node);
        }
        Tensor::cat(&states[2..], 1)
    }
}
