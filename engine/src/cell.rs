//! The supernet's cell (quark0/darts cnn/model_search.py Cell and MixedOp): every edge holds
//! every candidate op, mixed by the softmax of the architecture weights.
use crate::nn::Mode;
use crate::ops::{Op, Preprocess, Primitive};
use tch::nn::Path;
use tch::Tensor;

/// Number of edges in a cell with `nodes` intermediate nodes: node i has 2 + i inputs.
pub fn edge_count(nodes: usize) -> usize {
    nodes * (nodes + 3) / 2
}

/// Whether an edge from state `input` of a reduction cell carries stride 2.
pub fn edge_stride(reduction: bool, input: usize) -> i64 {
    if reduction && input < 2 {
        2
    } else {
        1
    }
}

/// One edge of the supernet: the weighted sum of every candidate op.
#[derive(Debug)]
pub struct MixedOp {
    /// (column of the op in the alpha table, op); `none` is left out since it adds zero and
    /// contributes nothing to any gradient.
    ops: Vec<(i64, Op)>,
    wants_relu: bool,
}

impl MixedOp {
    pub fn new(p: &Path, primitives: &[Primitive], c: i64, stride: i64) -> Self {
        let ops: Vec<(i64, Op)> = primitives
            .iter()
            .enumerate()
            .filter(|(_, prim)| **prim != Primitive::None)
            .map(|(k, prim)| {
                (
                    k as i64,
                    prim.build(&(p / "_ops" / k), c, stride, false, true),
                )
            })
            .collect();
        let wants_relu = ops.iter().any(|(_, op)| op.wants_relu());
        MixedOp { ops, wants_relu }
    }

    /// `x`: [N, C, H, W]; `weights`: [ops] (softmaxed). Returns [N, C, H/s, W/s].
    pub fn forward(&self, x: &Tensor, weights: &Tensor, mode: Mode) -> Tensor {
        let relu_x = if self.wants_relu {
            x.relu()
        } else {
            x.shallow_clone()
        };
        let mut terms = self
            .ops
            .iter()
            .map(|(k, op)| op.forward(x, &relu_x, mode) * weights.get(*k));
        let first = terms.next().unwrap_or_else(|| x.zeros_like());
        terms.fold(first, |acc, t| acc + t)
    }
}

/// A search cell: two preprocessed inputs, `nodes` intermediate nodes, output the concatenation
/// of the intermediate nodes.
#[derive(Debug)]
pub struct SearchCell {
    pub reduction: bool,
    preprocess0: Preprocess,
    preprocess1: Preprocess,
    edges: Vec<MixedOp>,
    nodes: usize,
}

pub struct CellShape {
    pub c_prev_prev: i64,
    pub c_prev: i64,
    pub c: i64,
    pub reduction: bool,
    pub reduction_prev: bool,
}

impl SearchCell {
    pub fn new(p: &Path, shape: &CellShape, nodes: usize, primitives: &[Primitive]) -> Self {
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
                edges.push(MixedOp::new(
                    &(p / "_ops" / edges.len()),
                    primitives,
                    shape.c,
                    stride,
                ));
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

    /// `s0`, `s1`: outputs of the two previous cells; `weights`: [edges, ops] (softmaxed).
    /// Returns [N, nodes*C, H', W'].
    pub fn forward(&self, s0: &Tensor, s1: &Tensor, weights: &Tensor, mode: Mode) -> Tensor {
        let mut states = vec![
            self.preprocess0.forward(s0, mode),
            self.preprocess1.forward(s1, mode),
        ];
        let mut offset = 0;
        for _ in 0..self.nodes {
            let node = states
                .iter()
                .enumerate()
                .map(|(j, h)| {
                    self.edges[offset + j].forward(h, &weights.get((offset + j) as i64), mode)
                })
                .reduce(|a, b| a + b)
                .unwrap_or_else(|| s1.zeros_like());
            offset += states.len();
            states.push(node);
        }
        Tensor::cat(&states[2..], 1)
    }
}
