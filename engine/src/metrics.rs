//! Metrics a scientist reads: accuracy and balanced accuracy for classification; RMSE, MAE and
//! R^2 in original units for regression.
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
