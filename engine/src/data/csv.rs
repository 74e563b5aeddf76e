//! CSV of flattened pixels and a target, plain or `.gz`. With a header (line 1 holding a cell
//! that is not a number) the target column is `--target NAME`, else `label`, `target` or `y`;
//! without one (the sklearn digits) it is the last column. P pixel columns make a square
//! sqrt(P) x sqrt(P) single-channel image unless `--shape C,H,W` says otherwise. Targets may be
//! numbers or class names. Read cell by cell, refused once rows x columns passes the value bound.
use super::cells::{scan, Event, Separator};
use super::limits::Tally;
use super::targets::RawTargets;
use super::{DataError, ImportOptions, Origin, Raw};
use flate2::read::GzDecoder;
use std::io::{BufReader, Read};
use std::path::Path;
use tch::{Kind, Tensor};

const LABEL_COLUMNS: [&str; 3] = ["label", "target", "y"];

pub(crate) fn image_shape(
    path: &Path,
    pixels: usize,
    opts: &ImportOptions,
) -> Result<(i64, i64, i64), DataError> {
    if let Some((c, h, w)) = opts.shape {
        let needed = c.checked_mul(h).and_then(|v| v.checked_mul(w));
        if needed.and_then(|v| usize::try_from(v).ok()) != Some(pixels) {
            let needed = needed.map_or_else(|| "more".to_string(), |v| v.to_string());
            return Err(DataError::format(
                path,
                format!("--shape {c},{h},{w} needs {needed} values per image, rows have {pixels}"),
            ));
        }
        return Ok((c, h, w));
    }
    let side = (pixels as f64).sqrt().round() as usize;
    if pixels == 0 || side.checked_mul(side) != Some(pixels) {
        return Err(DataError::format(
            path,
            format!("{pixels} pixel values per image do not make a square; give --shape C,H,W"),
        ));
    }
    Ok((1, side as i64, side as i64))
}

/// Header names kept for a message that lists them.
const NAMES_SHOWN: usize = 32;

/// What the scan has read so far. Cells are parsed as they arrive; only the first row (which
/// may be a header, and whose last cell is the target when it is not) keeps a little more.
struct Rows<'a> {
    path: &'a Path,
    opts: &'a ImportOptions,
    pixels: Vec<f32>,
    labels: Vec<String>,
    /// The line each sample was read from.
    lines: Vec<usize>,
    /// Target column: from the header, else the last.
    label_col: Option<usize>,
    column_name: String,
    /// Cells per row, known once the first row ends.
    width: usize,
    /// Cells of the current row so far; its first cell is held until a second arrives or the
    /// line ends, so a whitespace-only line is skipped rather than parsed.
    count: usize,
    first: Option<String>,
    first_row: FirstRow,
    tally: Tally,
}

/// The first row, before it is known to be a header.
#[derive(Default)]
struct FirstRow {
    /// The first cell that is not a number.
    not_number: Option<(usize, String)>,
    /// The first cell naming the target column (`--target NAME` or a `LABEL_COLUMNS` name).
    named: Option<(usize, String)>,
    /// The cell at `--target INDEX`.
    indexed: Option<String>,
    last: String,
    names: Vec<String>,
}

impl Rows<'_> {
    fn cell(&mut self, line: usize, text: &str) -> Result<(), DataError> {
        let col = self.count;
        self.count += 1;
        if self.width > 0 && col >= self.width {
            return Ok(()); // counted; the row is refused at its end
        }
        if self.width == 0 && !self.tally.fits(self.count as u64) {
            let count = self.count;
            return self.tally.add(self.path, Some(count as u64), || {
                format!("row {line} ({count} columns so far)")
            });
        }
        match col {
            0 => {
                self.first = Some(text.to_string());
                Ok(())
            }
            _ => {
                if col == 1 {
                    self.start_row(line)?;
                    let first = self.first.take().unwrap_or_default();
                    self.take(line, 0, &first)?;
                }
                self.take(line, col, text)
            }
        }
    }

    /// Counts a row once it is known not to be blank (a row past the first: its width).
    fn start_row(&mut self, line: usize) -> Result<(), DataError> {
        if self.width == 0 {
            return Ok(());
        }
        let width = self.width as u64;
        self.tally.add(self.path, Some(width), || {
            format!("row {line} ({width} columns)")
        })
    }

    fn take(&mut self, line: usize, col: usize, text: &str) -> Result<(), DataError> {
        if self.width == 0 {
            let f = &mut self.first_row;
            match text.parse::<f32>() {
                Ok(v) => self.pixels.push(v),
                Err(_) => {
                    f.not_number.get_or_insert_with(|| (col, text.to_string()));
                }
            }
            let names_target = match self.opts.target.as_deref() {
                Some(t) => text == t,
                None => LABEL_COLUMNS.contains(&text.to_ascii_lowercase().as_str()),
            };
            if names_target && f.named.is_none() {
                f.named = Some((col, text.to_string()));
            }
            let index = self
                .opts
                .target
                .as_deref()
                .and_then(|t| t.parse::<usize>().ok());
            if index == Some(col) {
                f.indexed = Some(text.to_string());
            }
            if f.names.len() < NAMES_SHOWN {
                f.names.push(text.to_string());
            }
            f.last = text.to_string();
            return Ok(());
        }
        if col == self.label_col.unwrap_or(self.width - 1) {
            self.labels.push(text.to_string());
            return Ok(());
        }
        let v: f32 = text.parse().map_err(|_| {
            DataError::format(
                self.path,
                format!("row {line}, column {}: '{text}' is not a number", col + 1),
            )
        })?;
        self.pixels.push(v);
        Ok(())
    }

    fn line_end(&mut self, line: usize) -> Result<(), DataError> {
        let count = std::mem::take(&mut self.count);
        let first = self.first.take();
        if count == 0 || count == 1 && first.as_deref() == Some("") {
            return Ok(()); // a blank line
        }
        if count == 1 {
            self.start_row(line)?;
            self.take(line, 0, first.as_deref().unwrap_or_default())?;
        }
        if self.width == 0 {
            return self.end_first_row(line, count);
        }
        if count != self.width {
            return Err(DataError::format(
                self.path,
                format!("row {line}: {count} columns, expected {}", self.width),
            ));
        }
        self.lines.push(line);
        Ok(())
    }

    /// Settles the first row: a header when it is line 1 and holds a cell that is not a number,
    /// else the first sample, its last cell the target.
    fn end_first_row(&mut self, line: usize, count: usize) -> Result<(), DataError> {
        let f = std::mem::take(&mut self.first_row);
        self.width = count;
        if line == 1 && f.not_number.is_some() {
            self.pixels.clear();
            let found = match (f.named, f.indexed) {
                (Some((col, name)), _) => Some((col, name)),
                (None, Some(name)) => self
                    .opts
                    .target
                    .as_deref()
                    .and_then(|t| t.parse::<usize>().ok())
                    .map(|col| (col, name)),
                (None, None) => None,
            };
            let Some((col, name)) = found else {
                let wanted = self
                    .opts
                    .target
                    .clone()
                    .unwrap_or_else(|| LABEL_COLUMNS.join(", "));
                let more = if count > f.names.len() {
                    format!(", ... ({count} columns)")
                } else {
                    String::new()
                };
                return Err(DataError::format(
                    self.path,
                    format!(
                        "header has no target column ({wanted}): {}{more}",
                        f.names.join(",")
                    ),
                ));
            };
            self.label_col = Some(col);
            self.column_name = name;
            return Ok(());
        }
        if let Some((col, cell)) = f.not_number.filter(|(col, _)| *col + 1 < count) {
            return Err(DataError::format(
                self.path,
                format!("row {line}, column {}: '{cell}' is not a number", col + 1),
            ));
        }
        if f.last.parse::<f32>().is_ok() {
            self.pixels.pop();
        }
        self.labels.push(f.last);
        self.lines.push(line);
        let width = count as u64;
        self.tally.add(self.path, Some(width), || {
            format!("row {line} ({width} columns)")
        })
    }
}

pub(crate) fn read(path: &Path, opts: &ImportOptions) -> Result<Raw, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut rows = Rows {
        path,
        opts,
        pixels: vec![],
        labels: vec![],
        lines: vec![],
        label_col: None,
        column_name: "label".to_string(),
        width: 0,
        count: 0,
        first: None,
        first_row: FirstRow::default(),
        tally: Tally::new(&opts.limits),
    };
    scan(
        path,
        &mut BufReader::new(reader),
        Separator::Comma,
        &mut |e| match e {
            Event::Cell { line, text } => rows.cell(line, text),
            Event::LineEnd { line } => rows.line_end(line),
        },
    )?;
    let (c, h, w) = image_shape(path, rows.width.saturating_sub(1), opts)?;
    let n = rows.labels.len() as i64;
    let images = Tensor::from_slice(&rows.pixels)
        .to_kind(Kind::Float)
        .view([n, c, h, w]);
    let numeric: Option<Vec<f64>> = rows.labels.iter().map(|l| l.parse::<f64>().ok()).collect();
    let targets = match numeric {
        Some(v) => RawTargets::Numeric {
            values: Tensor::from_slice(&v).view([n, 1]),
            columns: vec![rows.column_name],
        },
        None => RawTargets::Text(rows.labels),
    };
    Ok(Raw {
        images,
        targets,
        parts: vec![],
        path: path.to_path_buf(),
        preprocessed: None,
        origin: Origin::Lines(rows.lines),
        warnings: vec![],
    })
}
