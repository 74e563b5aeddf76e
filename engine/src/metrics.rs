//! Metrics a scientist reads: accuracy, balanced accuracy, the confusion matrix and (binary
//! tasks) ROC AUC for classification; RMSE, MAE and R^2 in original units for regression.
use serde::{Deserialize, Serialize};

/// Per-class recall averaged over the classes present in `truth` (sklearn
/// balanced_accuracy_score).
pub fn balanced_accuracy(pred: &[i64], truth: &[i64], classes: usize) -> f64 {
    let mut hits = vec![0usize; classes];
    let mut counts = vec![0usize; classes];
    for (&p, &t) in pred.iter().zip(truth) {
        if let Some(c) = counts.get_mut(t as usize) {
            *c += 1;
            hits[t as usize] += usize::from(p == t);
        }
    }
    let present: Vec<f64> = hits
        .iter()
        .zip(&counts)
        .filter(|(_, &c)| c > 0)
        .map(|(&h, &c)| h as f64 / c as f64)
        .collect();
    if present.is_empty() {
        0.0
    } else {
        present.iter().sum::<f64>() / present.len() as f64
    }
}

pub fn accuracy(pred: &[i64], truth: &[i64]) -> f64 {
    if truth.is_empty() {
        return 0.0;
    }
    pred.iter().zip(truth).filter(|(p, t)| p == t).count() as f64 / truth.len() as f64
}

/// Counts by (true class, predicted class): row t, column p (sklearn confusion_matrix).
pub fn confusion(pred: &[i64], truth: &[i64], classes: usize) -> Vec<Vec<u64>> {
    let mut m = vec![vec![0u64; classes]; classes];
    for (&p, &t) in pred.iter().zip(truth) {
        if let Some(cell) = m
            .get_mut(t as usize)
            .and_then(|row| row.get_mut(p as usize))
        {
            *cell += 1;
        }
    }
    m
}

/// Area under the ROC curve of `scores` for the positive samples: the Mann-Whitney statistic,
/// ties counted half (sklearn roc_auc_score). NaN without both classes.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Ranks from 1, tied scores sharing their mean rank.
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = mean;
        }
        i = j + 1;
    }
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|(_, &p)| p)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    pub rmse: f64,
    pub mae: f64,
    pub r2: f64,
}

/// Over all targets pooled; `pred` and `truth` are row-major [N, R] in original units. R^2 is
/// the mean over targets of 1 - SS_res / SS_tot (sklearn r2_score, uniform average).
pub fn regression(pred: &[f64], truth: &[f64], targets: usize) -> RegressionMetrics {
    let n = truth.len().max(1) as f64;
    let rmse = (pred
        .iter()
        .zip(truth)
        .map(|(p, t)| (p - t).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    let mae = pred
        .iter()
        .zip(truth)
        .map(|(p, t)| (p - t).abs())
        .sum::<f64>()
        / n;
    let r = targets.max(1);
    let rows = truth.len() / r;
    let mut r2 = 0.0;
    for j in 0..r {
        let col = |v: &[f64]| (0..rows).map(|i| v[i * r + j]).collect::<Vec<_>>();
        let (p, t) = (col(pred), col(truth));
        let mean = t.iter().sum::<f64>() / rows.max(1) as f64;
        let ss_tot: f64 = t.iter().map(|v| (v - mean).powi(2)).sum();
        let ss_res: f64 = p.iter().zip(&t).map(|(a, b)| (a - b).powi(2)).sum();
        r2 += if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else {
            0.0
        };
    }
    RegressionMetrics {
        rmse,
        mae,
        r2: r2 / r as f64,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn roc_auc_and_confusion_match_sklearn() {
        // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        let auc = super::roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]);
        assert!((auc - 0.75).abs() < 1e-12, "{auc}");
        // A tie between a positive and a negative counts half: roc_auc_score([0, 1], [0.5, 0.5]) == 0.5
        assert_eq!(super::roc_auc(&[0.5, 0.5], &[false, true]), 0.5);
        assert!(super::roc_auc(&[0.5], &[true]).is_nan());
        // sklearn.metrics.confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
        // == [[2, 0, 0], [0, 0, 1], [1, 0, 2]] (rows: truth)
        let m = super::confusion(&[0, 0, 2, 2, 0, 2], &[2, 0, 2, 2, 0, 1], 3);
        assert_eq!(m, vec![vec![2, 0, 0], vec![0, 0, 1], vec![1, 0, 2]]);
    }

    use super::*;

    // Reference values from scikit-learn 1.9:
    // balanced_accuracy_score(y_true=[0,0,0,1], y_pred=[0,0,1,1]) = (2/3 + 1/1) / 2 = 0.8333,
    // accuracy_score = 0.75; r2_score([3,-0.5,2,7], [2.5,0,2,8]) = 0.9486081370449679 (sklearn docs).
    #[test]
    fn classification_metrics() {
        let truth = [0, 0, 0, 1];
        let pred = [0, 0, 1, 1];
        assert!((balanced_accuracy(&pred, &truth, 2) - (2.0 / 3.0 + 1.0) / 2.0).abs() < 1e-12);
        assert_eq!(accuracy(&pred, &truth), 0.75);
    }

    #[test]
    fn regression_metrics_match_sklearn() {
        let truth = [3.0, -0.5, 2.0, 7.0];
        let pred = [2.5, 0.0, 2.0, 8.0];
        let m = regression(&pred, &truth, 1);
        assert!((m.r2 - 0.948_608_137_044_967_9).abs() < 1e-12);
        assert!((m.mae - 0.5).abs() < 1e-12);
        assert!((m.rmse - 0.375f64.sqrt()).abs() < 1e-12);
    }
}
