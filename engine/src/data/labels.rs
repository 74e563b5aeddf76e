//! `labels.csv` beside images: a header row, the first column each image's path relative to the
//! folder holding the file (or a bare file name when it is unique), the other columns targets.
//! Every row must name an image and every image must have a row.
use super::images::Layout;
use super::targets::{self, RawTargets};
use super::{DataError, ImportOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use tch::Tensor;

pub(crate) fn layout(
    source: &Path,
    csv_path: &str,
    bytes: &[u8],
    paths: &[String],
    opts: &ImportOptions,
) -> Result<Layout, DataError> {
    let where_csv = || format!("{}: {csv_path}", source.display());
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| DataError::format(source, format!("{csv_path} is empty")))?;
    targets::check_columns(
        source,
        csv_path,
        header.split(',').count().saturating_sub(1),
    )?;
    let columns: Vec<String> = header
        .split(',')
        .skip(1)
        .map(|s| s.trim().to_string())
        .collect();
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
    for (line_no, line) in lines {
        let row: Vec<&str> = line.split(',').map(str::trim).collect();
        if row.len() != columns.len() + 1 {
            return Err(DataError::format(
                source,
                format!(
                    "{csv_path} row {}: {} columns, expected {}",
                    line_no + 1,
                    row.len(),
                    columns.len() + 1
                ),
            ));
        }
        let name = row[0].trim_start_matches("./");
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
                            line_no + 1
                        ),
                    ))
                }
                _ => {
                    return Err(DataError::format(
                        source,
                        format!("{csv_path} row {}: no image '{name}'", line_no + 1),
                    ))
                }
            },
        };
        if seen.insert(index, line_no + 1).is_some() {
            return Err(DataError::format(
                source,
                format!("{csv_path} row {}: '{name}' is listed twice", line_no + 1),
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
