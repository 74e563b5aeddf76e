//! CSV of flattened pixels and a label, plain or `.gz`. With a header the label column is
//! `label`, `target` or `y`; without one (the sklearn digits) it is the last column. P pixel
//! columns make a square sqrt(P) x sqrt(P) single-channel image.
use super::{DataError, Raw};
use flate2::read::GzDecoder;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use tch::{Kind, Tensor};

const LABEL_COLUMNS: [&str; 3] = ["label", "target", "y"];

pub(crate) fn read(path: &Path) -> Result<Raw, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut pixels: Vec<f32> = Vec::new();
    let mut labels: Vec<i64> = Vec::new();
    let mut label_col: Option<usize> = None;
    let mut width = 0usize;
    for (row, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(|e| DataError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if row == 0 && cells.iter().any(|c| c.parse::<f64>().is_err()) {
            let col = cells
                .iter()
                .position(|c| LABEL_COLUMNS.contains(&c.to_ascii_lowercase().as_str()));
            label_col = Some(col.ok_or_else(|| {
                DataError::format(
                    path,
                    format!(
                        "header has no label column (one of {LABEL_COLUMNS:?}): {}",
                        cells.join(",")
                    ),
                )
            })?);
            width = cells.len();
            continue;
        }
        if width == 0 {
            width = cells.len();
        }
        if cells.len() != width {
            return Err(DataError::format(
                path,
                format!("row {}: {} columns, expected {width}", row + 1, cells.len()),
            ));
        }
        let lc = label_col.unwrap_or(width - 1);
        for (col, cell) in cells.iter().enumerate() {
            let v: f64 = cell.parse().map_err(|_| {
                DataError::format(
                    path,
                    format!(
                        "row {}, column {}: '{cell}' is not a number",
                        row + 1,
                        col + 1
                    ),
                )
            })?;
            if col == lc {
                if v.fract() != 0.0 {
                    return Err(DataError::format(
                        path,
                        format!("row {}: label {v} is not an integer class", row + 1),
                    ));
                }
                labels.push(v as i64);
            } else {
                pixels.push(v as f32);
            }
        }
    }
    let p = width.saturating_sub(1);
    let side = (p as f64).sqrt().round() as usize;
    if p == 0 || side * side != p {
        return Err(DataError::format(
            path,
            format!("{p} pixel columns do not make a square image"),
        ));
    }
    let n = labels.len() as i64;
    let images =
        Tensor::from_slice(&pixels)
            .to_kind(Kind::Float)
            .view([n, 1, side as i64, side as i64]);
    Ok(Raw {
        images,
        labels: Tensor::from_slice(&labels),
        parts: vec![],
        path: path.to_path_buf(),
    })
}
