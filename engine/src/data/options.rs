//! What a user can tell an import beyond the path: array names, a targets file, the target
//! column, the image shape, the task, and preprocessing (part of the dataset's identity).
use super::Task;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Image array name in an `.npz`/HDF5 file.
    pub x: Option<String>,
    /// Target array name in an `.npz`/HDF5 file.
    pub y: Option<String>,
    /// Targets in a file of their own (text matrices).
    pub y_file: Option<PathBuf>,
    /// Target column by name or index, or `all`; default: the last column.
    pub target: Option<String>,
    /// (C, H, W) of flattened pixel rows.
    pub shape: Option<(i64, i64, i64)>,
    /// Overrides the inferred task.
    pub task: Option<Task>,
    /// Centre crop (H, W), applied before resizing.
    pub crop: Option<(i64, i64)>,
    /// Resize to (H, W).
    pub resize: Option<(i64, i64)>,
    /// Which flips and quarter turns leave the images' meaning unchanged: what training may
    /// augment with. Not part of the dataset's identity (it can be changed after the import).
    #[serde(default)]
    pub symmetry: Symmetry,
    /// Bound on the bytes an archive may unpack to (default 8 GiB), checked while streaming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unpacked: Option<u64>,
    /// Bounds on what the import decodes and keeps, checked before allocating.
    #[serde(skip)]
    pub limits: ImportLimits,
}

/// Bounds an import checks before it allocates, so a small file that decodes to gigabytes (a
/// zip of huge blank PNGs, an `.npy` header claiming 2^62 rows, `resize=100000`) is refused with
/// the bound in the message instead of exhausting memory. Not part of the dataset's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest single image, height x width pixels, read from each file's header before decoding.
    pub max_image_pixels: u64,
    /// Most values (samples x channels x height x width) an import holds at once. Image files
    /// are decoded, cropped and resized one at a time, so for them this counts what is kept
    /// (after crop and resize); arrays (`.npy`, IDX, HDF5, text) are decoded whole, so for them
    /// it counts the source's values.
    pub max_decoded_values: u64,
    /// Largest dataset after crop and resize, as float32 bytes (N x C x H x W x 4): what a run
    /// holds in memory.
    pub max_dataset_bytes: u64,
    /// The command whose flags raise these bounds, named in refusals ("dartboard pipeline").
    pub command: &'static str,
}

/// The command an import's refusals name when nobody says otherwise.
pub const IMPORT_COMMAND: &str = "dartboard data import";

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            // 8192 x 8192: a large microscope tile.
            max_image_pixels: 1 << 26,
            // 1 Gi values: 4 GiB as float32.
            max_decoded_values: 1 << 30,
            // 4 GiB.
            max_dataset_bytes: 4 << 30,
            command: IMPORT_COMMAND,
        }
    }
}

/// The transformations under which an image keeps its label (its target), so that training may
/// apply them at random. None by default: a flipped digit or a mirrored chest X-ray is another
/// image, while a micrograph or a galaxy has no preferred side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Symmetry {
    #[default]
    None,
    /// Horizontal mirror images.
    Flip,
    /// Quarter turns (square images).
    Rot90,
    /// Quarter turns and mirror images: the eight symmetries of the square.
    Dihedral,
}

impl Symmetry {
    pub const ALL: [Symmetry; 4] = [
        Symmetry::None,
        Symmetry::Flip,
        Symmetry::Rot90,
        Symmetry::Dihedral,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Symmetry::None => "none",
            Symmetry::Flip => "flip",
            Symmetry::Rot90 => "rot90",
            Symmetry::Dihedral => "dihedral",
        }
    }

    /// Whether training may mirror and turn the images: (horizontal flips, quarter turns).
    pub fn moves(self) -> (bool, bool) {
        match self {
            Symmetry::None => (false, false),
            Symmetry::Flip => (true, false),
            Symmetry::Rot90 => (false, true),
            Symmetry::Dihedral => (true, true),
        }
    }
}

pub fn parse_symmetry(text: &str) -> Result<Symmetry, String> {
    Symmetry::ALL
        .into_iter()
        .find(|s| s.name() == text)
        .ok_or_else(|| format!("'{text}' is not a symmetry: use none, flip, rot90 or dihedral"))
}

/// Parses `H` or `H,W` (a square when one number is given).
pub fn parse_size(text: &str) -> Result<(i64, i64), String> {
    let nums: Result<Vec<i64>, _> = text.split(',').map(|s| s.trim().parse::<i64>()).collect();
    match nums.as_deref() {
        Ok([h]) if *h > 0 => Ok((*h, *h)),
        Ok([h, w]) if *h > 0 && *w > 0 => Ok((*h, *w)),
        _ => Err(format!(
            "'{text}' is not a size: use H or H,W with positive integers"
        )),
    }
}

/// Parses `C,H,W`.
pub fn parse_shape(text: &str) -> Result<(i64, i64, i64), String> {
    let nums: Result<Vec<i64>, _> = text.split(',').map(|s| s.trim().parse::<i64>()).collect();
    match nums.as_deref() {
        Ok([c, h, w]) if *c > 0 && *h > 0 && *w > 0 => Ok((*c, *h, *w)),
        _ => Err(format!(
            "'{text}' is not a shape: use C,H,W with positive integers"
        )),
    }
}

pub fn parse_task(text: &str) -> Result<Task, String> {
    match text {
        "classification" => Ok(Task::Classification),
        "regression" => Ok(Task::Regression),
        _ => Err(format!(
            "'{text}' is not a task: use classification or regression"
        )),
    }
}
