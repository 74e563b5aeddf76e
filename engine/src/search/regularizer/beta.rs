//! beta-DARTS (Ye et al., CVPR 2022; Sunshine-Ye/Beta-DARTS optimizers/darts/architect.py
//! `mlc_loss`): lambda(t) times the mean over edges of logsumexp of the edge's alphas, with
//! lambda rising linearly from 0 to `lambda` over the search (../shared/DARTS.md, "Closing the
//! discretisation gap"). The penalty keeps the alphas' scale down, so the softmax weights stay
//! comparable across edges and the search cannot push one op's logit up without bound.
use super::Regularizer;
use crate::search::supernet::Alphas;
use tch::{Kind, Tensor};

#[derive(Debug, Clone, Copy)]
pub struct Beta {
    /// lambda at the end of the search (the paper's 50).
    pub lambda: f64,
}

impl Beta {
    /// The mean over every edge of both cell types of logsumexp over the edge's ops.
    pub fn mean_logsumexp(alphas: &Alphas) -> Tensor {
        Tensor::cat(&[&alphas.normal, &alphas.reduce], 0)
            .logsumexp([-1i64].as_slice(), false)
            .mean(Kind::Float)
    }
}

impl Regularizer for Beta {
    fn penalty(&self, alphas: &Alphas, progress: f64) -> Tensor {
        Beta::mean_logsumexp(alphas) * (self.lambda * progress.clamp(0.0, 1.0))
    }
}
