//! IDX files as MNIST, Fashion-MNIST and notMNIST ship them: `*-images-idx3-ubyte[.gz]` with
//! `*-labels-idx1-ubyte[.gz]`; the `train-` and `t10k-` prefixes are the train and test splits.
use super::{DataError, Raw, SplitName};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

fn read_all(path: &Path) -> Result<Vec<u8>, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut bytes = Vec::new();
    let res = if path.extension().is_some_and(|e| e == "gz") {
        GzDecoder::new(file).read_to_end(&mut bytes)
    } else {
        std::io::BufReader::new(file).read_to_end(&mut bytes)
    };
    res.map_err(|e| DataError::io(path, e))?;
    Ok(bytes)
}

/// Parses one IDX file of unsigned bytes; returns (dims, data).
fn parse(path: &Path, bytes: &[u8], expect_dims: usize) -> Result<(Vec<i64>, Vec<u8>), DataError> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(DataError::format(
            path,
            "not an IDX file (bad magic number)",
        ));
    }
    if bytes[2] != 0x08 {
        return Err(DataError::format(
            path,
            format!("IDX element type 0x{:02x} is not unsigned bytes", bytes[2]),
        ));
    }
    let ndim = bytes[3] as usize;
    if ndim != expect_dims {
        return Err(DataError::format(
            path,
            format!("expected {expect_dims} dimensions, found {ndim}"),
        ));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(DataError::format(path, "truncated IDX header"));
    }
    let dims: Vec<i64> = bytes[4..header]
        .chunks(4)
        .map(|c| i64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    let numel: i64 = dims.iter().product();
    if (bytes.len() - header) as i64 != numel {
        return Err(DataError::format(
            path,
            format!(
                "header says {numel} values, file holds {}",
                bytes.len() - header
            ),
        ));
    }
    Ok((dims, bytes[header..].to_vec()))
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

pub(crate) fn read_dir(dir: &Path) -> Result<Raw, DataError> {
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
                format!("no matching {prefix}-labels-idx1-ubyte[.gz] beside it"),
            )
        })?;
        let (dims, pixels) = parse(&img_path, &read_all(&img_path)?, 3)?;
        let (ldims, lbls) = parse(&lbl_path, &read_all(&lbl_path)?, 1)?;
        if ldims[0] != dims[0] {
            return Err(DataError::format(
                &lbl_path,
                format!("{} labels for {} images", ldims[0], dims[0]),
            ));
        }
        images.push(
            Tensor::from_slice(&pixels)
                .view([dims[0], 1, dims[1], dims[2]])
                .to_kind(Kind::Float),
        );
        labels.push(
            Tensor::from_slice(&lbls)
                .to_kind(Kind::Double)
                .view([-1, 1]),
        );
        parts.push((split, dims[0] as usize));
    }
    if images.is_empty() {
        return Err(DataError::format(
            dir,
            "no *-images-idx3-ubyte[.gz] file (train- or t10k-) in this folder",
        ));
    }
    Raw::join(dir, &images, &labels, vec!["label".to_string()], parts)
}
