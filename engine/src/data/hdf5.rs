//! HDF5 (`.h5`/`.hdf5`) files holding an image dataset and a target dataset, read with the
//! pure-Rust `hdf5-reader` (no libhdf5). Datasets are named by their path from the root group
//! (`images`, `train/x`, ...) and paired as `.npz` members are (see `arrays`). A dataset's shape
//! passes the value bound before its buffer is allocated.
use super::arrays::{self, Array};
use super::limits::{product, Tally};
use super::{DataError, ImportLimits, ImportOptions, Raw};
use hdf5_reader::group::Group;
use hdf5_reader::{Datatype, H5Type, Hdf5File, OpenOptions, DEFAULT_MAX_CHUNK_BYTES};
use std::path::Path;

/// Every dataset path below `group`, depth first.
fn dataset_paths(
    group: &Group,
    prefix: &str,
    out: &mut Vec<String>,
    depth: usize,
) -> Result<(), String> {
    if depth > 16 {
        return Err(format!("groups nested deeper than 16 at '{prefix}'"));
    }
    let (groups, datasets) = group.members().map_err(|e| e.to_string())?;
    for d in datasets {
        out.push(format!("{prefix}{}", d.name()));
    }
    for g in groups {
        let sub = format!("{prefix}{}/", g.name());
        dataset_paths(&g, &sub, out, depth + 1)?;
    }
    Ok(())
}

fn values<T: H5Type + Default + Copy>(
    d: &hdf5_reader::Dataset,
    len: usize,
    to_f32: fn(T) -> f32,
) -> Result<Vec<f32>, String> {
    let mut buf = vec![T::default(); len];
    d.read_into(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf.into_iter().map(to_f32).collect())
}

/// Reads one dataset after its shape has passed the value bound (counted in `tally`).
fn read_dataset(
    path: &Path,
    file: &Hdf5File,
    name: &str,
    tally: &mut Tally,
) -> Result<Array, DataError> {
    let fail = |m: String| DataError::format(path, m);
    let d = file
        .dataset(name)
        .map_err(|e| fail(format!("{name}: {e}")))?;
    let what = format!("dataset '{name}' of shape {:?}", d.shape());
    let numel = product(d.shape());
    tally.add(path, numel, || what.clone())?;
    let shape: Option<Vec<i64>> = d.shape().iter().map(|&s| i64::try_from(s).ok()).collect();
    let (Some(shape), Some(len)) = (shape, numel.and_then(|n| usize::try_from(n).ok())) else {
        return Err(fail(format!(
            "{what}: more values than this machine addresses"
        )));
    };
    let values = match d.dtype() {
        Datatype::FixedPoint { size, signed, .. } => match (size, signed) {
            (1, false) => values::<u8>(&d, len, f32::from),
            (1, true) => values::<i8>(&d, len, f32::from),
            (2, false) => values::<u16>(&d, len, f32::from),
            (2, true) => values::<i16>(&d, len, f32::from),
            (4, false) => values::<u32>(&d, len, |v| v as f32),
            (4, true) => values::<i32>(&d, len, |v| v as f32),
            (8, false) => values::<u64>(&d, len, |v| v as f32),
            (8, true) => values::<i64>(&d, len, |v| v as f32),
            _ => Err(format!("{size}-byte integers are not supported")),
        },
        Datatype::FloatingPoint { size: 4, .. } => values::<f32>(&d, len, |v| v),
        Datatype::FloatingPoint { size: 8, .. } => values::<f64>(&d, len, |v| v as f32),
        other => Err(format!(
            "unsupported element type {other:?}; use integers or floats"
        )),
    }
    .map_err(|e| fail(format!("dataset '{name}': {e}")))?;
    Ok(Array { shape, values })
}

/// The reader's own bounds, from the import's: no read or decoded chunk larger than the values
/// the import may decode, as float64.
fn open_options(limits: &ImportLimits) -> OpenOptions {
    let bytes = usize::try_from(limits.max_decoded_values.saturating_mul(8)).unwrap_or(usize::MAX);
    OpenOptions {
        max_read_bytes: bytes,
        max_chunk_bytes: bytes.clamp(1 << 20, DEFAULT_MAX_CHUNK_BYTES),
        ..OpenOptions::default()
    }
}

pub(crate) fn read(path: &Path, opts: &ImportOptions) -> Result<Raw, DataError> {
    let file = Hdf5File::open_with_options(path, open_options(&opts.limits))
        .map_err(|e| DataError::format(path, format!("not a readable HDF5 file: {e}")))?;
    let mut names = vec![];
    let root = file
        .root_group()
        .map_err(|e| DataError::format(path, e.to_string()))?;
    dataset_paths(&root, "", &mut names, 0).map_err(|e| DataError::format(path, e))?;
    let mut tally = Tally::new(&opts.limits);
    arrays::pair(path, &names, opts, |name| {
        read_dataset(path, &file, name, &mut tally)
    })
}
