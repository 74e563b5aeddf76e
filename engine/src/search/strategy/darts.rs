//! DARTS (Liu et al., ICLR 2019; quark0/darts cnn/model_search.py): every op of every edge runs,
//! weighted by the softmax of its alphas.
use super::{softmax_mix, Mixing, Sampler, Strategy};
use crate::network::NetShape;
use crate::search::supernet::{Alphas, SearchSpace, Supernet};
use tch::nn::Path;

#[derive(Debug, Clone, Copy)]
pub struct Darts;

impl Strategy for Darts {
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

    fn mixing(&self, alphas: &Alphas, _sample: Option<&mut Sampler>) -> Mixing {
        softmax_mix(alphas)
    }
}
