//! Import-time preprocessing: centre crop, then resize (bilinear with antialiasing, as
//! torchvision's Resize). Mixed sizes never reach here: readers produce one tensor. The size of
//! the result is checked against the dataset bound before anything is cropped or resized.
use super::{DataError, ImportOptions};
use std::path::Path;
use tch::{Kind, Tensor};

/// Values looked at at a time when checking for 8-bit data.
const CHUNK_VALUES: i64 = 1 << 22;

/// The (height, width) images of `size` have after the crop and resize in `opts`; a crop or
/// resize that is not positive, or a crop larger than the images, is refused.
pub(crate) fn output_size(
    path: &Path,
    size: (i64, i64),
    opts: &ImportOptions,
) -> Result<(i64, i64), DataError> {
    let (h, w) = size;
    let mut out = size;
    if let Some((ch, cw)) = opts.crop {
        if ch < 1 || cw < 1 {
            return Err(DataError::format(
                path,
                format!("--crop {ch},{cw} is not a size: use positive integers"),
            ));
        }
        if ch > h || cw > w {
            return Err(DataError::format(
                path,
                format!("--crop {ch},{cw} is larger than the images ({h}x{w})"),
            ));
        }
        out = (ch, cw);
    }
    if let Some((rh, rw)) = opts.resize {
        if rh < 1 || rw < 1 {
            return Err(DataError::format(
                path,
                format!("--resize {rh},{rw} is not a size: use positive integers"),
            ));
        }
        out = (rh, rw);
    }
    Ok(out)
}

/// Refuses preprocessing that would make `n` images of `c` channels and source `size` larger
/// than the dataset bound, before any of it is done.
pub(crate) fn check(
    path: &Path,
    n: usize,
    c: i64,
    size: (i64, i64),
    opts: &ImportOptions,
) -> Result<(), DataError> {
    let kept = output_size(path, size, opts)?;
    check_kept(path, n, c, kept, opts)
}

/// Refuses `n` images of `c` channels already cropped and resized to `kept` (by the image
/// reader, one at a time) over the dataset bound.
pub(crate) fn check_kept(
    path: &Path,
    n: usize,
    c: i64,
    (h, w): (i64, i64),
    opts: &ImportOptions,
) -> Result<(), DataError> {
    let what = match (opts.crop, opts.resize) {
        (_, Some((rh, rw))) => format!("--resize {rh},{rw} makes"),
        (Some((ch, cw)), None) => format!("--crop {ch},{cw} keeps"),
        (None, None) => "the source holds".to_string(),
    };
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    opts.limits.check_dataset(path, &what, [n, c, h, w])
}

pub(crate) fn apply(
    path: &Path,
    images: Tensor,
    opts: &ImportOptions,
) -> Result<Tensor, DataError> {
    let s = images.size();
    let [n, c, h, w] = s[..] else {
        return Err(DataError::format(
            path,
            format!("images of shape {s:?}, not [N, C, H, W]"),
        ));
    };
    check(path, usize::try_from(n).unwrap_or(0), c, (h, w), opts)?;
    let mut x = images;
    if let Some((ch, cw)) = opts.crop {
        x = x.narrow(2, (h - ch) / 2, ch).narrow(3, (w - cw) / 2, cw);
    }
    if let Some((rh, rw)) = opts.resize {
        let was_8bit = is_8bit(&x);
        x = x
            .to_kind(Kind::Float)
            .internal_upsample_bilinear2d_aa([rh, rw], false, None, None);
        if was_8bit {
            // Keep 8-bit data 8-bit: resized values rounded back to 0-255 (in place).
            let _ = x.round_();
            let _ = x.clamp_(0.0, 255.0);
        }
    }
    Ok(x.contiguous())
}

/// Whether every value is an integer in 0..=255 (stored as uint8). Looked at a few million
/// values at a time, so a large float dataset is never copied whole.
pub(crate) fn is_8bit(x: &Tensor) -> bool {
    if x.kind() == Kind::Uint8 {
        return true;
    }
    let n = x.size().first().copied().unwrap_or(0);
    let numel = x.numel() as i64;
    if n == 0 || numel == 0 {
        return true;
    }
    let step = (CHUNK_VALUES / (numel / n).max(1)).max(1);
    (0..n).step_by(step as usize).all(|start| {
        let t = x
            .narrow(0, start, step.min(n - start))
            .to_kind(Kind::Double);
        let integral = t.eq_tensor(&t.round()).all().int64_value(&[]) == 1;
        integral && t.min().double_value(&[]) >= 0.0 && t.max().double_value(&[]) <= 255.0
    })
}
