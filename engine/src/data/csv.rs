//! CSV of flattened pixels and a target, plain or `.gz`. With a header the target column is
//! `--target NAME`, else `label`, `target` or `y`; without a header (the sklearn digits) it is
//! the last column. P pixel columns make a square sqrt(P) x sqrt(P) single-channel image unless
//! `--shape C,H,W` says otherwise. Targets may be numbers or class names.
use super::targets::RawTargets;
use super::{DataError, ImportOptions, Raw};
use flate2::read::GzDecoder;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use tch::{Kind, Tensor};

const LABEL_COLUMNS: [&str; 3] = ["label", "target", "y"];

/// The target column of a header row.
fn target_column(path: &Path, header: &[&str], opts: &ImportOptions) -> Result<usize, DataError> {
    let found = match opts.target.as_deref() {
        Some(t) => header
            .iter()
            .position(|c| *c == t)
            .or_else(|| t.parse::<usize>().ok().filter(|i| *i < header.len())),
        None => header
            .iter()
            .position(|c| LABEL_COLUMNS.contains(&c.to_ascii_lowercase().as_str())),
    };
    found.ok_or_else(|| {
        let wanted = opts
            .target
            .clone()
            .unwrap_or_else(|| LABEL_COLUMNS.join(", "));
        DataError::format(
            path,
            format!(
                "header has no target column ({wanted}): {}",
                header.join(",")
            ),
        )
    })
}

pub(crate) fn image_shape(
    path: &Path,
    pixels: usize,
    opts: &ImportOptions,
) -> Result<(i64, i64, i64), DataError> {
    if let Some((c, h, w)) = opts.shape {
        if (c * h * w) as usize != pixels {
            return Err(DataError::format(
                path,
                format!(
                    "--shape {c},{h},{w} needs {} values per image, rows have {pixels}",
                    c * h * w
                ),
            ));
        }
        return Ok((c, h, w));
    }
    let side = (pixels as f64).sqrt().round() as usize;
    if pixels == 0 || side * side != pixels {
        return Err(DataError::format(
            path,
            format!("{pixels} pixel values per image do not make a square; give --shape C,H,W"),
        ));
    }
    Ok((1, side as i64, side as i64))
}

pub(crate) fn read(path: &Path, opts: &ImportOptions) -> Result<Raw, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut pixels: Vec<f32> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    let (mut label_col, mut column_name, mut width) = (None, "label".to_string(), 0usize);
    for (row, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(|e| DataError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if row == 0 && cells.iter().any(|c| c.parse::<f64>().is_err()) {
            let col = target_column(path, &cells, opts)?;
            column_name = cells[col].to_string();
            (label_col, width) = (Some(col), cells.len());
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
            if col == lc {
                labels.push(cell.to_string());
                continue;
            }
            let v: f32 = cell.parse().map_err(|_| {
                DataError::format(
                    path,
                    format!(
                        "row {}, column {}: '{cell}' is not a number",
                        row + 1,
                        col + 1
                    ),
                )
            })?;
            pixels.push(v);
        }
    }
    let (c, h, w) = image_shape(path, width.saturating_sub(1), opts)?;
    let n = labels.len() as i64;
    let images = Tensor::from_slice(&pixels)
        .to_kind(Kind::Float)
        .view([n, c, h, w]);
    let numeric: Option<Vec<f64>> = labels.iter().map(|l| l.parse::<f64>().ok()).collect();
    let targets = match numeric {
        Some(v) => RawTargets::Numeric {
            values: Tensor::from_slice(&v).view([n, 1]),
            columns: vec![column_name],
        },
        None => RawTargets::Text(labels),
    };
    Ok(Raw {
        images,
        targets,
        parts: vec![],
        path: path.to_path_buf(),
        preprocessed: None,
        warnings: vec![],
    })
}
