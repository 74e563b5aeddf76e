//! Whitespace-separated text matrices, plain, `.gz` or zipped, one image per row (or all values
//! in one stream, reshaped by the targets' row count), with targets in another file, as
//! Mechanical-MNIST ships. Target columns are named by a header row if there is one, else
//! "0", "1", ... Both files are read number by number: a compressed file stops at the unpacked
//! bound, and the values at the value bound.
use super::archive::{Bounded, DEFAULT_MAX_UNPACKED};
use super::cells::{scan, Event, Separator};
use super::csv::image_shape;
use super::limits::Tally;
use super::targets::{self, RawTargets};
use super::{DataError, ImportOptions, Origin, Raw};
use flate2::read::GzDecoder;
use std::io::{BufRead, BufReader};
use std::path::Path;
use tch::Tensor;

/// Calls `f` on the text of a plain, `.gz` or single-entry `.zip` file; compressed text stops
/// with an error past `max_unpacked` bytes.
fn with_text<T>(
    path: &Path,
    max_unpacked: u64,
    f: impl FnOnce(&mut dyn BufRead) -> Result<T, DataError>,
) -> Result<T, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let name = path.to_string_lossy().to_ascii_lowercase();
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
        let entry = zip
            .by_index(*only)
            .map_err(|e| DataError::format(path, e.to_string()))?;
        let entry_name = entry.name().to_string();
        let mut reader = BufReader::new(Bounded::new(entry, max_unpacked, &entry_name));
        f(&mut reader)
    } else if name.ends_with(".gz") {
        let entry_name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        f(&mut BufReader::new(Bounded::new(
            GzDecoder::new(file),
            max_unpacked,
            &entry_name,
        )))
    } else {
        f(&mut BufReader::new(file))
    }
}

fn number(path: &Path, line: usize, text: &str) -> Result<f64, DataError> {
    text.parse::<f64>()
        .map_err(|_| DataError::format(path, format!("row {line}: '{text}' is not a number")))
}

/// Counts one value against the bound (a cheap check per value; the message only on refusal).
fn count(path: &Path, tally: &mut Tally, line: usize, held: usize) -> Result<(), DataError> {
    if tally.fits(held as u64 + 1) {
        return Ok(());
    }
    tally.add(path, Some(held as u64 + 1), || format!("row {line}"))
}

/// Targets: rows of numbers, with an optional header row of names; (values, names, rows).
pub(crate) fn read_targets(
    path: &Path,
    opts: &ImportOptions,
    tally: &mut Tally,
) -> Result<(Vec<f64>, Vec<String>, usize), DataError> {
    let max_unpacked = opts.max_unpacked.unwrap_or(DEFAULT_MAX_UNPACKED);
    let mut names: Option<Vec<String>> = None;
    // The first non-blank row, as text, until it is known to be a header or numbers.
    let mut first: Option<Vec<String>> = Some(vec![]);
    let (mut values, mut width, mut rows, mut in_row) = (Vec::new(), 0usize, 0usize, 0usize);
    with_text(path, max_unpacked, |r| {
        scan(path, r, Separator::WhitespaceOrComma, &mut |e| match e {
            Event::Cell { line, text } => {
                count(
                    path,
                    tally,
                    line,
                    values.len() + first.as_ref().map_or(0, Vec::len),
                )?;
                in_row += 1;
                if in_row > targets::MAX_TARGET_COLUMNS {
                    targets::check_columns(path, &format!("row {line}"), in_row)?;
                }
                match first.as_mut() {
                    Some(cells) => cells.push(text.to_string()),
                    None => values.push(number(path, line, text)?),
                }
                Ok(())
            }
            Event::LineEnd { line } => {
                let cells = std::mem::take(&mut in_row);
                if cells == 0 {
                    return Ok(());
                }
                if let Some(row) = first.take() {
                    if row.iter().any(|t| t.parse::<f64>().is_err()) {
                        names = Some(row);
                        return Ok(());
                    }
                    for t in &row {
                        values.push(number(path, line, t)?);
                    }
                }
                if width == 0 {
                    width = cells;
                } else if cells != width {
                    return Err(DataError::format(
                        path,
                        format!("row {line}: {cells} values, expected {width}"),
                    ));
                }
                rows += 1;
                Ok(())
            }
        })
    })?;
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
    let mut tally = Tally::new(&opts.limits);
    let (targets, columns, n) = read_targets(y_file, opts, &mut tally)?;
    tally.add(y_file, Some(targets.len() as u64), || "the targets".into())?;
    if n == 0 || columns.is_empty() {
        return Err(DataError::format(y_file, "no target rows"));
    }
    let mut pixels: Vec<f32> = Vec::new();
    // The line of each row that holds values.
    let mut lines: Vec<usize> = Vec::new();
    let max_unpacked = opts.max_unpacked.unwrap_or(DEFAULT_MAX_UNPACKED);
    with_text(path, max_unpacked, |r| {
        scan(path, r, Separator::Whitespace, &mut |e| match e {
            Event::Cell { line, text } => {
                count(path, &mut tally, line, pixels.len())?;
                pixels.push(number(path, line, text)? as f32);
                if lines.last() != Some(&line) {
                    lines.push(line);
                }
                Ok(())
            }
            Event::LineEnd { .. } => Ok(()),
        })
    })?;
    let rows = lines.len();
    if rows > 1 && rows != n {
        return Err(DataError::format(
            path,
            format!(
                "{rows} image rows but {n} target rows in {}",
                y_file.display()
            ),
        ));
    }
    if !pixels.len().is_multiple_of(n) {
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
        origin: if rows > 1 {
            Origin::Lines(lines)
        } else {
            Origin::Order
        },
        warnings: vec![],
    })
}
