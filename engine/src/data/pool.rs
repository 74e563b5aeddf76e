//! Images decoded on worker threads while the archive streams in, each cropped and resized as
//! soon as it is decoded, so an import holds one source image per decoder, not all of them.
use super::decode::{decode, Decoded, Pixels};
use super::{preprocess, ImportOptions};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

/// Crops and resizes one decoded image as `apply` does a stack of them (8-bit images stay
/// bytes), so that an image reader holds each source image only until it is made small.
fn shrink(d: Decoded, opts: &ImportOptions) -> Result<Decoded, String> {
    if opts.crop.is_none() && opts.resize.is_none() {
        return Ok(d);
    }
    let bytes = matches!(d.pixels, Pixels::U8(_));
    let source = d.source;
    let one = d.tensor().unsqueeze(0);
    drop(d);
    let kept = preprocess::apply(Path::new("the image"), one, opts)
        .map_err(|e| e.to_string())?
        .squeeze_dim(0);
    let [channels, height, width] = kept.size()[..] else {
        return Err(format!(
            "an image of shape {:?} after crop and resize",
            kept.size()
        ));
    };
    let flat = kept.flatten(0, -1);
    let pixels = if bytes && preprocess::is_8bit(&flat) {
        Pixels::U8(Vec::<u8>::try_from(flat.to_kind(tch::Kind::Uint8)).map_err(|e| e.to_string())?)
    } else {
        Pixels::F32(
            Vec::<f32>::try_from(flat.to_kind(tch::Kind::Float)).map_err(|e| e.to_string())?,
        )
    };
    Ok(Decoded {
        channels,
        height,
        width,
        pixels,
        source,
    })
}

/// Decodes jobs on worker threads while the caller keeps feeding them, then crops and resizes
/// each image as the import asks: a result holds what the import keeps of it.
pub struct Pool {
    sender: Option<std::sync::mpsc::SyncSender<(usize, Vec<u8>)>>,
    results: Receiver<(usize, Result<Decoded, String>)>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Pool {
    pub fn new(opts: &ImportOptions) -> Self {
        let opts = Arc::new(opts.clone());
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (sender, jobs) = sync_channel::<(usize, Vec<u8>)>(4 * threads);
        let jobs = Arc::new(Mutex::new(jobs));
        let (done, results) = std::sync::mpsc::channel();
        let workers = (0..threads)
            .map(|_| {
                let (jobs, done, opts) = (Arc::clone(&jobs), done.clone(), Arc::clone(&opts));
                std::thread::spawn(move || loop {
                    let job = match jobs.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((i, bytes)) = job else { return };
                    let kept = decode(&bytes, &opts.limits).and_then(|d| {
                        drop(bytes);
                        shrink(d, &opts)
                    });
                    if done.send((i, kept)).is_err() {
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
