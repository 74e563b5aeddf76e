//! PC-DARTS (Xu et al., ICLR 2020; yuhuixu1993/PC-DARTS model_search.py): each edge's ops see
//! 1/K of its input channels (the rest bypass them, then a channel shuffle), and edge
//! normalisation weighs each edge in its node's sum by a softmax of per-edge betas over the
//! node's inputs. Discretisation reads each op's weight times its edge's (`Network.genotype`).
use super::{softmax_mix, Mixing, Sampler, Strategy};
use crate::network::NetShape;
use crate::search::supernet::{node_softmax, Alphas, SearchSpace, Supernet};
use tch::nn::Path;

#[derive(Debug, Clone, Copy)]
pub struct PcDarts {
    /// The channel proportion's denominator (the paper's K = 4).
    pub k: i64,
    pub nodes: usize,
}

impl Strategy for PcDarts {
    fn build(
        &self,
        weights: &Path,
        arch: &Path,
        shape: &NetShape,
        space: &SearchSpace,
    ) -> (Supernet, Alphas) {
        (
            Supernet::partial(weights, shape, space, self.k),
            Alphas::with_betas(arch, space.nodes, space.primitives.len()),
        )
    }

    fn mixing(&self, alphas: &Alphas, _sample: Option<&mut Sampler>) -> Mixing {
        let mut mix = softmax_mix(alphas);
        if let Some((n, r)) = &alphas.betas {
            mix.normal.edges = Some(node_softmax(n, self.nodes));
            mix.reduce.edges = Some(node_softmax(r, self.nodes));
        }
        mix
    }

    fn op_weights(&self, alphas: &Alphas) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        let (mut normal, mut reduce) = alphas.softmaxed();
        if let Some((en, er)) = alphas.edge_weights(self.nodes) {
            for (rows, edges) in [(&mut normal, en), (&mut reduce, er)] {
                for (row, e) in rows.iter_mut().zip(edges) {
                    row.iter_mut().for_each(|w| *w *= e);
                }
            }
        }
        (normal, reduce)
    }
}
