//! Decoding image files (JPEG, PNG 8/16-bit, TIFF 8/16/32-bit and float with any band count) into float32 [C, H, W]
//! with values as stored (`pool.rs` runs it on worker threads while the archive streams in).
//! `dimensions` and `channels` read an image's size from its header, so the import can refuse
//! it before decoding.
use super::ImportLimits;
use image::{DynamicImage, ImageDecoder, ImageReader};
use std::io::Cursor;
use tch::Tensor;

pub const IMAGE_EXTENSIONS: [&str; 6] = ["jpg", "jpeg", "png", "tif", "tiff", "jfif"];

pub fn is_image(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    IMAGE_EXTENSIONS
        .iter()
        .any(|e| lower.ends_with(&format!(".{e}")))
}

/// Pixel values, channel-first: 8-bit images stay bytes (a quarter of the memory).
#[derive(Debug)]
pub enum Pixels {
    U8(Vec<u8>),
    F32(Vec<f32>),
}

/// A decoded image.
#[derive(Debug)]
pub struct Decoded {
    pub channels: i64,
    pub height: i64,
    pub width: i64,
    pub pixels: Pixels,
    /// (height, width) of the source image, before any crop and resize.
    pub source: (i64, i64),
}

impl Decoded {
    /// float32 [C, H, W].
    pub fn tensor(&self) -> Tensor {
        let t = match &self.pixels {
            Pixels::U8(v) => Tensor::from_slice(v).to_kind(tch::Kind::Float),
            Pixels::F32(v) => Tensor::from_slice(v),
        };
        t.view([self.channels, self.height, self.width])
    }
}

/// Interleaved samples to channel-first.
fn planar_of<T: Copy + Default>(samples: &[T], c: usize, hw: usize) -> Vec<T> {
    let mut values = vec![T::default(); c * hw];
    for (i, px) in samples.chunks_exact(c).enumerate() {
        for (k, v) in px.iter().enumerate() {
            values[k * hw + i] = *v;
        }
    }
    values
}

fn planar<T: Copy + Default + Into<f32>>(samples: &[T], c: usize, h: u32, w: u32) -> Decoded {
    let values = planar_of(samples, c, h as usize * w as usize)
        .into_iter()
        .map(Into::into)
        .collect();
    Decoded {
        channels: c as i64,
        height: h as i64,
        width: w as i64,
        pixels: Pixels::F32(values),
        source: (h as i64, w as i64),
    }
}

fn planar_u8(samples: &[u8], c: usize, h: u32, w: u32) -> Decoded {
    let pixels = Pixels::U8(planar_of(samples, c, h as usize * w as usize));
    Decoded {
        channels: c as i64,
        height: h as i64,
        width: w as i64,
        pixels,
        source: (h as i64, w as i64),
    }
}

/// TIFF through the `tiff` crate itself: any sample count (multi-band microscopy and
/// simulation output), 8/16/32-bit integers and 16/32/64-bit floats, chunky or planar.
fn decode_tiff(bytes: &[u8], limits: &ImportLimits) -> Result<Decoded, String> {
    use tiff::decoder::DecodingResult;
    let err = tiff_err;
    let mut d = tiff_decoder(bytes, limits)?;
    let (w, h) = d.dimensions().map_err(err)?;
    let c = usize::try_from(tiff_channels(&mut d)?).map_err(|e| e.to_string())?;
    let mut result = DecodingResult::U8(vec![]);
    let layout = d.read_image_to_buffer(&mut result).map_err(err)?;
    let hw = h as usize * w as usize;
    let mismatch = |held: usize| {
        format!(
            "TIFF holds {held} samples, {c} channels of {w}x{h} need {}",
            c * hw
        )
    };
    // Planar files hold one plane per sample already; chunky ones interleave them.
    let order = |v: Vec<f32>| -> Vec<f32> {
        if layout.planes > 1 {
            v
        } else {
            planar_of(&v, c, hw)
        }
    };
    let values: Vec<f32> = match result {
        DecodingResult::U8(v) if layout.planes <= 1 => {
            if v.len() != c * hw {
                return Err(mismatch(v.len()));
            }
            return Ok(planar_u8(&v, c, h, w));
        }
        DecodingResult::U8(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::U16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::U32(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::U64(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::I8(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::I16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::I32(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::I64(v) => v.into_iter().map(|x| x as f32).collect(),
        DecodingResult::F16(v) => v.into_iter().map(f32::from).collect(),
        DecodingResult::F32(v) => v,
        DecodingResult::F64(v) => v.into_iter().map(|x| x as f32).collect(),
    };
    if values.len() != c * hw {
        return Err(mismatch(values.len()));
    }
    Ok(Decoded {
        channels: c as i64,
        height: i64::from(h),
        width: i64::from(w),
        pixels: Pixels::F32(order(values)),
        source: (i64::from(h), i64::from(w)),
    })
}

/// A PNG's (height, width, channels) straight from its IHDR chunk: measured even when the pixel
/// data after it is cut short or would decode to gigabytes. Channels as decoded (a palette
/// expands to RGB).
fn png_header(bytes: &[u8]) -> Result<(u32, u32, i64), String> {
    let be = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    if bytes.get(12..16) != Some(b"IHDR".as_slice()) {
        return Err("PNG without an IHDR header".into());
    }
    let (Some(width), Some(height), Some(&colour)) = (be(16), be(20), bytes.get(25)) else {
        return Err("PNG header cut short".into());
    };
    let channels = match colour {
        0 => 1,
        2 | 3 => 3,
        4 => 2,
        6 => 4,
        other => return Err(format!("PNG colour type {other} is not valid")),
    };
    Ok((height, width, channels))
}

fn is_tiff(bytes: &[u8]) -> bool {
    bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*")
}

/// An image's (height, width) from its header, without decoding pixels: PNG from its IHDR chunk,
/// TIFF from its first directory, JPEG from its frame header.
pub fn dimensions(bytes: &[u8], limits: &ImportLimits) -> Result<(u32, u32), String> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return png_header(bytes).map(|(h, w, _)| (h, w));
    }
    if is_tiff(bytes) {
        let mut d = tiff_decoder(bytes, limits)?;
        let (w, h) = d.dimensions().map_err(tiff_err)?;
        return Ok((h, w));
    }
    let (w, h) = image_reader(bytes)?
        .into_dimensions()
        .map_err(|e| e.to_string())?;
    Ok((h, w))
}

/// The channels an image decodes to, from its header.
pub fn channels(bytes: &[u8], limits: &ImportLimits) -> Result<i64, String> {
    if is_tiff(bytes) {
        return tiff_channels(&mut tiff_decoder(bytes, limits)?);
    }
    let d = image_reader(bytes)?
        .into_decoder()
        .map_err(|e| e.to_string())?;
    Ok(i64::from(d.color_type().channel_count()))
}

fn image_reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, String> {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())
}

fn tiff_err(e: tiff::TiffError) -> String {
    format!("TIFF: {e}")
}

/// Bytes a decoder may allocate for one image: 8 per value (the widest sample) of the values the
/// import may decode.
fn decoder_bytes(limits: &ImportLimits) -> usize {
    usize::try_from(limits.max_decoded_values.saturating_mul(8)).unwrap_or(usize::MAX)
}

/// Refuses a TIFF whose first directory has a tag claiming more values than the file holds: the
/// `tiff` crate reads that directory under its default limits (256 MiB per tag) before ours
/// apply, reserving room for as many values as a tag claims.
fn tiff_tags_fit(bytes: &[u8]) -> Result<(), String> {
    let big_endian = bytes.starts_with(b"MM");
    let uint = |at: usize, len: usize| -> Option<u64> {
        let b = bytes.get(at..at.checked_add(len)?)?;
        let mut v = 0u64;
        for i in 0..len {
            let byte = if big_endian { b[i] } else { b[len - 1 - i] };
            v = v << 8 | u64::from(byte);
        }
        Some(v)
    };
    let bigtiff = uint(2, 2) == Some(43);
    let (ifd, count_len, entry_len, value_count_len) = if bigtiff {
        (uint(8, 8), 8, 20, 8)
    } else {
        (uint(4, 4), 2, 12, 4)
    };
    let Some(ifd) = ifd.and_then(|v| usize::try_from(v).ok()) else {
        return Ok(()); // the decoder refuses a directory outside the file
    };
    let entries = uint(ifd, count_len).unwrap_or(0);
    let first = ifd + count_len;
    for i in 0..entries.min(bytes.len() as u64 / entry_len as u64) as usize {
        let at = first + i * entry_len;
        let (Some(tag), Some(kind), Some(count)) =
            (uint(at, 2), uint(at + 2, 2), uint(at + 4, value_count_len))
        else {
            break;
        };
        let size: u64 = match kind {
            3 | 8 => 2,
            4 | 9 | 11 | 13 => 4,
            5 | 10 | 12 | 16 | 17 | 18 => 8,
            _ => 1,
        };
        if count
            .checked_mul(size)
            .is_none_or(|n| n > bytes.len() as u64)
        {
            return Err(format!(
                "TIFF tag {tag} claims {count} values, more than the file's {} bytes hold",
                bytes.len()
            ));
        }
    }
    Ok(())
}

/// A TIFF decoder whose buffers (the image, a compressed strip or tile) stay within the
/// import's bounds, however the file's tags size them.
fn tiff_decoder<'a>(
    bytes: &'a [u8],
    limits: &ImportLimits,
) -> Result<tiff::decoder::Decoder<Cursor<&'a [u8]>>, String> {
    tiff_tags_fit(bytes)?;
    let mut bounds = tiff::decoder::Limits::default();
    bounds.decoding_buffer_size = decoder_bytes(limits);
    bounds.intermediate_buffer_size = decoder_bytes(limits);
    Ok(tiff::decoder::Decoder::new(Cursor::new(bytes))
        .map_err(tiff_err)?
        .with_limits(bounds))
}

/// Samples per pixel of the TIFF's first image.
fn tiff_channels<R: std::io::Read + std::io::Seek>(
    d: &mut tiff::decoder::Decoder<R>,
) -> Result<i64, String> {
    use tiff::ColorType;
    Ok(match d.colortype().map_err(tiff_err)? {
        ColorType::Gray(_) => 1,
        ColorType::GrayA(_) => 2,
        ColorType::RGB(_) | ColorType::YCbCr(_) | ColorType::Lab(_) => 3,
        ColorType::RGBA(_) | ColorType::CMYK(_) => 4,
        ColorType::CMYKA(_) => 5,
        ColorType::Multiband { num_samples, .. } if num_samples > 0 => i64::from(num_samples),
        other => return Err(format!("TIFF colour type {other:?} is not supported")),
    })
}

/// Decodes one image, its decoder's allocations held to the import's bounds.
pub fn decode(bytes: &[u8], limits: &ImportLimits) -> Result<Decoded, String> {
    if is_tiff(bytes) {
        return decode_tiff(bytes, limits);
    }
    let mut reader = image_reader(bytes)?;
    let mut bounds = image::Limits::default();
    bounds.max_alloc = Some(decoder_bytes(limits) as u64);
    reader.limits(bounds);
    let img = reader.decode().map_err(|e| e.to_string())?;
    let (w, h) = (img.width(), img.height());
    Ok(match &img {
        DynamicImage::ImageLuma8(b) => planar_u8(b.as_raw(), 1, h, w),
        DynamicImage::ImageLumaA8(b) => planar_u8(b.as_raw(), 2, h, w),
        DynamicImage::ImageRgb8(b) => planar_u8(b.as_raw(), 3, h, w),
        DynamicImage::ImageRgba8(b) => planar_u8(b.as_raw(), 4, h, w),
        DynamicImage::ImageLuma16(b) => planar(b.as_raw(), 1, h, w),
        DynamicImage::ImageLumaA16(b) => planar(b.as_raw(), 2, h, w),
        DynamicImage::ImageRgb16(b) => planar(b.as_raw(), 3, h, w),
        DynamicImage::ImageRgba16(b) => planar(b.as_raw(), 4, h, w),
        DynamicImage::ImageRgb32F(b) => planar(b.as_raw(), 3, h, w),
        DynamicImage::ImageRgba32F(b) => planar(b.as_raw(), 4, h, w),
        other => planar(other.to_rgb32f().as_raw(), 3, h, w),
    })
}
