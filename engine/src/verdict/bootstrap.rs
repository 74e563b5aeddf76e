//! The paired bootstrap of a difference in test metric (Efron and Tibshirani, An Introduction to
//! the Bootstrap, 1993, ch. 13: the percentile interval). Both networks are scored on the same
//! resampled images: within each seed the test images are drawn with replacement (the same
//! draws for both networks), the metric difference is taken per seed and averaged over the seed
//! group; the 2.5th and 97.5th percentiles of that average over the resamples bound the
//! difference. An interval that holds 0 is a tie.
use super::TestScores;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Resamples a verdict draws: the percentile interval's ends move by about 0.1 of the
/// interval's width between seeds of the resampling at 2,000.
pub const RESAMPLES: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Better,
    Tie,
    Worse,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Tie => "tie",
            Verdict::Worse => "worse",
        }
    }
}

/// The difference `a - b` in the test metric (mean over the seed group) with its 95% interval,
/// and what it says of `a`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub difference: f64,
    pub low: f64,
    pub high: f64,
    pub seeds: usize,
    pub resamples: usize,
    pub verdict: Verdict,
}

/// Linear interpolation between closest ranks, as numpy.percentile's default.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// `a` against `b` over the seeds' pairs (each pair scored on the same test images, in the same
/// order); `higher_is_better` reads the sign. None when a pair's lengths differ or no pair has
/// an image. Seed `seed` draws the resamples (SplitMix64, stream 31; seed k of the group its
/// own derived stream).
pub fn paired(
    pairs: &[(&TestScores, &TestScores)],
    higher_is_better: bool,
    resamples: usize,
    seed: u64,
) -> Option<Paired> {
    if pairs.is_empty()
        || resamples < 2
        || pairs
            .iter()
            .any(|(a, b)| a.scores.len() != b.scores.len() || a.scores.is_empty())
    {
        return None;
    }
    let k = pairs.len() as f64;
    let difference = pairs
        .iter()
        .map(|(a, b)| a.metric() - b.metric())
        .sum::<f64>()
        / k;
    let mut rngs: Vec<Rng> = (0..pairs.len())
        .map(|s| Rng::derive(seed, 31, s as u64))
        .collect();
    let mut diffs = Vec::with_capacity(resamples);
    let mut picks = vec![];
    for _ in 0..resamples {
        let mut total = 0.0;
        for ((a, b), rng) in pairs.iter().zip(rngs.iter_mut()) {
            let n = a.scores.len();
            picks.clear();
            picks.extend((0..n).map(|_| rng.below(n)));
            total += a.metric_over(picks.iter().copied()) - b.metric_over(picks.iter().copied());
        }
        diffs.push(total / k);
    }
    diffs.sort_by(|x, y| x.total_cmp(y));
    let (low, high) = (percentile(&diffs, 2.5), percentile(&diffs, 97.5));
    let verdict = if low > 0.0 {
        if higher_is_better {
            Verdict::Better
        } else {
            Verdict::Worse
        }
    } else if high < 0.0 {
        if higher_is_better {
            Verdict::Worse
        } else {
            Verdict::Better
        }
    } else {
        Verdict::Tie
    };
    Some(Paired {
        difference,
        low,
        high,
        seeds: pairs.len(),
        resamples,
        verdict,
    })
}
