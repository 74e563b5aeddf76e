//! Datasets: images as stored (float32 [N, C, H, W] in their original value scale), targets,
//! splits, and the statistics training normalises with. Readers for each file format live in
//! their own modules; `load` picks one from the path.
pub mod about;
mod archive;
mod arrays;
mod cells;
mod csv;
mod decode;
mod hdf5;
mod idx;
mod images;
mod labels;
mod limits;
mod npy;
mod options;
mod origin;
mod pool;
mod preprocess;
pub mod samples;
mod split;
pub mod store;
pub mod summary;
mod targets;
mod text;

pub use options::{
    parse_shape, parse_size, parse_symmetry, parse_task, ImportLimits, ImportOptions, Symmetry,
};
use origin::Origin;
pub use split::{holdout_test, Splits, TEST_FRACTION, TEST_SEED};
pub use summary::Preprocessing;
use targets::RawTargets;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tch::{Device, Kind, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Classification,
    Regression,
}

impl Task {
    /// Whether metric `a` beats `b`: higher accuracy, lower RMSE.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Task::Classification => a > b,
            Task::Regression => a < b,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error(
        "{path}: not a format Dartboard reads (expected images in a folder, .zip or .tar.gz; IDX files; .npz; a .npy with a targets file; HDF5; .csv[.gz]; or a text matrix with a targets file)"
    )]
    Unknown { path: PathBuf },
}

impl DataError {
    pub fn format(path: &Path, message: impl Into<String>) -> Self {
        DataError::Format {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Images and targets for every sample, with the splits.
#[derive(Debug)]
pub struct Dataset {
    pub name: String,
    pub task: Task,
    /// [N, C, H, W], values as stored (0-255 for 8-bit images): float32 as read, uint8 when
    /// loaded from the store.
    pub images: Tensor,
    /// int64 [N] class indices, or float32 [N, R] regression targets.
    pub targets: Tensor,
    /// Class names (classification) or target names (regression).
    pub names: Vec<String>,
    pub splits: Splits,
    /// What the import noticed but did not refuse.
    pub warnings: Vec<String>,
    /// The crop and resize the import applied, for a model that takes the source images.
    pub preprocessing: Preprocessing,
    /// What training may flip and turn the images by.
    pub symmetry: Symmetry,
}

/// Per-channel image statistics and, for regression, per-target statistics of the train split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub channel_mean: Vec<f64>,
    pub channel_sd: Vec<f64>,
    pub target_mean: Vec<f64>,
    pub target_sd: Vec<f64>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.images.size()[0] as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (channels, height, width).
    pub fn image_shape(&self) -> (i64, i64, i64) {
        let s = self.images.size();
        (s[1], s[2], s[3])
    }

    /// Number of network outputs: classes, or regression targets.
    pub fn outputs(&self) -> i64 {
        self.names.len() as i64
    }

    /// Statistics of the given samples (normally the train split); a zero sd becomes 1.
    pub fn stats(&self, indices: &[i64]) -> Stats {
        let idx = Tensor::from_slice(indices);
        let per_channel = |t: Tensor| Vec::<f64>::try_from(t).unwrap_or_default();
        // Sums in chunks, so 8-bit images are never widened to float64 all at once.
        let (c, h, w) = self.image_shape();
        let (mut sum, mut sumsq) = (vec![0f64; c as usize], vec![0f64; c as usize]);
        for chunk in indices.chunks(2048) {
            let x = self
                .images
                .index_select(0, &Tensor::from_slice(chunk))
                .to_kind(Kind::Double);
            let dims = [0i64, 2, 3];
            for (acc, t) in [
                (
                    &mut sum,
                    x.sum_dim_intlist(dims.as_slice(), false, Kind::Double),
                ),
                (
                    &mut sumsq,
                    x.square()
                        .sum_dim_intlist(dims.as_slice(), false, Kind::Double),
                ),
            ] {
                for (a, v) in acc.iter_mut().zip(per_channel(t)) {
                    *a += v;
                }
            }
        }
        let count = (indices.len() as i64 * h * w).max(1) as f64;
        let channel_mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
        let channel_sd = sumsq
            .iter()
            .zip(&channel_mean)
            .map(|(q, m)| nonzero((q / count - m * m).max(0.0).sqrt()))
            .collect();
        let (target_mean, target_sd) = match self.task {
            Task::Classification => (vec![], vec![]),
            Task::Regression => {
                let y = self.targets.index_select(0, &idx).to_kind(Kind::Double);
                let sd = per_channel(y.std_dim([0i64].as_slice(), false, false))
                    .into_iter()
                    .map(nonzero)
                    .collect();
                (
                    per_channel(y.mean_dim([0i64].as_slice(), false, Kind::Double)),
                    sd,
                )
            }
        };
        Stats {
            channel_mean,
            channel_sd,
            target_mean,
            target_sd,
        }
    }

    /// Samples `indices`, normalised with `stats` (images per channel, regression targets
    /// standardised), on `device`.
    pub fn batch(&self, indices: &[i64], stats: &Stats, device: Device) -> (Tensor, Tensor) {
        let idx = Tensor::from_slice(indices);
        let c = stats.channel_mean.len() as i64;
        let mean = Tensor::from_slice(&stats.channel_mean)
            .to_kind(Kind::Float)
            .view([1, c, 1, 1]);
        let sd = Tensor::from_slice(&stats.channel_sd)
            .to_kind(Kind::Float)
            .view([1, c, 1, 1]);
        let x = (self.images.index_select(0, &idx).to_kind(Kind::Float) - mean) / sd;
        let y = self.targets.index_select(0, &idx);
        let y = match self.task {
            Task::Classification => y,
            Task::Regression => {
                let r = stats.target_mean.len() as i64;
                let m = Tensor::from_slice(&stats.target_mean)
                    .to_kind(Kind::Float)
                    .view([1, r]);
                let s = Tensor::from_slice(&stats.target_sd)
                    .to_kind(Kind::Float)
                    .view([1, r]);
                (y - m) / s
            }
        };
        (x.to_device(device), y.to_device(device))
    }
}

fn nonzero(sd: f64) -> f64 {
    if sd > 0.0 && sd.is_finite() {
        sd
    } else {
        1.0
    }
}

/// Reads a dataset with default options; see `load_with`.
pub fn load(path: &Path) -> Result<Dataset, DataError> {
    load_with(path, &ImportOptions::default())
}

/// Reads a dataset: an IDX folder (or one of its image files; with `y_file`, that labels file),
/// a folder or archive of images (or of IDX files), a `.npz`, a lone `.npy` with `y_file`
/// targets, an HDF5 file, a `.csv[.gz]`, or a whitespace-separated text matrix (plain or
/// zipped) with `y_file` targets. Without a test
/// split, a stratified (classification) or random (regression) 15% is held out as test
/// (seed `TEST_SEED`).
pub fn load_with(path: &Path, opts: &ImportOptions) -> Result<Dataset, DataError> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let lower = name.to_ascii_lowercase();
    let has_idx = path.is_dir()
        && std::fs::read_dir(path).is_ok_and(|mut d| {
            d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().contains("idx3-ubyte")))
        });
    let raw = if has_idx {
        idx::read_dir(path, &opts.limits)?
    } else if !path.exists() {
        return Err(DataError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        ));
    } else if let (true, Some(labels)) = (lower.contains("idx3-ubyte"), &opts.y_file) {
        idx::read_pair(path, labels, &opts.limits)?
    } else if lower.contains("idx3-ubyte") {
        idx::read_dir(path.parent().unwrap_or(Path::new(".")), &opts.limits)?
    } else if lower.ends_with(".npy") {
        npy::read_with_targets(path, opts)?
    } else if opts.y_file.is_some()
        || lower.ends_with(".txt")
        || lower.ends_with(".txt.zip")
        || lower.ends_with(".txt.gz")
    {
        text::read(path, opts)?
    } else if archive::is_container(path) {
        images::read(path, opts)?
    } else if lower.ends_with(".npz") {
        npy::read_npz(path, opts)?
    } else if lower.ends_with(".h5") || lower.ends_with(".hdf5") {
        hdf5::read(path, opts)?
    } else if lower.ends_with(".csv") || lower.ends_with(".csv.gz") {
        csv::read(path, opts)?
    } else {
        return Err(DataError::Unknown {
            path: path.to_path_buf(),
        });
    };
    raw.into_dataset(name, opts)
}

/// What a reader produces before targets and splits are settled.
#[derive(Debug)]
pub(crate) struct Raw {
    /// float32 [N, C, H, W].
    pub images: Tensor,
    pub targets: RawTargets,
    /// (split name, sample count) in order; empty when the source has no splits.
    pub parts: Vec<(SplitName, usize)>,
    pub path: PathBuf,
    /// Some when crop and resize were already applied (per image, by the image reader), with
    /// the one size all source images had (None when they differed).
    pub preprocessed: Option<Option<(i64, i64)>>,
    /// Where each sample came from, for a message about one.
    pub origin: Origin,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitName {
    Train,
    Val,
    Test,
}

impl Raw {
    /// Concatenates the splits a reader found (targets float64 [N_i, R]); their images must share
    /// one shape.
    fn join(
        path: &Path,
        images: &[Tensor],
        targets: &[Tensor],
        columns: Vec<String>,
        parts: Vec<(SplitName, usize)>,
    ) -> Result<Raw, DataError> {
        let shapes: Vec<Vec<i64>> = images.iter().map(|t| t.size()[1..].to_vec()).collect();
        if shapes.windows(2).any(|w| w[0] != w[1]) {
            return Err(DataError::format(
                path,
                format!("splits differ in image shape: {shapes:?}"),
            ));
        }
        let widths: Vec<i64> = targets.iter().map(|t| t.size()[1]).collect();
        if widths.windows(2).any(|w| w[0] != w[1]) {
            return Err(DataError::format(
                path,
                format!("splits differ in target columns: {widths:?}"),
            ));
        }
        let values = Tensor::cat(targets, 0);
        Ok(Raw {
            images: Tensor::cat(images, 0),
            targets: RawTargets::Numeric { values, columns },
            parts,
            path: path.to_path_buf(),
            preprocessed: None,
            origin: Origin::Order,
            warnings: vec![],
        })
    }

    fn into_dataset(self, name: String, opts: &ImportOptions) -> Result<Dataset, DataError> {
        let n = self.images.size().first().copied().unwrap_or(0);
        if n == 0 {
            return Err(DataError::format(&self.path, "no samples"));
        }
        origin::check_images(&self.path, &self.images, &self.origin)?;
        let n_targets = match &self.targets {
            RawTargets::Numeric { values, .. } => values.size()[0],
            RawTargets::Text(labels) => labels.len() as i64,
        };
        if n_targets != n {
            return Err(DataError::format(
                &self.path,
                format!("{n} images but {n_targets} targets"),
            ));
        }
        let mut resolved = targets::resolve(&self.path, self.targets, opts)?;
        let (images, source_size) = match self.preprocessed {
            Some(size) => (self.images, size),
            None => {
                let s = self.images.size();
                let size = (s[2], s[3]);
                (
                    preprocess::apply(&self.path, self.images, opts)?,
                    Some(size),
                )
            }
        };
        let preprocessing = Preprocessing {
            crop: opts.crop,
            resize: opts.resize,
            source_size: (opts.crop.is_some() || opts.resize.is_some())
                .then_some(source_size)
                .flatten(),
            // Resized 8-bit data was rounded back to 0-255 (preprocess::apply).
            rounded: opts.resize.is_some() && preprocess::is_8bit(&images),
        };
        resolved.warnings.extend(self.warnings);
        let strata: Vec<i64> = match resolved.task {
            Task::Classification => Vec::<i64>::try_from(&resolved.targets).unwrap_or_default(),
            Task::Regression => vec![0; n as usize],
        };
        let splits = Splits::from_parts(&self.parts, &strata);
        Ok(Dataset {
            name,
            task: resolved.task,
            images,
            targets: resolved.targets,
            names: resolved.names,
            splits,
            warnings: resolved.warnings,
            preprocessing,
            symmetry: opts.symmetry,
        })
    }
}
