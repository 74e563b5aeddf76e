//! IDX files as MNIST, Fashion-MNIST and notMNIST ship them: `*-images-idx3-ubyte[.gz]` with
//! `*-labels-idx1-ubyte[.gz]`; the `train-` and `t10k-` prefixes are the train and test splits.
//! Headers are checked against the import's bounds before the data is read.
use super::limits::{product, Tally};
use super::{DataError, ImportLimits, Raw, SplitName};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// The file's bytes as a stream, decompressed when it ends in `.gz`.
fn open(path: &Path) -> Result<Box<dyn Read>, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(GzDecoder::new(file))
    } else {
        Box::new(std::io::BufReader::new(file))
    })
}

/// Reads one IDX file of unsigned bytes with `expect_dims` dimensions; returns (dims, data).
/// The header's sizes pass the bounds (per image for 3 dimensions, and the value total in
/// `tally`) before the data is read, and then exactly that many bytes must follow.
fn read(
    path: &Path,
    expect_dims: usize,
    limits: &ImportLimits,
    tally: &mut Tally,
) -> Result<(Vec<i64>, Vec<u8>), DataError> {
    let mut r = open(path)?;
    let io = |e: std::io::Error| DataError::io(path, e);
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)
        .map_err(|_| DataError::format(path, "not an IDX file (bad magic number)"))?;
    if magic[0] != 0 || magic[1] != 0 {
        return Err(DataError::format(
            path,
            "not an IDX file (bad magic number)",
        ));
    }
    if magic[2] != 0x08 {
        return Err(DataError::format(
            path,
            format!("IDX element type 0x{:02x} is not unsigned bytes", magic[2]),
        ));
    }
    let ndim = usize::from(magic[3]);
    if ndim != expect_dims {
        return Err(DataError::format(
            path,
            format!("expected {expect_dims} dimensions, found {ndim}"),
        ));
    }
    let mut header = vec![0u8; 4 * ndim];
    r.read_exact(&mut header)
        .map_err(|_| DataError::format(path, "truncated IDX header"))?;
    let dims: Vec<u64> = header
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    if let [_, h, w] = dims[..] {
        limits.check_image(path, "each image", h, w)?;
    }
    let numel = product(&dims);
    let shape: Vec<String> = dims.iter().map(u64::to_string).collect();
    tally.add(path, numel, || format!("the header's {}", shape.join("x")))?;
    // Within the value bound, so within u64 and (on 64-bit machines) usize.
    let numel = numel.unwrap_or(0);
    let mut data = Vec::with_capacity(usize::try_from(numel).unwrap_or(0));
    r.take(numel.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() as u64 != numel {
        let held = if data.len() as u64 > numel {
            "more".to_string()
        } else {
            data.len().to_string()
        };
        return Err(DataError::format(
            path,
            format!("header says {numel} values, file holds {held}"),
        ));
    }
    let dims = dims.iter().map(|&d| d as i64).collect();
    Ok((dims, data))
}

fn find(dir: &Path, prefix: &str, kind: &str) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            n.starts_with(prefix) && n.contains(kind)
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// One images file and its labels file: (images [N, 1, H, W], labels [N, 1], N).
fn read_split(
    img_path: &Path,
    lbl_path: &Path,
    limits: &ImportLimits,
    tally: &mut Tally,
) -> Result<(Tensor, Tensor, usize), DataError> {
    let (dims, pixels) = read(img_path, 3, limits, tally)?;
    let (ldims, lbls) = read(lbl_path, 1, limits, tally)?;
    if ldims[0] != dims[0] {
        return Err(DataError::format(
            lbl_path,
            format!("{} labels for {} images", ldims[0], dims[0]),
        ));
    }
    let images = Tensor::from_slice(&pixels)
        .view([dims[0], 1, dims[1], dims[2]])
        .to_kind(Kind::Float);
    let labels = Tensor::from_slice(&lbls)
        .to_kind(Kind::Double)
        .view([-1, 1]);
    Ok((images, labels, dims[0] as usize))
}

/// An images file with its labels file named apart (`--y-file`, an upload's second file),
/// wherever each lies: one split, the test part held out at import.
pub(crate) fn read_pair(
    img_path: &Path,
    lbl_path: &Path,
    limits: &ImportLimits,
) -> Result<Raw, DataError> {
    let mut tally = Tally::new(limits);
    let (images, labels, _) = read_split(img_path, lbl_path, limits, &mut tally)?;
    Raw::join(
        img_path,
        &[images],
        &[labels],
        vec!["label".to_string()],
        vec![],
    )
}

pub(crate) fn read_dir(dir: &Path, limits: &ImportLimits) -> Result<Raw, DataError> {
    let mut tally = Tally::new(limits);
    let mut images = Vec::new();
    let mut labels = Vec::new();
    let mut parts = Vec::new();
    for (prefix, split) in [("train", SplitName::Train), ("t10k", SplitName::Test)] {
        let Some(img_path) = find(dir, prefix, "images-idx3-ubyte") else {
            continue;
        };
        let lbl_path = find(dir, prefix, "labels-idx1-ubyte").ok_or_else(|| {
            DataError::format(
                &img_path,
                format!("no matching {prefix}-labels-idx1-ubyte[.gz] beside it (or name the labels file as the targets file)"),
            )
        })?;
        let (x, y, n) = read_split(&img_path, &lbl_path, limits, &mut tally)?;
        images.push(x);
        labels.push(y);
        parts.push((split, n));
    }
    if images.is_empty() {
        return Err(DataError::format(
            dir,
            "no *-images-idx3-ubyte[.gz] file (train- or t10k-) in this folder",
        ));
    }
    Raw::join(dir, &images, &labels, vec!["label".to_string()], parts)
}
