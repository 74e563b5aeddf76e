//! Train / validation / test splits: given splits are kept; without a test split a stratified
//! 15% is held out as test with a recorded seed. The test split is never seen by a search.
use super::SplitName;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const TEST_FRACTION: f64 = 0.15;
pub const TEST_SEED: u64 = 20_240_601;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Splits {
    pub train: Vec<i64>,
    /// The dataset's own validation split, when it has one.
    pub val: Vec<i64>,
    pub test: Vec<i64>,
    /// The seed of the held-out test split, when the source had none.
    pub test_seed: Option<u64>,
}

impl Splits {
    /// `parts`: consecutive runs of samples per split, in file order; `labels` stratify the
    /// held-out test split.
    pub(crate) fn from_parts(parts: &[(SplitName, usize)], labels: &[i64]) -> Self {
        let mut by_name: BTreeMap<u8, Vec<i64>> = BTreeMap::new();
        let mut start = 0i64;
        for (name, count) in parts {
            let key = *name as u8;
            by_name
                .entry(key)
                .or_default()
                .extend(start..start + *count as i64);
            start += *count as i64;
        }
        // A lone split (only t10k- files, only train/) counts as unsplit.
        if by_name.len() <= 1 {
            by_name.clear();
        }
        let take =
            |n: SplitName, m: &mut BTreeMap<u8, Vec<i64>>| m.remove(&(n as u8)).unwrap_or_default();
        let mut train = take(SplitName::Train, &mut by_name);
        let val = take(SplitName::Val, &mut by_name);
        let test = take(SplitName::Test, &mut by_name);
        if parts.is_empty() || (train.is_empty() && val.is_empty() && test.is_empty()) {
            train = (0..labels.len() as i64).collect();
        }
        if test.is_empty() {
            let (rest, test) = holdout_test(&train, labels, TEST_FRACTION, TEST_SEED);
            return Splits {
                train: rest,
                val,
                test,
                test_seed: Some(TEST_SEED),
            };
        }
        Splits {
            train,
            val,
            test,
            test_seed: None,
        }
    }
}

/// Splits `pool` into (kept, held out), holding out `fraction` of each class (at least one sample
/// of every class with two or more), shuffled with `seed`. Both halves come back sorted.
pub fn holdout_test(
    pool: &[i64],
    labels: &[i64],
    fraction: f64,
    seed: u64,
) -> (Vec<i64>, Vec<i64>) {
    let mut by_class: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for &i in pool {
        by_class.entry(labels[i as usize]).or_default().push(i);
    }
    let mut rng = Rng::new(seed);
    let (mut kept, mut held) = (Vec::new(), Vec::new());
    for (_, mut members) in by_class {
        rng.shuffle(&mut members);
        let k = ((members.len() as f64 * fraction).round() as usize)
            .max(usize::from(members.len() >= 2));
        held.extend_from_slice(&members[..k]);
        kept.extend_from_slice(&members[k..]);
    }
    kept.sort_unstable();
    held.sort_unstable();
    (kept, held)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsplit_data_gets_a_stratified_15_percent_test_split() {
        let labels: Vec<i64> = (0..1000).map(|i| i64::from(i % 10 == 0)).collect(); // 10% ones
        let s = Splits::from_parts(&[], &labels);
        assert_eq!(s.test.len(), 150);
        assert_eq!(s.train.len(), 850);
        assert_eq!(
            s.test.iter().filter(|&&i| labels[i as usize] == 1).count(),
            15
        );
        assert_eq!(s.test_seed, Some(TEST_SEED));
        assert!(s.train.iter().all(|i| !s.test.contains(i)));
    }

    #[test]
    fn given_splits_are_kept_and_a_lone_split_is_unsplit() {
        let labels = vec![0i64; 30];
        let s = Splits::from_parts(&[(SplitName::Train, 20), (SplitName::Test, 10)], &labels);
        assert_eq!(s.train, (0..20).collect::<Vec<_>>());
        assert_eq!(s.test, (20..30).collect::<Vec<_>>());
        assert_eq!(s.test_seed, None);
        let lone = Splits::from_parts(&[(SplitName::Test, 30)], &labels);
        assert_eq!(lone.train.len() + lone.test.len(), 30);
        assert_eq!(lone.test.len(), 5); // round(30 * 0.15) = 4.5 -> 5
    }
}
