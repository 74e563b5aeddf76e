//! Decoding image files (JPEG, PNG 8/16-bit, TIFF 8/16/32-bit and float with any band count) into float32 [C, H, W]
//! with values as stored, in parallel while the archive streams in.
use image::DynamicImage;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
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
    let values = planar_of(samples, c, (h * w) as usize)
        .into_iter()
        .map(Into::into)
        .collect();
    Decoded {
        channels: c as i64,
        height: h as i64,
        width: w as i64,
        pixels: Pixels::F32(values),
    }
}

fn planar_u8(samples: &[u8], c: usize, h: u32, w: u32) -> Decoded {
    let pixels = Pixels::U8(planar_of(samples, c, (h * w) as usize));
    Decoded {
        channels: c as i64,
        height: h as i64,
        width: w as i64,
        pixels,
    }
}

/// TIFF through the `tiff` crate itself: any sample count (multi-band microscopy and
/// simulation output), 8/16/32-bit integers and 16/32/64-bit floats, chunky or planar.
fn decode_tiff(bytes: &[u8]) -> Result<Decoded, String> {
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::ColorType;
    let err = |e: tiff::TiffError| format!("TIFF: {e}");
    let mut d = Decoder::new(std::io::Cursor::new(bytes)).map_err(err)?;
    let (w, h) = d.dimensions().map_err(err)?;
    let c = match d.colortype().map_err(err)? {
        ColorType::Gray(_) => 1,
        ColorType::GrayA(_) => 2,
        ColorType::RGB(_) | ColorType::YCbCr(_) | ColorType::Lab(_) => 3,
        ColorType::RGBA(_) | ColorType::CMYK(_) => 4,
        ColorType::CMYKA(_) => 5,
        ColorType::Multiband { num_samples, .. } => usize::from(num_samples),
        other => return Err(format!("TIFF colour type {other:?} is not supported")),
    };
    let mut result = DecodingResult::U8(vec![]);
    let layout = d.read_image_to_buffer(&mut result).map_err(err)?;
    let hw = (h * w) as usize;
    // Planar files hold one plane per sample already; chunky ones interleave them.
    let order = |v: Vec<f32>| -> Vec<f32> {
        if layout.planes > 1 {
            v
        } else {
            planar_of(&v, c, hw)
        }
    };
    let values: Vec<f32> = match result {
        DecodingResult::U8(v) if layout.planes <= 1 => return Ok(planar_u8(&v, c, h, w)),
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
        return Err(format!(
            "TIFF holds {} samples, {c} channels of {w}x{h} need {}",
            values.len(),
            c * hw
        ));
    }
    Ok(Decoded {
        channels: c as i64,
        height: i64::from(h),
        width: i64::from(w),
        pixels: Pixels::F32(order(values)),
    })
}

pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return decode_tiff(bytes);
    }
    let img = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
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

/// Decodes jobs on worker threads while the caller keeps feeding them.
pub struct Pool {
    sender: Option<std::sync::mpsc::SyncSender<(usize, Vec<u8>)>>,
    results: Receiver<(usize, Result<Decoded, String>)>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Pool {
    pub fn new() -> Self {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (sender, jobs) = sync_channel::<(usize, Vec<u8>)>(4 * threads);
        let jobs = Arc::new(Mutex::new(jobs));
        let (done, results) = std::sync::mpsc::channel();
        let workers = (0..threads)
            .map(|_| {
                let (jobs, done) = (Arc::clone(&jobs), done.clone());
                std::thread::spawn(move || loop {
                    let job = match jobs.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((i, bytes)) = job else { return };
                    if done.send((i, decode(&bytes))).is_err() {
                        return;
                    }
                })
            })
            .collect();
        Pool {
            sender: Some(sender),
            results,
            workers,
        }
    }

    pub fn submit(&self, index: usize, bytes: Vec<u8>) {
        if let Some(s) = &self.sender {
            let _ = s.send((index, bytes));
        }
    }

    /// Waits for every job; results in submission order.
    pub fn finish(mut self) -> Vec<Result<Decoded, String>> {
        self.sender = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        let mut out: Vec<(usize, Result<Decoded, String>)> = self.results.try_iter().collect();
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, r)| r).collect()
    }
}
