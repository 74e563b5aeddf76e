//! Where each sample came from, and the check every reader's images pass through: a shape
//! with at least one channel, row and column, and only finite values. Messages name the first
//! bad sample by its row, file or index.
use super::DataError;
use std::path::Path;
use tch::{Kind, Tensor};

/// Where each sample came from, in sample order.
#[derive(Debug)]
pub(crate) enum Origin {
    /// Sample i is the i-th image of the file (arrays, IDX, a text matrix in one stream).
    Order,
    /// The line of the file each sample was read from (CSV, text matrices).
    Lines(Vec<usize>),
    /// The file each sample was decoded from (folders and archives of images).
    Entries(Vec<String>),
}

impl Origin {
    /// Names sample `i` for a message.
    fn name(&self, i: usize) -> String {
        match self {
            Origin::Lines(lines) if i < lines.len() => format!("row {}", lines[i]),
            Origin::Entries(files) if i < files.len() => format!("'{}'", files[i]),
            _ => format!("image {i} (counting from 0 in file order)"),
        }
    }
}

/// Refuses images that are not [N, C, H, W] with C, H and W at least 1, or that hold a value
/// that is not finite (NaN makes every statistic and every run on the data NaN); the message
/// names the first such sample. Looked at a few million values at a time.
pub(crate) fn check_images(path: &Path, images: &Tensor, origin: &Origin) -> Result<(), DataError> {
    let s = images.size();
    if s.len() != 4 || s[1..].iter().any(|&d| d < 1) {
        return Err(DataError::format(
            path,
            format!(
                "images of shape {s:?}: every image needs channels, height and width of at least 1"
            ),
        ));
    }
    if !images.is_floating_point() {
        return Ok(());
    }
    let (n, per) = (s[0], s[1] * s[2] * s[3]);
    let step = ((1 << 22) / per).max(1);
    for start in (0..n).step_by(step as usize) {
        let chunk = images.narrow(0, start, step.min(n - start)).flatten(0, -1);
        let bad = chunk.isfinite().logical_not();
        if bad.any().int64_value(&[]) == 0 {
            continue;
        }
        let k = bad.to_kind(Kind::Float).argmax(0, false).int64_value(&[]);
        let value = chunk.double_value(&[k]);
        let (i, at) = (start + k / per, k % per);
        let (c, y, x) = (at / (s[2] * s[3]), at / s[3] % s[2], at % s[3]);
        return Err(DataError::format(
            path,
            format!(
                "{}: pixel value {value} (channel {c}, y {y}, x {x}) is not a finite number; replace NaN and infinite values before importing",
                origin.name(i as usize)
            ),
        ));
    }
    Ok(())
}
