//! ProxylessNAS's binary gates (Cai et al., ICLR 2019, section 3.2; mit-han-lab/proxylessnas
//! `search/modules/mix_op.py`, `MixedEdge` in mode "two"). Each layer holds one architecture
//! parameter per candidate path, p = softmax(alpha). A weight step runs one path per layer,
//! sampled from p. An architecture step samples two distinct paths from p, renormalises their
//! probabilities (softmax over their two alphas), makes one of them active, and runs both: the
//! output is g_a * o_a + g_b * o_b with the gates g one-hot, so the loss sees the active path
//! only, while dL/dg_j = <dL/dout, o_j> exists for both. The paper's estimate of the alphas'
//! gradient from it, over the two paths i, j:
//!     dL/d alpha_i = sum_j dL/dg_j * p_j * (delta_ij - p_i).
//! After the step the two alphas are shifted by one offset so that exp(alpha_a) + exp(alpha_b)
//! is what it was: the paths not sampled keep their probabilities.
use crate::rng::Rng;

/// The paths of one layer in one architecture step: the active one and the other sampled one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoPaths {
    pub active: usize,
    pub other: usize,
}

impl TwoPaths {
    /// (active, other), the order the gradient formula indexes them in.
    pub fn pair(self) -> [usize; 2] {
        [self.active, self.other]
    }
}

/// Softmax of `alphas` in double precision.
pub fn softmax(alphas: &[f64]) -> Vec<f64> {
    let max = alphas.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = alphas.iter().map(|a| (a - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

/// One index drawn with probability proportional to `weights` (the last one with any weight
/// when rounding leaves the draw past the end).
pub fn draw(weights: &[f64], rng: &mut Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.uniform() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// The one path a weight step runs: drawn from softmax(alphas).
pub fn sample_one(alphas: &[f64], rng: &mut Rng) -> usize {
    draw(&softmax(alphas), rng)
}

/// Two distinct paths drawn from softmax(alphas) without replacement, then the active one drawn
/// from the softmax of their two alphas (`torch.multinomial(probs, 2, replacement=False)`, then
/// `torch.multinomial(probs_slice, 1)`).
pub fn sample_two(alphas: &[f64], rng: &mut Rng) -> TwoPaths {
    assert!(alphas.len() >= 2, "two paths need two candidates");
    let mut p = softmax(alphas);
    let first = draw(&p, rng);
    p[first] = 0.0;
    let second = draw(&p, rng);
    let slice = softmax(&[alphas[first], alphas[second]]);
    if draw(&slice, rng) == 0 {
        TwoPaths {
            active: first,
            other: second,
        }
    } else {
        TwoPaths {
            active: second,
            other: first,
        }
    }
}

/// The paper's estimate of dL/d alpha for one layer: `gate_grads[k]` is dL/dg of path
/// `paths.pair()[k]`; every other alpha gets 0.
pub fn alpha_grad(alphas: &[f64], paths: TwoPaths, gate_grads: [f64; 2]) -> Vec<f64> {
    let pair = paths.pair();
    let p = softmax(&[alphas[pair[0]], alphas[pair[1]]]);
    let mut grad = vec![0.0; alphas.len()];
    for i in 0..2 {
        for j in 0..2 {
            let delta = if i == j { 1.0 } else { 0.0 };
            grad[pair[i]] += gate_grads[j] * p[j] * (delta - p[i]);
        }
    }
    grad
}

/// After an update moved the two sampled alphas from `before` to `alphas`: shift both by one
/// offset so that their exponentials sum as before (`rescale_updated_arch_param`).
pub fn rescale(alphas: &mut [f64], paths: TwoPaths, before: [f64; 2]) {
    let pair = paths.pair();
    let old: f64 = before.iter().map(|a| a.exp()).sum();
    let new: f64 = pair.iter().map(|&i| alphas[i].exp()).sum();
    let offset = (new / old).ln();
    for i in pair {
        alphas[i] -= offset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-worked example. alphas (0, ln 3, 5), paths 1 (active) and 0: their renormalised
    /// probabilities are softmax(ln 3, 0) = (3/4, 1/4). With dL/dg = (2, -4):
    ///   d alpha_1 = 2 * 3/4 * (1 - 3/4) + (-4) * 1/4 * (0 - 3/4) = 3/8 + 3/4 = 9/8
    ///   d alpha_0 = 2 * 3/4 * (0 - 1/4) + (-4) * 1/4 * (1 - 1/4) = -3/8 - 3/4 = -9/8
    ///   d alpha_2 = 0 (not sampled).
    /// The two add to zero, as a softmax's gradient over the pair must.
    #[test]
    fn the_two_path_gradient_matches_the_hand_computed_one() {
        let alphas = [0.0, 3f64.ln(), 5.0];
        let g = alpha_grad(
            &alphas,
            TwoPaths {
                active: 1,
                other: 0,
            },
            [2.0, -4.0],
        );
        assert!((g[1] - 9.0 / 8.0).abs() < 1e-12, "{g:?}");
        assert!((g[0] + 9.0 / 8.0).abs() < 1e-12, "{g:?}");
        assert_eq!(g[2], 0.0);
    }

    #[test]
    fn rescaling_keeps_the_pairs_probability_mass() {
        let mut alphas = vec![0.3, -1.0, 2.0, 0.5];
        let paths = TwoPaths {
            active: 0,
            other: 3,
        };
        let before = [alphas[0], alphas[3]];
        let p_before = softmax(&alphas);
        alphas[0] += 0.7;
        alphas[3] -= 0.2;
        rescale(&mut alphas, paths, before);
        let p = softmax(&alphas);
        // The paths not sampled keep their probabilities; the pair shares the rest.
        assert!((p[1] - p_before[1]).abs() < 1e-12 && (p[2] - p_before[2]).abs() < 1e-12);
        assert!((p[0] + p[3] - p_before[0] - p_before[3]).abs() < 1e-12);
        assert!(p[0] > p_before[0]);
    }

    /// Sampling follows the probabilities: with alphas (ln 1, ln 2, ln 7) the paths are drawn
    /// 10%, 20% and 70% of the time, and the two sampled paths always differ.
    #[test]
    fn samples_follow_the_softmax() {
        let alphas = [0.0, 2f64.ln(), 7f64.ln()];
        let mut rng = Rng::derive(7, 0, 0);
        let n = 20_000;
        let mut counts = [0usize; 3];
        for _ in 0..n {
            counts[sample_one(&alphas, &mut rng)] += 1;
            let two = sample_two(&alphas, &mut rng);
            assert_ne!(two.active, two.other);
        }
        for (c, want) in counts.iter().zip([0.1, 0.2, 0.7]) {
            let share = *c as f64 / n as f64;
            assert!((share - want).abs() < 0.015, "{counts:?}");
        }
    }
}
