//! `test_scores.json` in a trained network's run folder: its score on each test image, in the
//! test split's order, so that two networks can be compared image by image.
use crate::data::{Dataset, Stats, Task};
use crate::runlog::write_json;
use crate::search::SearchError;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Device, Kind, Tensor};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestScores {
    /// `accuracy` (the mean of the scores) or `rmse` (the square root of their mean).
    pub metric: String,
    /// The test images' indices in the dataset, in the order of `scores`.
    pub indices: Vec<i64>,
    /// Classification: 1 where the predicted class was right, else 0. Regression: the squared
    /// error averaged over the targets, in the targets' original units.
    pub scores: Vec<f64>,
}

impl TestScores {
    pub const FILE: &'static str = "test_scores.json";

    /// The scores of outputs `out` against targets `y` on `data`'s test split (in its order).
    pub fn of(data: &Dataset, out: &Tensor, y: &Tensor, stats: &Stats) -> TestScores {
        let scores = match data.task {
            Task::Classification => {
                let right = out.argmax(-1, false).eq_tensor(&y.to_device(Device::Cpu));
                Vec::<f64>::try_from(right.to_kind(Kind::Double)).unwrap_or_default()
            }
            Task::Regression => {
                let r = stats.target_mean.len() as i64;
                let mean = Tensor::from_slice(&stats.target_mean).view([1, r]);
                let sd = Tensor::from_slice(&stats.target_sd).view([1, r]);
                let orig =
                    |t: &Tensor| t.to_device(Device::Cpu).to_kind(Kind::Double) * &sd + &mean;
                let err = (orig(out) - orig(y))
                    .square()
                    .mean_dim(1, false, Kind::Double);
                Vec::<f64>::try_from(err).unwrap_or_default()
            }
        };
        TestScores {
            metric: crate::scoring::metric_name(data.task).into(),
            indices: data.splits.test.clone(),
            scores,
        }
    }

    pub fn write(&self, dir: &Path) -> Result<(), SearchError> {
        write_json(&dir.join(Self::FILE), self)
    }

    /// The scores a run folder holds (none for runs trained before they were kept).
    pub fn read(dir: &Path) -> Option<TestScores> {
        let text = std::fs::read_to_string(dir.join(Self::FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The test metric over the images at `picks` (positions in `scores`, repeats allowed).
    pub fn metric_over(&self, picks: impl Iterator<Item = usize>) -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        for k in picks {
            sum += self.scores[k];
            n += 1;
        }
        reduce(&self.metric, sum / n.max(1) as f64)
    }

    /// The test metric over every image (equal to the run's `test_metric`).
    pub fn metric(&self) -> f64 {
        self.metric_over(0..self.scores.len())
    }
}

/// The metric from the mean of per-image scores.
pub fn reduce(metric: &str, mean: f64) -> f64 {
    if metric == "rmse" {
        mean.sqrt()
    } else {
        mean
    }
}
