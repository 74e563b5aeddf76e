//! The weights of one forward pass through the cell supernet: what a strategy gives the cells
//! (`strategy::Strategy::mixing`), what ENAS's controller and selection's masks hand them. The
//! cells and the supernet read it; nothing here knows who made it.
use tch::Tensor;

/// The weights of one cell type's edges in one forward pass.
#[derive(Debug)]
pub struct CellMix {
    /// [edges, ops]: each op's weight on each edge.
    pub ops: Tensor,
    /// [edges]: each edge's weight in its node's sum (PC-DARTS edge normalisation); None: 1.
    pub edges: Option<Tensor>,
    /// The one op each edge runs (GDAS); None: every op runs.
    pub only: Option<Vec<i64>>,
}

impl CellMix {
    /// The same weights (and choices) cut from autograd.
    pub fn detached(&self) -> CellMix {
        CellMix {
            ops: self.ops.detach(),
            edges: self.edges.as_ref().map(Tensor::detach),
            only: self.only.clone(),
        }
    }
}

/// The weights of both cell types for one forward pass.
#[derive(Debug)]
pub struct Mixing {
    pub normal: CellMix,
    pub reduce: CellMix,
}

impl Mixing {
    /// The same weights (and choices) cut from autograd.
    pub fn detached(&self) -> Mixing {
        Mixing {
            normal: self.normal.detached(),
            reduce: self.reduce.detached(),
        }
    }
}
