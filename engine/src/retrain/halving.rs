//! Successive halving for random search (Jamieson & Talwalkar, AISTATS 2016; Li & Talwalkar,
//! "Random search and reproducibility for NAS", UAI 2019, use it as the fair random-search
//! baseline; ../shared/DARTS.md). A candidate trained for a tenth of the recipe is ranked close
//! to noise; here many candidates are ranked after a short training, the best third is trained
//! again three times longer, and so on up to the full recipe, so the final choice rests on
//! scores that mean something while the budget still covers many samples. Each rung trains its
//! candidates from scratch with the recipe's epochs (the same cosine schedule and drop-path
//! ramp) and fewer steps per epoch.

/// The factor between rungs: a third survives, trained three times longer.
pub const ETA: usize = 3;
/// Rungs of the bracket; the last trains the recipe's full steps.
pub const RUNGS: usize = 3;

/// Steps per epoch at `rung` (from 0) when the full recipe takes `full` per epoch: full / 9,
/// full / 3, full (at least 1).
pub fn rung_steps(full: usize, rung: usize) -> usize {
    let div = ETA.pow(RUNGS.saturating_sub(1 + rung) as u32);
    ((full as f64 / div as f64).round() as usize).max(1)
}

/// How many of `n` candidates go on: the best third, rounded up.
pub fn survivors(n: usize) -> usize {
    n.div_ceil(ETA)
}

/// The sizes of the rungs a bracket of `n` candidates trains: `n`, then the survivors of each
/// rung while there is a choice left to make (a rung of one decides nothing more).
pub fn rung_sizes(n: usize) -> Vec<usize> {
    let mut sizes = vec![n];
    while sizes.len() < RUNGS {
        let next = survivors(sizes[sizes.len() - 1]);
        if next <= 1 {
            break;
        }
        sizes.push(next);
    }
    sizes
}

/// What one rung-0 candidate cost: its training, which grows with the steps, and the scoring of
/// the held-out part, which does not. Scaling the whole time with the steps overestimated the
/// later rungs where scoring dominates a short training (Mechanical-MNIST's brackets used half
/// of their budget).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    pub fit: f64,
    pub score: f64,
}

impl Cost {
    /// Seconds of one candidate at `steps` steps per epoch when rung 0 trains `steps0`.
    pub fn at(self, steps: usize, steps0: usize) -> f64 {
        self.fit * steps as f64 / steps0.max(1) as f64 + self.score
    }
}

/// Seconds a bracket of `n` takes when a rung-0 candidate costs `first` (`steps`: steps per
/// epoch at each rung).
pub fn bracket_seconds(n: usize, first: Cost, steps: &[usize]) -> f64 {
    let s0 = steps.first().copied().unwrap_or(1);
    rung_sizes(n)
        .iter()
        .zip(steps)
        .map(|(&m, &s)| m as f64 * first.at(s, s0))
        .sum()
}

/// The largest bracket (at least 1 candidate) that fits `seconds`.
pub fn bracket_size(seconds: f64, first: Cost, steps: &[usize]) -> usize {
    if !(first.fit + first.score > 0.0) || !seconds.is_finite() {
        return 1;
    }
    let mut n = 1;
    while n < 100_000 && bracket_seconds(n + 1, first, steps) <= seconds {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_grow_threefold_and_keep_a_third() {
        assert_eq!(
            (0..3).map(|r| rung_steps(20, r)).collect::<Vec<_>>(),
            [2, 7, 20]
        );
        assert_eq!(rung_steps(2, 0), 1, "at least one step");
        assert_eq!(rung_sizes(20), [20, 7, 3]);
        assert_eq!(rung_sizes(9), [9, 3], "best of 3 decides");
        assert_eq!(rung_sizes(3), [3]);
        assert_eq!(rung_sizes(1), [1]);
        assert_eq!(rung_sizes(100), [100, 34, 12]);
    }

    #[test]
    fn the_bracket_fills_the_budget() {
        let steps = [2, 7, 20];
        // 1 s training and 0.5 s scoring at rung 0: 20 at 1.5 s, 7 at 4 s, 3 at 10.5 s.
        let cost = Cost {
            fit: 1.0,
            score: 0.5,
        };
        assert!((bracket_seconds(20, cost, &steps) - (30.0 + 28.0 + 31.5)).abs() < 1e-9);
        let n = bracket_size(112.0, cost, &steps);
        assert!(bracket_seconds(n, cost, &steps) <= 112.0);
        assert!(bracket_seconds(n + 1, cost, &steps) > 112.0);
        assert_eq!(bracket_size(0.0, cost, &steps), 1, "always one candidate");
        let free = Cost {
            fit: 0.0,
            score: 0.0,
        };
        assert_eq!(bracket_size(10.0, free, &steps), 1);
    }

    #[test]
    fn scoring_time_does_not_grow_with_the_steps() {
        let steps = [2, 7, 20];
        // The same 1.5 s at rung 0, all training or mostly scoring: scoring makes later rungs
        // cheaper, so more candidates fit the same budget.
        let training = Cost {
            fit: 1.5,
            score: 0.0,
        };
        let scoring = Cost {
            fit: 0.3,
            score: 1.2,
        };
        assert!((training.at(20, 2) - 15.0).abs() < 1e-9);
        assert!((scoring.at(20, 2) - 4.2).abs() < 1e-9);
        assert!(bracket_size(112.0, scoring, &steps) > bracket_size(112.0, training, &steps));
    }
}
