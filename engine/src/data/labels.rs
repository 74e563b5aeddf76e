//! `labels.csv` beside images: a header row, the first column each image's path relative to the
//! folder holding the file (or a bare file name when it is unique), the other columns targets.
//! Every row must name an image and every image must have a row.
use super::cells::{scan, Event, Separator};
use super::targets::{self, RawTargets};
use super::{DataError, ImportOptions, SplitName};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use tch::Tensor;

/// Sample order, targets in that order, and split runs.
pub(crate) type Layout = (Vec<usize>, RawTargets, Vec<(SplitName, usize)>);

/// The CSV's rows of cells (trimmed and unquoted, as every CSV cell is read), with their line
/// numbers; blank lines left out.
fn rows(path: &Path, bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, DataError> {
    let (mut rows, mut row) = (Vec::new(), Vec::new());
    scan(path, &mut &bytes[..], Separator::Comma, &mut |e| {
        match e {
            Event::Cell { text, .. } => row.push(text.to_string()),
            Event::LineEnd { line } => {
                let cells = std::mem::take(&mut row);
                if !cells.iter().all(String::is_empty) {
                    rows.push((line, cells));
                }
            }
        }
        Ok(())
    })?;
    Ok(rows)
}

pub(crate) fn layout(
    source: &Path,
    csv_path: &str,
    bytes: &[u8],
    paths: &[String],
    opts: &ImportOptions,
) -> Result<Layout, DataError> {
    let where_csv = || format!("{}: {csv_path}", source.display());
    let mut lines = rows(&source.join(csv_path), bytes)?.into_iter();
    let (_, header) = lines
        .next()
        .ok_or_else(|| DataError::format(source, format!("{csv_path} is empty")))?;
    targets::check_columns(source, csv_path, header.len().saturating_sub(1))?;
    let columns: Vec<String> = header.into_iter().skip(1).collect();
    if columns.is_empty() {
        return Err(DataError::format(
            source,
            format!("{csv_path}: needs a path column and at least one target column"),
        ));
    }
    let base = csv_path
        .rsplit_once('/')
        .map_or(String::new(), |(d, _)| format!("{d}/"));
    let by_path: HashMap<&str, usize> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in paths.iter().enumerate() {
        by_name
            .entry(p.rsplit('/').next().unwrap_or(p))
            .or_default()
            .push(i);
    }
    let mut order = Vec::new();
    let mut cells: Vec<Vec<String>> = Vec::new();
    let mut seen = BTreeMap::new();
    for (line_no, row) in lines {
        if row.len() != columns.len() + 1 {
            return Err(DataError::format(
                source,
                format!(
                    "{csv_path} row {}: {} columns, expected {}",
                    line_no,
                    row.len(),
                    columns.len() + 1
                ),
            ));
        }
        let name = row[0].as_str().trim_start_matches("./");
        let full = format!("{base}{name}");
        let index = match by_path.get(full.as_str()) {
            Some(i) => *i,
            None => match by_name.get(name).map(Vec::as_slice) {
                Some([only]) if !name.contains('/') => *only,
                Some([_, _, ..]) => {
                    return Err(DataError::format(
                        source,
                        format!(
                            "{csv_path} row {}: '{name}' matches several images; give its path",
                            line_no
                        ),
                    ))
                }
                _ => {
                    return Err(DataError::format(
                        source,
                        format!("{csv_path} row {}: no image '{name}'", line_no),
                    ))
                }
            },
        };
        if seen.insert(index, line_no).is_some() {
            return Err(DataError::format(
                source,
                format!("{csv_path} row {}: '{name}' is listed twice", line_no),
            ));
        }
        order.push(index);
        cells.push(row[1..].iter().map(|s| s.to_string()).collect());
    }
    if let Some(missing) = (0..paths.len()).find(|i| !seen.contains_key(i)) {
        return Err(DataError::format(
            source,
            format!(
                "{} misses image '{}' (and {} more)",
                where_csv(),
                paths[missing],
                paths.len() - seen.len() - 1
            ),
        ));
    }
    let numeric: Option<Vec<f64>> = cells
        .iter()
        .flatten()
        .map(|c| c.parse::<f64>().ok())
        .collect();
    let targets = match numeric {
        Some(values) => RawTargets::Numeric {
            values: Tensor::from_slice(&values).view([cells.len() as i64, columns.len() as i64]),
            columns,
        },
        None => {
            let col = match opts.target.as_deref() {
                Some(t) => columns.iter().position(|c| c == t).ok_or_else(|| {
                    DataError::format(source, format!("{csv_path}: no column '{t}'"))
                })?,
                None => columns.len() - 1,
            };
            RawTargets::Text(cells.iter().map(|r| r[col].clone()).collect())
        }
    };
    Ok((order, targets, vec![]))
}
