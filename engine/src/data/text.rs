//! Whitespace-separated text matrices, plain, `.gz` or zipped, one image per row (or all values
//! in one stream, reshaped by the targets' row count), with targets in another file, as
//! Mechanical-MNIST ships. Target columns are named by a header row if there is one, else
//! "0", "1", ...
use super::csv::image_shape;
use super::targets::RawTargets;
use super::{DataError, ImportOptions, Raw};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;
use tch::Tensor;

/// The text of a plain, `.gz` or single-entry `.zip` file.
fn read_text(path: &Path) -> Result<String, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let name = path.to_string_lossy().to_ascii_lowercase();
    let mut text = String::new();
    if name.ends_with(".zip") {
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| DataError::format(path, format!("not a valid zip archive: {e}")))?;
        let files: Vec<usize> = (0..zip.len())
            .filter(|&i| zip.by_index(i).is_ok_and(|e| e.is_file()))
            .collect();
        let [only] = files.as_slice() else {
            return Err(DataError::format(
                path,
                format!(
                    "the zip holds {} files; a text matrix needs exactly one",
                    files.len()
                ),
            ));
        };
        let mut entry = zip
            .by_index(*only)
            .map_err(|e| DataError::format(path, e.to_string()))?;
        entry
            .read_to_string(&mut text)
            .map_err(|e| DataError::io(path, e))?;
    } else if name.ends_with(".gz") {
        GzDecoder::new(file)
            .read_to_string(&mut text)
            .map_err(|e| DataError::io(path, e))?;
    } else {
        std::io::BufReader::new(file)
            .read_to_string(&mut text)
            .map_err(|e| DataError::io(path, e))?;
    }
    Ok(text)
}

fn parse_numbers(path: &Path, line_no: usize, line: &str) -> Result<Vec<f64>, DataError> {
    line.split_whitespace()
        .map(|t| {
            t.parse::<f64>().map_err(|_| {
                DataError::format(path, format!("row {line_no}: '{t}' is not a number"))
            })
        })
        .collect()
}

/// Targets: rows of numbers, with an optional header row of names.
fn read_targets(path: &Path) -> Result<(Vec<f64>, Vec<String>, usize), DataError> {
    let text = read_text(path)?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable();
    let mut names: Option<Vec<String>> = None;
    if let Some((_, first)) = lines.peek() {
        if first.split_whitespace().any(|t| t.parse::<f64>().is_err()) {
            names = Some(
                first
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
            lines.next();
        }
    }
    let (mut values, mut width, mut rows) = (Vec::new(), 0usize, 0usize);
    for (i, line) in lines {
        let row = parse_numbers(path, i + 1, &line.replace(',', " "))?;
        if width == 0 {
            width = row.len();
        } else if row.len() != width {
            return Err(DataError::format(
                path,
                format!("row {}: {} values, expected {width}", i + 1, row.len()),
            ));
        }
        values.extend(row);
        rows += 1;
    }
    let names = names.unwrap_or_else(|| (0..width).map(|j| j.to_string()).collect());
    if names.len() != width {
        return Err(DataError::format(
            path,
            format!("header names {} columns, rows have {width}", names.len()),
        ));
    }
    Ok((values, names, rows))
}

pub(crate) fn read(path: &Path, opts: &ImportOptions) -> Result<Raw, DataError> {
    let y_file = opts
        .y_file
        .as_deref()
        .ok_or_else(|| DataError::format(path, "a text matrix needs its targets: --y-file FILE"))?;
    let (targets, columns, n) = read_targets(y_file)?;
    if n == 0 {
        return Err(DataError::format(y_file, "no target rows"));
    }
    let text = read_text(path)?;
    let rows = text.lines().filter(|l| !l.trim().is_empty()).count();
    if rows > 1 && rows != n {
        return Err(DataError::format(
            path,
            format!(
                "{rows} image rows but {n} target rows in {}",
                y_file.display()
            ),
        ));
    }
    let mut pixels: Vec<f32> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        pixels.extend(
            parse_numbers(path, i + 1, line)?
                .into_iter()
                .map(|v| v as f32),
        );
    }
    if pixels.len() % n != 0 {
        return Err(DataError::format(
            path,
            format!(
                "{} values do not split into {n} images (the rows of {})",
                pixels.len(),
                y_file.display()
            ),
        ));
    }
    let (c, h, w) = image_shape(path, pixels.len() / n, opts)?;
    let n = n as i64;
    let images = Tensor::from_slice(&pixels).view([n, c, h, w]);
    let values = Tensor::from_slice(&targets).view([n, columns.len() as i64]);
    Ok(Raw {
        images,
        targets: RawTargets::Numeric { values, columns },
        parts: vec![],
        path: path.to_path_buf(),
        preprocessed: None,
        warnings: vec![],
    })
}
