//! What an import tells the user: shape, task, classes or target statistics, splits, channel
//! statistics, exact duplicates, warnings, and a content hash that is the same for the same
//! data read from another format.
use super::{Dataset, ImportOptions, Symmetry, Task};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use tch::{Kind, Tensor};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassCount {
    pub name: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetStats {
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub sd: f64,
    /// Counts in `HISTOGRAM_BINS` equal-width bins from min to max (the last bin includes max).
    #[serde(default)]
    pub histogram: Vec<usize>,
}

pub const HISTOGRAM_BINS: usize = 20;

/// Counts of `values` in `bins` equal-width bins spanning [min, max]; NaNs are left out.
pub fn histogram(values: &[f64], min: f64, max: f64, bins: usize) -> Vec<usize> {
    let bins = bins.max(1);
    let mut counts = vec![0; bins];
    let width = (max - min) / bins as f64;
    for v in values.iter().filter(|v| v.is_finite()) {
        let i = if width > 0.0 {
            ((v - min) / width) as usize
        } else {
            0
        };
        counts[i.min(bins - 1)] += 1;
    }
    counts
}

/// What the import did to the images: a centre crop, then a resize.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    pub crop: Option<(i64, i64)>,
    pub resize: Option<(i64, i64)>,
    /// The (height, width) every source image had before them; None when the sources differed
    /// in size or nothing was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_size: Option<(i64, i64)>,
    /// Resized 8-bit images were rounded back to 0-255.
    #[serde(default)]
    pub rounded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub name: String,
    pub task: Task,
    pub n: usize,
    pub channels: i64,
    pub height: i64,
    pub width: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<ClassCount>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<TargetStats>>,
    /// Samples per split (`train`, `val`, `test`).
    pub splits: BTreeMap<String, usize>,
    /// Seed of the held-out test split when the source had none.
    pub test_seed: Option<u64>,
    /// Per-channel statistics of the train and validation splits, in stored units.
    pub channel_mean: Vec<f64>,
    pub channel_sd: Vec<f64>,
    /// Images that exactly repeat an earlier one.
    pub duplicates: usize,
    pub warnings: Vec<String>,
    /// 8 when every value is an integer in 0-255 (stored as uint8), else 32 (float32).
    pub bit_depth: u8,
    pub preprocessing: Preprocessing,
    /// What training may flip and turn the images by (not hashed: it can be changed).
    #[serde(default)]
    pub symmetry: Symmetry,
    /// sha256 of the decoded images, targets and preprocessing.
    pub sha256: String,
}

/// Samples below this count get a warning.
const TINY: usize = 500;

fn le_bytes(t: &Tensor, kind: Kind) -> Vec<u8> {
    let t = t.to_kind(kind).contiguous().flatten(0, -1);
    let n = t.numel();
    let mut bytes = vec![0u8; n * kind.elt_size_in_bytes()];
    t.copy_data_u8(&mut bytes, n);
    bytes
}

/// The kind images are stored in: uint8 for 8-bit data, float32 otherwise.
pub fn storage_kind(images: &Tensor) -> Kind {
    if super::preprocess::is_8bit(images) {
        Kind::Uint8
    } else {
        Kind::Float
    }
}

pub fn summarize(d: &Dataset, opts: &ImportOptions) -> Summary {
    let (c, h, w) = d.image_shape();
    let kind = storage_kind(&d.images);
    let preprocessing = Preprocessing {
        crop: opts.crop,
        resize: opts.resize,
        ..d.preprocessing.clone()
    };
    let mut hasher = Sha256::new();
    hasher.update(
        format!(
            "dartboard-dataset-v1 {:?} {} {c} {h} {w} {:?}",
            d.task,
            d.len(),
            kind
        )
        .as_bytes(),
    );
    // Images in chunks: hashed and checked for exact repeats without one big copy.
    let per_image = (c * h * w) as usize * kind.elt_size_in_bytes();
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let n = d.len() as i64;
    for start in (0..n).step_by(4096) {
        let bytes = le_bytes(&d.images.narrow(0, start, (n - start).min(4096)), kind);
        hasher.update(&bytes);
        for image in bytes.chunks(per_image.max(1)) {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            image.hash(&mut h);
            *seen.entry(h.finish()).or_default() += 1;
        }
    }
    let dup: usize = seen.values().map(|c| c - 1).sum();
    hasher.update(d.names.join("\u{1f}").as_bytes());
    let target_kind = if d.task == Task::Classification {
        Kind::Int64
    } else {
        Kind::Float
    };
    hasher.update(le_bytes(&d.targets, target_kind));
    hasher.update(
        // Crop and resize only, as the hash has always covered them.
        serde_json::to_string(&serde_json::json!({"crop": opts.crop, "resize": opts.resize}))
            .unwrap_or_default()
            .as_bytes(),
    );
    let sha256: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let mut warnings = d.warnings.clone();
    let (classes, targets) = match d.task {
        Task::Classification => {
            let counts =
                Vec::<i64>::try_from(d.targets.bincount(None::<Tensor>, d.names.len() as i64))
                    .unwrap_or_default();
            let classes: Vec<ClassCount> = d
                .names
                .iter()
                .zip(&counts)
                .map(|(n, &c)| ClassCount {
                    name: n.clone(),
                    count: c as usize,
                })
                .collect();
            let (max, min) = (
                classes.iter().max_by_key(|c| c.count),
                classes.iter().min_by_key(|c| c.count),
            );
            if let (Some(max), Some(min)) = (max, min) {
                if max.count > 3 * min.count {
                    warnings.push(format!(
                        "classes are imbalanced ('{}' has {}, '{}' has {}, over 3x): judge runs by balanced accuracy",
                        max.name, max.count, min.name, min.count
                    ));
                }
            }
            (Some(classes), None)
        }
        Task::Regression => {
            let y = d.targets.to_kind(Kind::Double);
            let col = |t: Tensor| Vec::<f64>::try_from(t).unwrap_or_default();
            let dims = [0i64].as_slice();
            let (min, max) = (col(y.amin(dims, false)), col(y.amax(dims, false)));
            let (mean, sd) = (
                col(y.mean_dim(dims, false, Kind::Double)),
                col(y.std_dim(dims, false, false)),
            );
            let stats = d.names.iter().enumerate().map(|(j, n)| TargetStats {
                name: n.clone(),
                min: min[j],
                max: max[j],
                mean: mean[j],
                sd: sd[j],
                histogram: histogram(&col(y.select(1, j as i64)), min[j], max[j], HISTOGRAM_BINS),
            });
            (None, Some(stats.collect()))
        }
    };
    if d.len() < TINY {
        warnings.push(format!(
            "only {} samples: searches will overfit and vary between seeds",
            d.len()
        ));
    }
    if dup > 0 {
        warnings.push(format!("{dup} images exactly repeat another one"));
    }
    let fit: Vec<i64> = d
        .splits
        .train
        .iter()
        .chain(&d.splits.val)
        .copied()
        .collect();
    let stats = d.stats(&fit);
    let mut splits = BTreeMap::new();
    for (name, idx) in [
        ("train", &d.splits.train),
        ("val", &d.splits.val),
        ("test", &d.splits.test),
    ] {
        if !idx.is_empty() {
            splits.insert(name.to_string(), idx.len());
        }
    }
    Summary {
        name: d.name.clone(),
        task: d.task,
        n: d.len(),
        channels: c,
        height: h,
        width: w,
        classes,
        targets,
        splits,
        test_seed: d.splits.test_seed,
        channel_mean: stats.channel_mean,
        channel_sd: stats.channel_sd,
        duplicates: dup,
        warnings,
        bit_depth: if kind == Kind::Uint8 { 8 } else { 32 },
        preprocessing,
        symmetry: if opts.symmetry == Symmetry::None {
            d.symmetry
        } else {
            opts.symmetry
        },
        sha256,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn histogram_bins_span_min_to_max() {
        // numpy.histogram([0, 1, 1, 2, 4, nan], bins=4, range=(0, 4)) -> [1, 2, 1, 1] (NaN dropped).
        let v = [0.0, 1.0, 1.0, 2.0, 4.0, f64::NAN];
        assert_eq!(super::histogram(&v, 0.0, 4.0, 4), vec![1, 2, 1, 1]);
        // A constant target falls in one bin.
        assert_eq!(super::histogram(&[3.0, 3.0], 3.0, 3.0, 4), vec![2, 0, 0, 0]);
    }
}
