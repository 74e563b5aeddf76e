//! Decoding image files (JPEG, PNG 8/16-bit, TIFF 8/16-bit and float) into float32 [C, H, W]
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

pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
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
