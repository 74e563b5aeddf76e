//! What perturbation selection has decided so far (ruocwang/darts-pt
//! `DartsNetworkProj.get_projected_weights`): a decided edge runs its kept op alone at weight 1,
//! an input a node dropped weighs 0, and a trial removal zeroes one op or one input.
use crate::genotype::Genotype;
use crate::ops::Primitive;
use crate::search::mixing::{CellMix, Mixing};
use serde::{Deserialize, Serialize};
use tch::Tensor;

/// The first edge (row of the alpha table) of node `node`: node i reads 2 + i states.
pub fn first_edge(node: usize) -> usize {
    node * (node + 3) / 2
}

/// A trial removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    None,
    /// Op (column) `op` of edge `edge` weighs 0.
    Op {
        edge: usize,
        op: usize,
    },
    /// Edge `edge` weighs 0.
    Edge(usize),
}

/// The decisions of one cell type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellProjection {
    /// Per edge, the op (column) it keeps once decided.
    pub ops: Vec<Option<usize>>,
    /// Per node, the two inputs it keeps once decided.
    pub inputs: Vec<Option<[usize; 2]>>,
}

impl CellProjection {
    pub fn new(nodes: usize) -> Self {
        CellProjection {
            ops: vec![None; first_edge(nodes)],
            inputs: vec![None; nodes],
        }
    }

    /// The inputs node `node` still reads (all 2 + node until decided).
    pub fn live_inputs(&self, node: usize) -> Vec<usize> {
        match self.inputs[node] {
            Some(pair) => pair.to_vec(),
            None => (0..2 + node).collect(),
        }
    }

    /// `weights` [edges, ops] with the decisions and `mask` applied.
    pub fn apply(&self, weights: &Tensor, mask: Mask) -> Tensor {
        let mut rows = crate::search::supernet::rows(&weights.detach());
        for (e, kept) in self.ops.iter().enumerate() {
            if let Some(k) = kept {
                rows[e]
                    .iter_mut()
                    .enumerate()
                    .for_each(|(j, w)| *w = f32::from(j == *k));
            }
        }
        for (node, kept) in self.inputs.iter().enumerate() {
            if let Some(pair) = kept {
                for input in (0..2 + node).filter(|i| !pair.contains(i)) {
                    rows[first_edge(node) + input].fill(0.0);
                }
            }
        }
        match mask {
            Mask::None => {}
            Mask::Op { edge, op } => rows[edge][op] = 0.0,
            Mask::Edge(edge) => rows[edge].fill(0.0),
        }
        let flat: Vec<f32> = rows.concat();
        Tensor::from_slice(&flat)
            .reshape([rows.len() as i64, -1])
            .to_device(weights.device())
    }

    /// The cell's genotype ops: per node its two inputs with the op each edge kept (node 0 reads
    /// both cell inputs); None until every edge it reads is decided.
    fn genotype_ops(&self, primitives: &[Primitive]) -> Option<Vec<(Primitive, usize)>> {
        let mut ops = Vec::new();
        for node in 0..self.inputs.len() {
            let inputs = match (node, self.inputs[node]) {
                (0, _) => [0, 1],
                (_, Some(pair)) => pair,
                _ => return None,
            };
            for input in inputs {
                let k = self.ops[first_edge(node) + input]?;
                ops.push((primitives[k], input));
            }
        }
        Some(ops)
    }
}

/// The decisions of both cell types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projection {
    pub normal: CellProjection,
    pub reduce: CellProjection,
}

impl Projection {
    pub fn new(nodes: usize) -> Self {
        Projection {
            normal: CellProjection::new(nodes),
            reduce: CellProjection::new(nodes),
        }
    }

    pub fn cell(&self, reduce: bool) -> &CellProjection {
        if reduce {
            &self.reduce
        } else {
            &self.normal
        }
    }

    pub fn cell_mut(&mut self, reduce: bool) -> &mut CellProjection {
        if reduce {
            &mut self.reduce
        } else {
            &mut self.normal
        }
    }

    /// `mix` (every op running) with the decisions applied, and `mask` on the cell type
    /// `reduce` names.
    pub fn apply(&self, mix: &Mixing, reduce: bool, mask: Mask) -> Mixing {
        let cell = |m: &CellMix, p: &CellProjection, mask: Mask| CellMix {
            ops: p.apply(&m.ops, mask),
            edges: m.edges.as_ref().map(Tensor::detach),
            only: None,
        };
        let (mn, mr) = if reduce {
            (Mask::None, mask)
        } else {
            (mask, Mask::None)
        };
        Mixing {
            normal: cell(&mix.normal, &self.normal, mn),
            reduce: cell(&mix.reduce, &self.reduce, mr),
        }
    }

    /// The genotype once every decision is taken.
    pub fn genotype(&self, primitives: &[Primitive]) -> Option<Genotype> {
        let nodes = self.normal.inputs.len();
        let concat: Vec<usize> = (2..2 + nodes).collect();
        Some(Genotype {
            normal: self.normal.genotype_ops(primitives)?,
            normal_concat: concat.clone(),
            reduce: self.reduce.genotype_ops(primitives)?,
            reduce_concat: concat,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn decisions_and_masks_shape_the_weights() {
        let mut p = CellProjection::new(2); // 5 edges
        let w = Tensor::full([5, 3], 0.5, (Kind::Float, Device::Cpu));
        p.ops[1] = Some(2);
        p.inputs[1] = Some([0, 2]);
        let rows = crate::search::supernet::rows(&p.apply(&w, Mask::Op { edge: 0, op: 1 }));
        assert_eq!(rows[0], [0.5, 0.0, 0.5]);
        assert_eq!(rows[1], [0.0, 0.0, 1.0]);
        assert_eq!(rows[2], [0.5, 0.5, 0.5]);
        assert_eq!(rows[3], [0.0, 0.0, 0.0], "node 1 dropped input 1");
        assert_eq!(rows[4], [0.5, 0.5, 0.5]);
        assert_eq!(p.live_inputs(1), [0, 2]);
        assert_eq!(first_edge(3), 9);
    }
}

/// Where a selection stands: saved in each checkpoint it writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionState {
    pub projection: Projection,
    /// Steps of the plan already taken.
    pub done: usize,
    pub decisions: Vec<crate::events::Decision>,
}
