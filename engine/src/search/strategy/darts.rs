//! DARTS (Liu et al., ICLR 2019; quark0/darts cnn/model_search.py): every op of every edge runs,
//! weighted by the softmax of its alphas.
use super::{softmax_mix, Mixing, Sampler, Strategy};
use crate::search::supernet::Alphas;

#[derive(Debug, Clone, Copy)]
pub struct Darts;

impl Strategy for Darts {
    fn mixing(&self, alphas: &Alphas, _sample: Option<&mut Sampler>) -> Mixing {
        softmax_mix(alphas)
    }
}
