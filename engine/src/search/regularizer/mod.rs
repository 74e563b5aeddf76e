//! Regularisers of the architecture step, composable with any strategy: each adds a penalty on
//! the architecture parameters to the validation loss the alphas descend. One file per
//! regulariser behind `Regularizer`.
mod beta;

pub use beta::Beta;

use super::supernet::Alphas;
use crate::config::{AlphaReg, SearchConfig};
use tch::Tensor;

pub trait Regularizer: Send + std::fmt::Debug {
    /// The penalty after `progress` (0 at the first step, towards 1 at the last) of the search:
    /// a scalar with a path to the alphas.
    fn penalty(&self, alphas: &Alphas, progress: f64) -> Tensor;
}

/// The regulariser a config names; None for `alpha_reg = none`.
pub fn for_config(cfg: &SearchConfig) -> Option<Box<dyn Regularizer>> {
    match cfg.alpha_reg {
        AlphaReg::None => None,
        AlphaReg::Beta => Some(Box::new(Beta {
            lambda: cfg.beta_lambda,
        })),
    }
}
