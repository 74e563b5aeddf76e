//! Import-time preprocessing: centre crop, then resize (bilinear with antialiasing, as
//! torchvision's Resize). Mixed sizes never reach here: readers produce one tensor.
use super::{DataError, ImportOptions};
use std::path::Path;
use tch::{Kind, Tensor};

pub(crate) fn apply(
    path: &Path,
    images: Tensor,
    opts: &ImportOptions,
) -> Result<Tensor, DataError> {
    let mut x = images;
    if let Some((ch, cw)) = opts.crop {
        let (h, w) = (x.size()[2], x.size()[3]);
        if ch > h || cw > w {
            return Err(DataError::format(
                path,
                format!("--crop {ch},{cw} is larger than the images ({h}x{w})"),
            ));
        }
        x = x.narrow(2, (h - ch) / 2, ch).narrow(3, (w - cw) / 2, cw);
    }
    if let Some((rh, rw)) = opts.resize {
        let was_8bit = is_8bit(&x);
        x = x
            .to_kind(Kind::Float)
            .internal_upsample_bilinear2d_aa([rh, rw], false, None, None);
        if was_8bit {
            // Keep 8-bit data 8-bit: resized values rounded back to 0-255.
            x = x.round().clamp(0.0, 255.0);
        }
    }
    Ok(x.contiguous())
}

/// Whether every value is an integer in 0..=255 (stored as uint8).
pub(crate) fn is_8bit(x: &Tensor) -> bool {
    if x.kind() == Kind::Uint8 {
        return true;
    }
    let t = x.to_kind(Kind::Double);
    let integral = t.eq_tensor(&t.round()).all().int64_value(&[]) == 1;
    integral && t.min().double_value(&[]) >= 0.0 && t.max().double_value(&[]) <= 255.0
}
